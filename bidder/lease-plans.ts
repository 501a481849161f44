/**
 * The lease plan of every campaign in the catalog: how much budget to ask for per lease, and the
 * budget terms the allocator must hold. A campaign whose terms cannot be turned into budget units (an
 * amount past what the budget code represents exactly) is skipped and counted, never allowed to stop
 * the plans of every other campaign.
 */
import { minorDigitsOf } from '../shared/bidding/line-item.js';
import type { CampaignBudgetInfo } from '../shared/bidding/line-items-from-deals.js';
import type { CampaignLeasePlan } from '../shared/budget/lease-manager.js';
import { assertNanos, minorToNanos, type Nanos } from '../shared/budget/units.js';
import type { MetricsSink } from './metrics.js';

/** A campaign's daily budget in budget units (nanos); throws past the exact range. */
export function dailyBudgetNanos(budget: CampaignBudgetInfo): Nanos {
  return minorToNanos(budget.dailyBudgetMinor, minorDigitsOf(budget.currency));
}

/** `part / 10000` of `amount`, rounded down, exact for every safe `amount` (no intermediate past 2^53). */
function basisPointsOf(amount: Nanos, basisPoints: number): Nanos {
  return Math.floor(amount / 10_000) * basisPoints + Math.floor(((amount % 10_000) * basisPoints) / 10_000);
}

/** The plan of one campaign, or undefined when it has nothing to spend. Throws when its terms are out of range. */
export function leasePlanOf(budget: CampaignBudgetInfo, basisPoints: number): CampaignLeasePlan | undefined {
  const daily = dailyBudgetNanos(budget);
  // One impression at maxBid CPM costs maxBid(micros) nanos.
  const maxImpression = assertNanos(budget.maxBidMinor * 10 ** (6 - minorDigitsOf(budget.currency)), 'max bid in nanos per impression');
  const lease = Math.min(daily, Math.max(maxImpression * 10, basisPointsOf(daily, basisPoints)));
  if (!(lease > 0) || !Number.isSafeInteger(lease)) return undefined;
  return {
    campaignId: budget.campaignId,
    leaseAmount: lease,
    maxImpressionCost: Math.min(maxImpression, lease),
    // The catalog's current terms: a mid-day budget or pacing change reaches the allocator on the next refresh.
    budget: { dailyBudget: daily, pacing: budget.pacing, version: budget.version },
  };
}

/**
 * Lease sizes: `basisPoints` of the daily budget, at least 10 impressions at the highest bid, at most the
 * budget. A campaign that cannot be planned is counted (`CampaignsUnplannable`) and reported once.
 */
export function leasePlans(
  budgets: Iterable<CampaignBudgetInfo>,
  basisPoints: number,
  metrics: MetricsSink,
  onUnplannable: (campaignId: string, error: unknown) => void = () => {},
): CampaignLeasePlan[] {
  const out: CampaignLeasePlan[] = [];
  for (const budget of budgets) {
    let plan: CampaignLeasePlan | undefined;
    try {
      plan = leasePlanOf(budget, basisPoints);
    } catch (error) {
      metrics.count('CampaignsUnplannable');
      onUnplannable(budget.campaignId, error);
      continue;
    }
    if (plan) out.push(plan);
  }
  return out;
}
