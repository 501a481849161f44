/**
 * The Lua allocator against a real redis-server: atomicity under concurrency, idempotent commits,
 * expiry and the grace window, idempotent returns, the in-Redis invariant check, exact big amounts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { RedisBudgetAllocator } from '../../../shared/adapters/redis/redis-allocator.js';
import { budgetKeys } from '../../../shared/adapters/redis/keys.js';
import type { GrantRequest } from '../../../shared/budget/ports.js';
import { DAY_END, NOON, useRedis } from './support.js';

const ctx = useRedis();
const CD = 'camp-1/2026-11-22';

async function init(budget: number, committed = 0, outstanding = 0, holdUntil = 0) {
  return ctx.allocator.initCampaignDay({ campaignDay: CD, dailyBudget: budget, committed, outstanding, holdUntil, dayEnd: DAY_END, now: NOON });
}

const grantReq = (over: Partial<GrantRequest> = {}): GrantRequest => ({
  campaignDay: CD,
  bidderId: 'bidder-a',
  want: 100,
  ttlMs: 10_000,
  graceMs: 5_000,
  releasedNow: Number.MAX_SAFE_INTEGER,
  now: NOON,
  ...over,
});

describe('RedisBudgetAllocator', () => {
  beforeEach(() => ctx.flush());

  it('refuses to grant for a campaign-day it has no state for', async () => {
    expect(await ctx.allocator.grantLease(grantReq())).toEqual({ status: 'uninitialised' });
    expect(await ctx.allocator.state(CD)).toBeUndefined();
  });

  it('200 concurrent grants from 8 connections on a small budget never over-grant', async () => {
    await init(1_000);
    const allocators = await Promise.all(Array.from({ length: 8 }, async () => new RedisBudgetAllocator(await ctx.client())));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => allocators[i % 8]!.grantLease(grantReq({ bidderId: `b${i}`, want: 7 }))),
    );
    const granted = results.flatMap((r) => (r.status === 'granted' ? [r.lease.amount] : []));
    const total = granted.reduce((a, b) => a + b, 0);
    expect(total).toBe(1_000); // 142 grants of 7 and one of 6: all of it, never more
    expect(granted.length).toBe(143);
    expect(results.filter((r) => r.status === 'exhausted')).toHaveLength(57);
    const ids = results.flatMap((r) => (r.status === 'granted' ? [r.lease.leaseId] : []));
    expect(new Set(ids).size).toBe(ids.length);
    const st = await ctx.allocator.state(CD);
    expect(st).toMatchObject({ dailyBudget: 1_000, released: 1_000, granted: 1_000, committed: 0, openLeases: 143 });
  });

  it('resolveBids: a committed bid answers its amount, the others are voided atomically (later commits refused)', async () => {
    expect(await ctx.allocator.resolveBids({ campaignDay: CD, bidIds: ['x'], now: NOON })).toEqual({ status: 'uninitialised' });
    await init(1_000);
    const g = await ctx.allocator.grantLease(grantReq({ want: 300 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const leaseId = g.lease.leaseId;
    expect(await ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId: 'elsewhere', amount: 120, now: NOON })).toEqual({ status: 'committed', amount: 120 });
    // One round trip for several bids, racing late commits of the voided ones from 4 connections.
    const others = await Promise.all(Array.from({ length: 4 }, async () => new RedisBudgetAllocator(await ctx.client())));
    const [resolved, ...late] = await Promise.all([
      ctx.allocator.resolveBids({ campaignDay: CD, bidIds: ['elsewhere', 'nobody', 'racing'], now: NOON + 1 }),
      ...others.map((a) => a.commitSpend({ campaignDay: CD, leaseId, bidId: 'racing', amount: 50, now: NOON + 1 })),
    ]);
    if (resolved!.status !== 'resolved') throw new Error('not resolved');
    const racingCommitted = late.some((r) => r.status === 'committed');
    // Either the racing bid was committed before the resolve (and is reported), or voided and refused: never both.
    expect(resolved!.committed.get('racing') !== undefined).toBe(racingCommitted);
    expect(resolved!.committed.get('elsewhere')).toBe(120);
    expect(resolved!.committed.has('nobody')).toBe(false);
    expect(await ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId: 'nobody', amount: 10, now: NOON + 2 })).toEqual({ status: 'refused', reason: 'voided' });
    const st = await ctx.allocator.state(CD);
    expect(st!.committed).toBe(120 + (racingCommitted ? 50 : 0));
    // Resolving again changes nothing.
    const again = await ctx.allocator.resolveBids({ campaignDay: CD, bidIds: ['elsewhere', 'nobody'], now: NOON + 3 });
    expect(again.status === 'resolved' && [...again.committed]).toEqual([['elsewhere', 120]]);
  });

  it('grants follow the released amount, never the want, and honour minAmount', async () => {
    await init(1_000);
    const g1 = await ctx.allocator.grantLease(grantReq({ want: 500, releasedNow: 300 }));
    expect(g1.status === 'granted' && g1.lease.amount).toBe(300);
    // released never goes back down even if a caller's clock is behind
    const g2 = await ctx.allocator.grantLease(grantReq({ want: 500, releasedNow: 100 }));
    expect(g2.status).toBe('exhausted');
    const g3 = await ctx.allocator.grantLease(grantReq({ want: 500, releasedNow: 350, minAmount: 60 }));
    expect(g3.status).toBe('exhausted');
    const g4 = await ctx.allocator.grantLease(grantReq({ want: 500, releasedNow: 5_000 }));
    expect(g4.status === 'granted' && g4.lease.amount).toBe(500);
    expect(await ctx.allocator.state(CD)).toMatchObject({ released: 1_000, granted: 800 });
  });

  it('caps a lease at the end of the day and grants nothing after it', async () => {
    await init(1_000);
    const late = await ctx.allocator.grantLease(grantReq({ now: DAY_END - 1_000 }));
    expect(late.status === 'granted' && late.lease.expiresAt).toBe(DAY_END);
    expect((await ctx.allocator.grantLease(grantReq({ now: DAY_END }))).status).toBe('day_closed');
  });

  it('commits are idempotent per bid id, even when the same notice races itself', async () => {
    await init(1_000);
    const g = await ctx.allocator.grantLease(grantReq({ want: 100 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const allocators = await Promise.all(Array.from({ length: 4 }, async () => new RedisBudgetAllocator(await ctx.client())));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        allocators[i % 4]!.commitSpend({ campaignDay: CD, leaseId: g.lease.leaseId, bidId: 'bid-1', amount: 40, now: NOON + 1 }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'committed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(19);
    expect((await ctx.allocator.state(CD))!.committed).toBe(40);
  });

  it('never commits more than a lease holds, however many notices arrive at once', async () => {
    await init(1_000);
    const g = await ctx.allocator.grantLease(grantReq({ want: 100 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ctx.allocator.commitSpend({ campaignDay: CD, leaseId: g.lease.leaseId, bidId: `bid-${i}`, amount: 7, now: NOON + 1 }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'committed')).toHaveLength(14);
    expect(outcomes.filter((o) => o.status === 'refused' && o.reason === 'over_lease')).toHaveLength(36);
    expect(await ctx.allocator.state(CD)).toMatchObject({ committed: 98, granted: 100, refusedCommits: 36, refusedAmount: 252 });
  });

  it('fills a lease exactly to its amount and not one nano more', async () => {
    await init(1_000);
    const g = await ctx.allocator.grantLease(grantReq({ want: 100 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const commit = (bidId: string, amount: number) =>
      ctx.allocator.commitSpend({ campaignDay: CD, leaseId: g.lease.leaseId, bidId, amount, now: NOON + 1 });
    expect(await commit('a', 60)).toEqual({ status: 'committed', amount: 60 });
    expect(await commit('b', 41)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(await commit('c', 40)).toEqual({ status: 'committed', amount: 40 });
    expect(await commit('d', 1)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(await ctx.allocator.state(CD)).toMatchObject({ committed: 100, granted: 100 });
  });

  it('holds a lease through its grace window, then reclaims only the uncommitted part', async () => {
    await init(1_000);
    const g = await ctx.allocator.grantLease(grantReq({ want: 100, ttlMs: 1_000, graceMs: 2_000 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const { leaseId, expiresAt, reclaimAt } = g.lease;
    expect([expiresAt, reclaimAt]).toEqual([NOON + 1_000, NOON + 3_000]);
    await ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId: 'a', amount: 30, now: NOON + 500 });
    // Past expiresAt but inside the grace window: a won-but-unbilled bid can still be billed.
    expect(await ctx.allocator.expireLeases(CD, reclaimAt - 1)).toEqual({ leases: 0, reclaimed: 0 });
    expect(await ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId: 'b', amount: 20, now: reclaimAt - 1 })).toEqual({
      status: 'committed',
      amount: 20,
    });
    expect(await ctx.allocator.expireLeases(CD, reclaimAt)).toEqual({ leases: 1, reclaimed: 50 });
    expect(await ctx.allocator.state(CD)).toMatchObject({ granted: 50, committed: 50, openLeases: 0 });
    expect(await ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId: 'c', amount: 1, now: reclaimAt + 1 })).toEqual({
      status: 'refused',
      reason: 'lease_closed',
    });
    // ...and the reclaimed amount can be granted again.
    const again = await ctx.allocator.grantLease(grantReq({ want: 10_000, now: reclaimAt + 2 }));
    expect(again.status === 'granted' && again.lease.amount).toBe(950);
  });

  it('reclaims by the server clock: a caller whose clock runs an hour fast reclaims no live lease and closes no day', async () => {
    // Prepare: a campaign-day of today, a lease granted now (real time: the server's clock).
    const today = new Date().toISOString().slice(0, 10);
    const campaignDay = `camp-live/${today}`;
    const dayEnd = Date.parse(`${today}T00:00:00Z`) + 86_400_000;
    const now = Date.now();
    await ctx.allocator.initCampaignDay({ campaignDay, dailyBudget: 1_000, committed: 0, outstanding: 0, holdUntil: 0, dayEnd, now });
    const g = await ctx.allocator.grantLease(grantReq({ campaignDay, want: 100, ttlMs: 10_000, graceMs: 5_000, now }));
    if (g.status !== 'granted') throw new Error('no grant');
    const fast = now + 3_600_000;
    // Act
    const expired = await ctx.allocator.expireLeases(campaignDay, fast);
    const committed = await ctx.allocator.commitSpend({ campaignDay, leaseId: g.lease.leaseId, bidId: 'live-bid', amount: 40, now: fast });
    const more = await ctx.allocator.grantLease(grantReq({ campaignDay, bidderId: 'fast-task', want: 100, now: dayEnd + 60_000 }));
    // Assess
    expect(expired).toEqual({ leases: 0, reclaimed: 0 });
    expect(committed).toEqual({ status: 'committed', amount: 40 });
    expect(more.status).toBe('granted');
    if (more.status === 'granted') expect(more.lease.expiresAt).toBeLessThanOrEqual(Date.now() + 10_000);
    expect(await ctx.allocator.state(campaignDay)).toMatchObject({ openLeases: 2, committed: 40 });
  });

  it('grant and commit reclaim expired leases of their campaign-day on the way', async () => {
    await init(100);
    const g = await ctx.allocator.grantLease(grantReq({ want: 100, ttlMs: 10, graceMs: 10 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const g2 = await ctx.allocator.grantLease(grantReq({ want: 100, now: g.lease.reclaimAt }));
    expect(g2.status === 'granted' && g2.lease.amount).toBe(100);
  });

  it('returnLease shrinks to what is kept, idempotently, and never below what is committed', async () => {
    await init(1_000);
    const g = await ctx.allocator.grantLease(grantReq({ want: 100 }));
    if (g.status !== 'granted') throw new Error('no grant');
    const { leaseId } = g.lease;
    await ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId: 'a', amount: 30, now: NOON + 1 });
    const req = { campaignDay: CD, leaseId, keep: 45, now: NOON + 2 };
    expect(await ctx.allocator.returnLease(req)).toEqual({ status: 'returned', returned: 55, amount: 45 });
    expect(await ctx.allocator.returnLease(req)).toEqual({ status: 'returned', returned: 0, amount: 45 });
    expect(await ctx.allocator.returnLease({ ...req, keep: 0 })).toEqual({ status: 'returned', returned: 15, amount: 30 });
    expect(await ctx.allocator.state(CD)).toMatchObject({ granted: 30, committed: 30 });
    expect(await ctx.allocator.returnLease({ ...req, leaseId: 'nope.1' })).toEqual({ status: 'unknown' });
  });

  it('checks committed ≤ granted ≤ released ≤ budget inside Redis and writes nothing when it fails', async () => {
    await init(1_000);
    const keys = budgetKeys(CD);
    await ctx.redis.hset(keys.state, 'granted', '2000'); // corrupt: granted above the budget
    await expect(ctx.allocator.grantLease(grantReq())).rejects.toThrow(/BUDGET_INVARIANT/);
    expect(await ctx.redis.hget(keys.state, 'seq')).toBe('0');
    expect(await ctx.redis.hlen(keys.leases)).toBe(0);
  });

  it('validates arguments inside the script', async () => {
    await init(1_000);
    await expect(ctx.allocator.grantLease(grantReq({ want: 1.5 }))).rejects.toThrow(RangeError);
    const fn = (ctx.redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>).budgetCommitSpend!;
    const k = budgetKeys(CD);
    await expect(fn.call(ctx.redis, k.state, k.leases, k.reclaim, k.bids, 'x.1', 'b', '-5', '1', '10')).rejects.toThrow(/BUDGET_BADARG/);
  });

  it('keeps amounts near 2^53 exact (no float rendering in Lua)', async () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    await init(big);
    const g = await ctx.allocator.grantLease(grantReq({ want: 1_000_000_000_000_000, releasedNow: big }));
    if (g.status !== 'granted') throw new Error('no grant');
    await ctx.allocator.commitSpend({ campaignDay: CD, leaseId: g.lease.leaseId, bidId: 'a', amount: 999_999_999_999_999, now: NOON + 1 });
    const g2 = await ctx.allocator.grantLease(grantReq({ want: big, releasedNow: big }));
    expect(g2.status === 'granted' && g2.lease.amount).toBe(big - 1_000_000_000_000_000);
    expect(await ctx.allocator.state(CD)).toMatchObject({ granted: big, committed: 999_999_999_999_999, released: big });
    expect(await ctx.redis.hget(budgetKeys(CD).state, 'granted')).toBe(String(big));
  });

  it('initialisation never overwrites existing state and expires the keys two days after the day', async () => {
    expect((await init(1_000)).status).toBe('initialised');
    await ctx.allocator.grantLease(grantReq({ want: 100 }));
    const second = await init(5_000);
    expect(second.status).toBe('exists');
    expect(second.state).toMatchObject({ dailyBudget: 1_000, granted: 100 });
    const ttl = await ctx.redis.pttl(budgetKeys(CD).state);
    expect(ttl).toBeGreaterThan(0);
  });
});

describe('RedisBudgetAllocator.amendBudget (init.lua, amend mode)', () => {
  beforeEach(() => ctx.flush());

  const amend = (dailyBudget: number, budgetVersion = 0, now = NOON + 10) => ctx.allocator.amendBudget({ campaignDay: CD, dailyBudget, budgetVersion, now });
  const grant = async (bidderId: string, want: number, now = NOON) => {
    const g = await ctx.allocator.grantLease(grantReq({ bidderId, want, now }));
    if (g.status !== 'granted') throw new Error(`no grant: ${g.status}`);
    return g.lease.leaseId;
  };
  const commit = (leaseId: string, bidId: string, amount: number) => ctx.allocator.commitSpend({ campaignDay: CD, leaseId, bidId, amount, now: NOON + 20 });

  it('answers uninitialised for a campaign-day without state and creates nothing', async () => {
    // Act
    const outcome = await amend(500);
    // Assess
    expect(outcome).toEqual({ status: 'uninitialised' });
    expect(await ctx.allocator.state(CD)).toBeUndefined();
  });

  it('lowered between committed and granted: the newest lease gives back the excess and commits beyond the new budget are refused', async () => {
    // Prepare: two leases of 400 (b is newer), 100 committed on a.
    await init(1_000);
    const a = await grant('a', 400, NOON);
    const b = await grant('b', 400, NOON + 1);
    await commit(a, 'a1', 100);
    // Act
    const outcome = await amend(500, 2);
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', previousBudget: 1_000, withdrawn: 300 });
    expect(outcome.status === 'amended' && outcome.state).toMatchObject({ dailyBudget: 500, released: 500, granted: 500, committed: 100, budgetVersion: 2 });
    expect(await commit(b, 'b1', 100)).toEqual({ status: 'committed', amount: 100 });
    expect(await commit(b, 'b2', 1)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(await commit(a, 'a2', 300)).toEqual({ status: 'committed', amount: 300 });
    expect(await commit(a, 'a3', 1)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect((await ctx.allocator.grantLease(grantReq({ now: NOON + 30 }))).status).toBe('exhausted');
    expect(await ctx.allocator.state(CD)).toMatchObject({ dailyBudget: 500, granted: 500, committed: 500 });
  });

  it('is idempotent: the same amendment again changes nothing', async () => {
    // Prepare
    await init(1_000);
    await grant('a', 800);
    const first = await amend(500, 2);
    // Act
    const again = await amend(500, 2);
    // Assess
    expect(first.status).toBe('amended');
    expect(again).toEqual({ status: 'unchanged', state: first.status === 'amended' ? first.state : undefined });
  });

  it('lowered below committed: what is committed is the budget in force, every lease shrinks to its commits, nothing more is granted', async () => {
    // Prepare
    await init(1_000);
    const a = await grant('a', 600);
    await commit(a, 'a1', 450);
    // Act
    const outcome = await amend(300);
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', withdrawn: 150, state: { dailyBudget: 450, released: 450, granted: 450, committed: 450 } });
    expect(await commit(a, 'a2', 1)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect((await ctx.allocator.grantLease(grantReq({ now: NOON + 30 }))).status).toBe('exhausted');
  });

  it('lowered with a restart hold open: the hold gives back first, so leases of the new epoch keep their room', async () => {
    // Prepare: re-initialised with 400 held for leases of the lost state (reclaimed before the new
    // lease of 300 is: the hold goes first whatever the reclaim order).
    await init(1_000, 0, 400, NOON + 12_000);
    const fresh = await grant('a', 300);
    // Act
    const outcome = await amend(500);
    // Assess: 200 came off the hold, none off the fresh lease.
    expect(outcome).toMatchObject({ status: 'amended', withdrawn: 200, state: { granted: 500 } });
    expect(await commit('lost.1', 'old1', 250)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(await commit('lost.1', 'old2', 200)).toEqual({ status: 'committed', amount: 200 });
    expect(await commit(fresh, 'new1', 300)).toEqual({ status: 'committed', amount: 300 });
  });

  it('raised: the new curve releases more and it is granted', async () => {
    // Prepare: everything of 1,000 granted.
    await init(1_000);
    await grant('a', 1_000);
    // Act
    const outcome = await amend(1_600, 3);
    const more = await ctx.allocator.grantLease(grantReq({ want: 10_000, releasedNow: 1_600, now: NOON + 30 }));
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', previousBudget: 1_000, withdrawn: 0, state: { dailyBudget: 1_600, released: 1_000 } });
    expect(more.status === 'granted' && more.lease.amount).toBe(600);
  });

  it('an older version than the one in force changes nothing (a bidder whose catalog lags)', async () => {
    // Prepare
    await init(1_000);
    await amend(500, 7);
    // Act
    const stale = await amend(1_000, 6);
    // Assess
    expect(stale).toMatchObject({ status: 'stale', state: { dailyBudget: 500, budgetVersion: 7 } });
  });

  it('racing commits on 4 connections: nothing is committed beyond the budget in force once the lowering ran', async () => {
    // Prepare: 10 leases of 100, 120 commits of 10 racing one lowering to 300.
    await init(1_000);
    const leases: string[] = [];
    for (let i = 0; i < 10; i++) leases.push(await grant(`b${i}`, 100, NOON + i));
    const allocators = await Promise.all(Array.from({ length: 4 }, async () => new RedisBudgetAllocator(await ctx.client())));
    const commitAt = (i: number) =>
      allocators[i % 4]!.commitSpend({ campaignDay: CD, leaseId: leases[i % 10]!, bidId: `bid${i}`, amount: 10, now: NOON + 20 });
    // Act: the lowering is sent between the two halves of the commits.
    const before = Array.from({ length: 60 }, (_, i) => commitAt(i));
    const lowering = ctx.allocator.amendBudget({ campaignDay: CD, dailyBudget: 300, now: NOON + 20 });
    const after = Array.from({ length: 60 }, (_, i) => commitAt(60 + i));
    const [outcome, ...commits] = await Promise.all([lowering, ...before, ...after]);
    // Assess: the budget in force is 300, or what was committed when the lowering ran if more.
    if (outcome!.status !== 'amended' && outcome!.status !== 'unchanged') throw new Error(`not amended: ${outcome!.status}`);
    const inForce = outcome!.state.dailyBudget;
    expect(inForce).toBe(Math.max(300, outcome!.state.committed));
    const accepted = commits.filter((c) => c.status === 'committed').length * 10;
    expect(await ctx.allocator.state(CD)).toMatchObject({ dailyBudget: inForce, granted: inForce, committed: accepted });
    expect(accepted).toBeLessThanOrEqual(inForce);
  });
});
