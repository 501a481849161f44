/**
 * BudgetSource over the SpendLedger (DynamoDB, fed by the spend reconciler) and a lookup of the
 * campaign's daily budget and pacing (the bidder's line items). This is what a Redis allocator is
 * rebuilt from after it lost its state: the ledger must be caught up to the moment of the loss
 * (see docs/budget-leases.md, "Restart").
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import type { SpendLedger } from '../ports/spend-ledger.js';
import type { CampaignDay } from './campaign-day.js';
import type { BudgetSource, CampaignDayBudget } from './ports.js';
import type { Nanos } from './units.js';

export type CampaignBudgetLookup = (
  campaignId: string,
) => { dailyBudget: Nanos; pacing: PacingMode } | undefined | Promise<{ dailyBudget: Nanos; pacing: PacingMode } | undefined>;

export function budgetSourceFromLedger(ledger: SpendLedger, lookup: CampaignBudgetLookup): BudgetSource {
  return {
    async load(cd: CampaignDay): Promise<CampaignDayBudget | undefined> {
      const campaign = await lookup(cd.campaignId);
      if (!campaign) return undefined;
      const spend = await ledger.getSpend(cd.campaignId, cd.day);
      return { dailyBudget: campaign.dailyBudget, pacing: campaign.pacing, committed: spend.amountNanos };
    },
  };
}
