import { describe, expect, it } from 'vitest';
import { leasePlanOf, leasePlans } from '../../../bidder/lease-plans.js';
import { CountingMetrics } from '../../../bidder/metrics.js';
import type { CampaignBudgetInfo } from '../../../shared/bidding/line-items-from-deals.js';
import { LeaseManager } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';

const budget = (campaignId: string, extra: Partial<CampaignBudgetInfo> = {}): CampaignBudgetInfo => ({
  campaignId,
  accountId: 'acct-1',
  dealId: 'deal-1',
  currency: 'USD',
  dailyBudgetMinor: 50_000,
  pacing: 'asap',
  maxBidMinor: 500,
  version: 1,
  ...extra,
});

/** 10,000,000 yen a day: 1e16 nanos, past what the budget code represents exactly. */
const POISON = budget('camp-jpy', { currency: 'JPY', dailyBudgetMinor: 10_000_000, maxBidMinor: 500 });

describe('lease plans', () => {
  it('skips and counts a campaign it cannot plan; every other campaign keeps its plan', () => {
    // Prepare
    const metrics = new CountingMetrics();
    const skipped: string[] = [];
    // Act
    const plans = leasePlans([budget('camp-a'), POISON, budget('camp-b')], 10, metrics, (id) => skipped.push(id));
    // Assess
    expect(plans.map((p) => p.campaignId)).toEqual(['camp-a', 'camp-b']);
    expect(metrics.of('CampaignsUnplannable')).toBe(1);
    expect(skipped).toEqual(['camp-jpy']);
  });

  it('a poison campaign does not stop the others from getting leases', async () => {
    // Prepare
    const now = Date.UTC(2026, 11, 4, 12);
    const metrics = new CountingMetrics();
    const catalog = [budget('camp-a'), POISON];
    // The campaign-day's first opening: no restart hold, it spends at once.
    const source = { load: async () => ({ dailyBudget: 500_000_000_000, pacing: 'asap' as const, committed: 0, neverHeld: true }) };
    const manager = new LeaseManager({
      allocator: new MemoryBudgetAllocator(),
      source,
      bidderId: 'b1',
      campaigns: () => leasePlans(catalog, 10, metrics),
      clock: () => now,
    });
    // Act
    await manager.refresh();
    // Assess
    expect(manager.local.remaining('camp-a', now)).toBeGreaterThan(0);
    expect(metrics.of('CampaignsUnplannable')).toBe(1);
  });

  it('sizes leases exactly even for the largest daily budgets', () => {
    // The largest USD daily budget the budget code holds: 900,719,925 cents = 9,007,199,250,000,000 nanos.
    const plan = leasePlanOf(budget('camp-big', { dailyBudgetMinor: 900_719_925 }), 10)!;
    expect(plan.leaseAmount).toBe(9_007_199_250_000);
    expect(Number.isSafeInteger(plan.leaseAmount)).toBe(true);
  });
});
