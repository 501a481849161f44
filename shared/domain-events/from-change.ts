/**
 * One committed change → one domain event (or none: a write that changed nothing an event describes).
 * Pure: the stream adapter hands in checked entities, this decides the type and what changed.
 * A change of status is named after the transition (`deal.submitted`, `campaign.paused`); any other
 * change is `*.amended`.
 */
import type { FieldChange } from '../domain/audit.js';
import type { Campaign, CampaignStatus } from '../domain/campaign/campaign.js';
import { creationChanges, diffFields } from '../domain/changes.js';
import type { Deal, DealStatus } from '../domain/deal/deal.js';
import {
  DOMAIN_EVENT_SCHEMA_VERSION,
  type CampaignEventType,
  type DealEventType,
  type DomainEvent,
  type EntityChange,
} from './types.js';

/** Bookkeeping every write moves; not a change anybody reacts to. */
const BOOKKEEPING = new Set(['id', 'dealId', 'accountId', 'version', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy']);

/** The event type of a deal's status move (the audit action of the same transition). */
function dealStatusEvent(from: DealStatus, to: DealStatus): DealEventType {
  switch (to) {
    case 'pending_approval':
      return 'deal.submitted';
    case 'approved':
      return 'deal.approved';
    case 'rejected':
      return 'deal.rejected';
    case 'draft':
      return 'deal.revised';
    case 'active':
      return from === 'paused' ? 'deal.resumed' : 'deal.activated';
    case 'paused':
      return 'deal.paused';
    case 'completed':
      return 'deal.completed';
    case 'cancelled':
      return 'deal.cancelled';
  }
}

function campaignStatusEvent(from: CampaignStatus, to: CampaignStatus): CampaignEventType {
  switch (to) {
    case 'active':
      return from === 'paused' ? 'campaign.resumed' : 'campaign.activated';
    case 'paused':
      return 'campaign.paused';
    case 'completed':
      return 'campaign.completed';
    case 'archived':
      return 'campaign.archived';
    case 'draft':
      return 'campaign.amended';
  }
}

function fieldsOf(...entities: (object | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const entity of entities) for (const key of Object.keys(entity ?? {})) if (!BOOKKEEPING.has(key)) keys.add(key);
  return [...keys].sort();
}

function changesBetween<T extends object>(before: T | undefined, after: T | undefined): FieldChange[] {
  const fields = fieldsOf(before, after) as (keyof T & string)[];
  if (before && after) return diffFields(before, after, fields);
  if (after) return creationChanges(after, fields);
  return fields.map((field) => ({ field, old: (before as Record<string, unknown>)[field] ?? null, new: null }));
}

/**
 * The domain event of a change, or undefined when nothing an event describes changed (a Put that
 * rewrote the same fields).
 */
export function domainEventFromChange(change: EntityChange): DomainEvent | undefined {
  const { before, after } = change;
  const current = (after ?? before)!;
  const changes = changesBetween<object>(before, after);
  if (before && after && changes.length === 0) return undefined;
  const base = {
    schemaVersion: DOMAIN_EVENT_SCHEMA_VERSION,
    eventId: change.eventId,
    accountId: current.accountId,
    entityId: current.id,
    version: current.version,
    actor: after ? (before ? after.updatedBy : after.createdBy) : current.updatedBy,
    at: after ? (before ? after.updatedAt : after.createdAt) : current.updatedAt,
    changedFields: changes.map((c) => c.field),
    changes,
  };
  if (change.entity === 'deal') {
    const deal = current as Deal;
    let type: DealEventType;
    if (!change.before) type = 'deal.created';
    else if (!change.after) type = 'deal.removed';
    else if (change.before.status !== change.after.status) type = dealStatusEvent(change.before.status, change.after.status);
    else type = 'deal.amended';
    return { ...base, entity: 'deal', type, dealId: deal.id, deal };
  }
  const campaign = current as Campaign;
  let type: CampaignEventType;
  if (!change.before) type = 'campaign.created';
  else if (!change.after) type = 'campaign.removed';
  else if (change.before.status !== change.after.status) type = campaignStatusEvent(change.before.status, change.after.status);
  else type = 'campaign.amended';
  return { ...base, entity: 'campaign', type, dealId: campaign.dealId, campaign };
}
