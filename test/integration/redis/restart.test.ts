/**
 * Redis keeps the allocator in memory only: a restart loses every campaign-day's state. These tests
 * prove a restart cannot lead to over-grant: the allocator refuses to grant (and to take commits)
 * for a campaign-day whose state is missing until it is re-initialised from the source of truth with
 * the committed spend, plus a conservative hold for leases still out so that their notices stay
 * billable; once the hold ends the rest of the budget can be granted again, never past the budget.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { connectBudgetRedis } from '../../../shared/adapters/redis/client.js';
import { DAY_END, NOON, useRedis } from './support.js';

const ctx = useRedis();
const CD = 'camp-r/2026-11-22';
const BUDGET = 1_000;

describe('Redis restart', () => {
  beforeEach(() => ctx.flush());

  it('cannot lead to over-grant: no grants until re-initialised, old leases charged to the hold', async () => {
    const a = ctx.allocator;
    await a.initCampaignDay({ campaignDay: CD, dailyBudget: BUDGET, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: DAY_END, now: NOON });
    const base = { campaignDay: CD, bidderId: 'b1', ttlMs: 10_000, graceMs: 5_000, releasedNow: BUDGET, now: NOON };
    const l1 = await a.grantLease({ ...base, want: 600 });
    const l2 = await a.grantLease({ ...base, want: 600 });
    if (l1.status !== 'granted' || l2.status !== 'granted') throw new Error('no grants');
    expect(l2.lease.amount).toBe(400);
    // Billed before the restart (the source of truth will know about these).
    await a.commitSpend({ campaignDay: CD, leaseId: l1.lease.leaseId, bidId: 'pre-1', amount: 250, now: NOON + 1 });
    await a.commitSpend({ campaignDay: CD, leaseId: l2.lease.leaseId, bidId: 'pre-2', amount: 100, now: NOON + 1 });
    const committedBefore = 350;

    await ctx.server.restart();
    await connectBudgetRedis(ctx.redis, 10_000);

    // State gone: no grant, no commit, for any amount.
    expect(await a.state(CD)).toBeUndefined();
    expect(await a.grantLease({ ...base, want: 1, now: NOON + 2 })).toEqual({ status: 'uninitialised' });
    expect(await a.commitSpend({ campaignDay: CD, leaseId: l1.lease.leaseId, bidId: 'x', amount: 1, now: NOON + 2 })).toEqual({
      status: 'refused',
      reason: 'uninitialised',
    });

    // Re-initialise conservatively: everything released and not known committed may still be out.
    const holdUntil = l1.lease.reclaimAt + 1_000;
    const init = await a.initCampaignDay({
      campaignDay: CD,
      dailyBudget: BUDGET,
      committed: committedBefore,
      outstanding: BUDGET - committedBefore,
      holdUntil,
      dayEnd: DAY_END,
      now: NOON + 3,
    });
    expect(init.status).toBe('initialised');
    expect(init.state).toMatchObject({ granted: BUDGET, committed: committedBefore, openLeases: 1 });
    expect((await a.grantLease({ ...base, want: 1, now: NOON + 4 })).status).toBe('exhausted');

    // Bidders still hold l1 and l2 locally; their notices are charged to the hold (bounded by it).
    const c1 = await a.commitSpend({ campaignDay: CD, leaseId: l1.lease.leaseId, bidId: 'post-1', amount: 300, now: NOON + 5 });
    const c2 = await a.commitSpend({ campaignDay: CD, leaseId: l2.lease.leaseId, bidId: 'post-2', amount: 300, now: NOON + 5 });
    expect(c1).toEqual({ status: 'committed', amount: 300 });
    expect(c2).toEqual({ status: 'committed', amount: 300 });
    const c3 = await a.commitSpend({ campaignDay: CD, leaseId: l2.lease.leaseId, bidId: 'post-3', amount: 100, now: NOON + 5 });
    expect(c3).toEqual({ status: 'refused', reason: 'over_lease' }); // 350 + 600 + 100 would pass the budget
    const c4 = await a.commitSpend({ campaignDay: CD, leaseId: l2.lease.leaseId, bidId: 'post-4', amount: 40, now: NOON + 5 });
    expect(c4.status).toBe('committed');
    const afterRestart = 640;

    // The hold ends: its unspent part comes back and can be granted, never past the budget.
    expect(await a.expireLeases(CD, holdUntil)).toEqual({ leases: 1, reclaimed: BUDGET - committedBefore - afterRestart });
    const after = await a.grantLease({ ...base, want: 10_000, now: holdUntil + 1 });
    expect(after.status === 'granted' && after.lease.amount).toBe(BUDGET - committedBefore - afterRestart);
    const st = await a.state(CD);
    expect(st).toMatchObject({ granted: BUDGET, committed: committedBefore + afterRestart });
    expect(st!.committed).toBeLessThanOrEqual(BUDGET);
  });

  it('without a hold, notices for leases from before the restart are refused (not billed)', async () => {
    // Safe (nothing the new state did not accept is billed) but a house cost: the hold avoids it.
    const a = ctx.allocator;
    await a.initCampaignDay({ campaignDay: CD, dailyBudget: BUDGET, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: DAY_END, now: NOON });
    const l1 = await a.grantLease({ campaignDay: CD, bidderId: 'b1', want: BUDGET, ttlMs: 10_000, graceMs: 5_000, releasedNow: BUDGET, now: NOON });
    if (l1.status !== 'granted') throw new Error('no grant');
    await ctx.server.restart();
    await connectBudgetRedis(ctx.redis, 10_000);
    await a.initCampaignDay({ campaignDay: CD, dailyBudget: BUDGET, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: DAY_END, now: NOON + 1 });
    const commit = await a.commitSpend({ campaignDay: CD, leaseId: l1.lease.leaseId, bidId: 'x', amount: 10, now: NOON + 2 });
    expect(commit).toEqual({ status: 'refused', reason: 'unknown_lease' });
    expect((await a.state(CD))!.committed).toBe(0);
  });
});
