import type { Campaign } from '../domain/campaign/campaign.js';
import type { Deal } from '../domain/deal/deal.js';

/** A deal that may bid (approved or active) with its campaigns, as stored. */
export interface BiddableDeal {
  deal: Deal;
  campaigns: Campaign[];
}

/** Versions of a deal's entities as one read saw them: how the bidder tells an older read from a newer one. */
export interface EntityVersions {
  /** Absent when the deal item was not there (removed). */
  deal?: number;
  /** Every campaign item the read saw, whatever its status: campaign id → version. */
  campaigns: Record<string, number>;
}

/** One deal as it is now (a consistent read), for the bidder's push path. */
export interface DealReload {
  dealId: string;
  /** The deal and its campaigns that may bid, when it has any; undefined when it may not bid now (paused, cancelled, removed, no active campaign...). */
  biddable?: BiddableDeal;
  versions: EntityVersions;
}

/**
 * Where the bidder loads its line items from (DynamoDB in AWS and locally; memory in tests).
 * `loadBiddableDeals` is called at start and on every periodic refresh and returns the complete
 * current set (a snapshot, not a delta); `loadBiddableDeal` reloads one deal when a change of it is
 * pushed (shared/ports/line-item-changes.ts), with the same rules (biddable statuses, active
 * campaigns, the account's bidding settings).
 */
export interface LineItemSource {
  loadBiddableDeals(): Promise<BiddableDeal[]>;
  loadBiddableDeal(dealId: string): Promise<DealReload>;
}
