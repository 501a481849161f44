import type { Deal, DealStatus } from '../deal/deal.js';
import { ApprovedFieldsLockedError } from '../errors.js';
import type { CampaignMutableField } from './rules.js';

/**
 * What the bidder puts on the wire for a campaign (bid.adm, bid.adomain, bid.cat, seatbid.seat,
 * bid.dealid, …). Approvers approve a deal with these; once it is submitted they may not change
 * underneath the approval.
 */
export const BIDDER_FACING_FIELDS = ['creatives', 'pmpDealIds', 'seat'] as const satisfies readonly CampaignMutableField[];
export type BidderFacingField = (typeof BIDDER_FACING_FIELDS)[number];

/** The deal statuses in which bidder-facing fields may still be set or changed: before submission. */
export const DEAL_STATUSES_OPEN_TO_BIDDER_CHANGES: readonly DealStatus[] = ['draft'];

/**
 * Refuses touching bidder-facing fields under a deal that has been submitted (any status but draft),
 * with ApprovedFieldsLockedError (409 field_locked) naming them. `fields` may name any field (dotted
 * paths too); only the bidder-facing ones count.
 */
export function assertBidderFieldsUnlocked(deal: Deal, fields: readonly string[]): void {
  if (DEAL_STATUSES_OPEN_TO_BIDDER_CHANGES.includes(deal.status)) return;
  const locked = [...new Set(fields.map((field) => field.split('.')[0]!))].filter((field): field is BidderFacingField =>
    (BIDDER_FACING_FIELDS as readonly string[]).includes(field),
  );
  if (locked.length > 0) throw new ApprovedFieldsLockedError(locked, deal.status);
}
