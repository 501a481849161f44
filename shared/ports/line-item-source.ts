import type { Campaign } from '../domain/campaign/campaign.js';
import type { Deal } from '../domain/deal/deal.js';

/** A deal that may bid (approved or active) with its campaigns, as stored. */
export interface BiddableDeal {
  deal: Deal;
  campaigns: Campaign[];
}

/**
 * Where the bidder loads its line items from (DynamoDB in AWS and locally; memory in tests).
 * Called at start and on every refresh; returns the complete current set (a snapshot, not a delta).
 */
export interface LineItemSource {
  loadBiddableDeals(): Promise<BiddableDeal[]>;
}
