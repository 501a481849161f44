/**
 * The line-item consumer's use case: a domain event that can change what the bidder bids with becomes
 * one entry of the line-item feed, which every bidder task reads to reload that deal
 * (docs/bidder.md, "Line items by push"). Plain TypeScript over ports.
 *
 * Exactly once per event, as far as it matters: an event already marked applied is skipped; otherwise
 * the change is appended, then the event is marked. A crash between the two appends it again on
 * redelivery, which is harmless (tasks reload by deal, version-gated).
 */
import type { DomainEvent, DomainEventType } from '../domain-events/types.js';
import type { AppliedEvents } from '../ports/applied-events.js';
import type { LineItemChange, LineItemChangePublisher } from '../ports/line-item-changes.js';

/**
 * The event types the consumer's queue is subscribed to. Line items are built from an approved or
 * active deal's active campaigns and read only the deal's status and ids, so left out are the deal
 * events that neither start nor end in a biddable status (created, submitted, rejected, revised) and
 * a deal's amendment; and a campaign's creation (campaigns are created as drafts).
 */
export const LINE_ITEM_EVENT_TYPES = [
  'deal.approved',
  'deal.activated',
  'deal.paused',
  'deal.resumed',
  'deal.completed',
  'deal.cancelled',
  'deal.removed',
  'campaign.amended',
  'campaign.activated',
  'campaign.paused',
  'campaign.resumed',
  'campaign.completed',
  'campaign.archived',
  'campaign.removed',
] as const satisfies readonly DomainEventType[];

const PUSHED_TYPES: ReadonlySet<DomainEventType> = new Set(LINE_ITEM_EVENT_TYPES);

export function isLineItemEvent(event: Pick<DomainEvent, 'type'>): boolean {
  return PUSHED_TYPES.has(event.type);
}

/** The feed entry of an event: what changed, not its content. */
export function lineItemChangeOf(event: DomainEvent): LineItemChange {
  return {
    dealId: event.dealId,
    entity: event.entity,
    entityId: event.entityId,
    version: event.version,
    type: event.type,
    eventId: event.eventId,
    at: event.at,
  };
}

export type LineItemPushOutcome = 'pushed' | 'duplicate' | 'ignored';

export interface LineItemPushDeps {
  changes: LineItemChangePublisher;
  appliedEvents: AppliedEvents;
  /** The consumer's name in its applied-event markers (EVENT_CONSUMER_NAME). */
  consumer: string;
}

export async function pushLineItemChange(event: DomainEvent, deps: LineItemPushDeps): Promise<LineItemPushOutcome> {
  // The subscription filter already narrows the queue; this keeps a widened filter harmless.
  if (!isLineItemEvent(event)) return 'ignored';
  if (await deps.appliedEvents.hasApplied(deps.consumer, event.eventId)) return 'duplicate';
  await deps.changes.publish(lineItemChangeOf(event));
  // False when a concurrent delivery marked it first: both appended, which costs a reload, nothing more.
  await deps.appliedEvents.markApplied(deps.consumer, event.eventId);
  return 'pushed';
}
