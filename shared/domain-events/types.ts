/**
 * Domain events: what changed in a deal or a campaign, one event per committed change of the `deals`
 * table (its stream is the outbox read; see docs/change-events.md). Consumers (the bidder's line
 * items, engagement scoring, the approval workflow) react to these, never to raw stream records.
 *
 * Plain data, JSON on the wire. Every event carries `schemaVersion`; a consumer refuses versions it
 * does not know rather than guess. Events of one deal (the deal and its campaigns) are delivered to each
 * consumer in commit order (message group = deal id); `version` is the entity's own version.
 */
import type { FieldChange } from '../domain/audit.js';
import type { Campaign } from '../domain/campaign/campaign.js';
import type { Deal } from '../domain/deal/deal.js';

export const DOMAIN_EVENT_SCHEMA_VERSION = 1 as const;

export const DEAL_EVENT_TYPES = [
  'deal.created',
  'deal.amended',
  'deal.submitted',
  'deal.approved',
  'deal.rejected',
  'deal.revised',
  'deal.activated',
  'deal.paused',
  'deal.resumed',
  'deal.completed',
  'deal.cancelled',
  'deal.removed',
] as const;
export type DealEventType = (typeof DEAL_EVENT_TYPES)[number];

export const CAMPAIGN_EVENT_TYPES = [
  'campaign.created',
  'campaign.amended',
  'campaign.activated',
  'campaign.paused',
  'campaign.resumed',
  'campaign.completed',
  'campaign.archived',
  'campaign.removed',
] as const;
export type CampaignEventType = (typeof CAMPAIGN_EVENT_TYPES)[number];

export type DomainEventType = DealEventType | CampaignEventType;

interface DomainEventBase {
  schemaVersion: typeof DOMAIN_EVENT_SCHEMA_VERSION;
  /**
   * Derived from the stream record (its eventID), so a redelivered or replayed record yields the same
   * id: the deduplication key of the topic and of every consumer.
   */
  eventId: string;
  /** The deal the change belongs to (the deal itself, or the campaign's deal): the ordering key. */
  dealId: string;
  accountId: string;
  /** The changed entity's id (deal id or campaign id). */
  entityId: string;
  /** The entity's version after the change (before it, for `*.removed`). */
  version: number;
  /** Who made the change (the entity's updatedBy / createdBy). */
  actor: string;
  /** When the change was made (the entity's updatedAt; createdAt for a creation). ISO-8601 UTC. */
  at: string;
  /** Dotted paths of what changed ("status", "schedule.endDate"); every field for a creation. */
  changedFields: string[];
  /** The same, with old and new values (what the audit entry of that version holds). */
  changes: FieldChange[];
}

export interface DealEvent extends DomainEventBase {
  entity: 'deal';
  type: DealEventType;
  /** The deal after the change (as it was, for `deal.removed`). */
  deal: Deal;
}

export interface CampaignEvent extends DomainEventBase {
  entity: 'campaign';
  type: CampaignEventType;
  /** The campaign after the change (as it was, for `campaign.removed`). */
  campaign: Campaign;
}

export type DomainEvent = DealEvent | CampaignEvent;

/** A committed change of one entity, as read from the stream (images already unmarshalled and checked). */
export type EntityChange =
  | { eventId: string; entity: 'deal'; before?: Deal; after?: Deal }
  | { eventId: string; entity: 'campaign'; before?: Campaign; after?: Campaign };
