/**
 * LeaseManager with the Redis allocator on a real redis-server, real clock and short leases:
 * spends through local leases, fails closed when Redis stops (no grants; once the local lease is
 * used up or expires, tryReserve answers false), and after Redis comes back empty it re-initialises
 * conservatively and never bills more than the budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisBudgetAllocator } from '../../../shared/adapters/redis/redis-allocator.js';
import { connectBudgetRedis, createBudgetRedis } from '../../../shared/adapters/redis/client.js';
import { LeaseManager } from '../../../shared/budget/lease-manager.js';
import { InMemoryBudgetSource } from '../../../shared/budget/memory-source.js';
import { campaignDayId, utcDay } from '../../../shared/budget/campaign-day.js';
import { useRedis } from './support.js';

const ctx = useRedis();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manager(source: InMemoryBudgetSource, allocator: RedisBudgetAllocator, bidderId: string, leaseAmount: number) {
  return new LeaseManager({
    allocator,
    source,
    bidderId,
    campaigns: () => [{ campaignId: 'camp-m', leaseAmount, maxImpressionCost: 10 }],
    leaseTtlMs: 400,
    reservationTtlMs: 200,
    clockSkewMs: 20,
    refreshIntervalMs: 20,
    commitRetryMs: 100,
    commitAttempts: 3,
  });
}

let managers: LeaseManager[] = [];
afterEach(async () => {
  for (const m of managers) await m.stop();
  managers = [];
  if (ctx.redis.status !== 'ready') await connectBudgetRedis(ctx.redis, 10_000).catch(() => {});
});

async function reserveUntilFalse(m: LeaseManager, prefix: string, cost: number, limit = 10_000): Promise<string[]> {
  const bids: string[] = [];
  for (let i = 0; i < limit; i++) {
    const id = `${prefix}-${i}`;
    if (!m.tryReserve('camp-m', cost, id)) break;
    bids.push(id);
  }
  return bids;
}

describe('LeaseManager on Redis', () => {
  it('spends through leases, refreshes in the background and returns unspent amounts on stop', async () => {
    await ctx.flush();
    const source = new InMemoryBudgetSource();
    source.setCampaign('camp-m', 100_000, 'asap');
    const redis = createBudgetRedis(ctx.server.url);
    await connectBudgetRedis(redis);
    const allocator = new RedisBudgetAllocator(redis);
    const cd = campaignDayId({ campaignId: 'camp-m', day: utcDay(Date.now()) });
    // Pre-initialised day (no restart hold).
    const dayEnd = Date.parse(`${utcDay(Date.now())}T00:00:00Z`) + 86_400_000;
    await allocator.initCampaignDay({ campaignDay: cd, dailyBudget: 100_000, committed: 0, outstanding: 0, holdUntil: 0, dayEnd, now: Date.now() });
    const m = manager(source, allocator, 'bidder-1', 1_000);
    managers.push(m);
    m.start();
    let billed = 0;
    for (let round = 0; round < 20; round++) {
      await sleep(25);
      for (const bid of await reserveUntilFalse(m, `r${round}`, 10, 30)) {
        const report = await m.commit(bid);
        if (report.billable) billed += report.amount;
      }
    }
    expect(billed).toBeGreaterThan(1_000); // more than one lease's worth: refreshed in the background
    const { returned } = await m.stop();
    const st = await allocator.state(cd);
    expect(st!.committed).toBe(billed);
    expect(st!.granted).toBe(billed); // every unspent amount went back
    expect(returned).toBeGreaterThanOrEqual(0);
    redis.disconnect();
  });

  it('fails closed when Redis stops, and after Redis comes back empty never bills past the budget', async () => {
    await ctx.flush();
    const BUDGET = 5_000;
    const source = new InMemoryBudgetSource();
    source.setCampaign('camp-m', BUDGET, 'asap');
    const redis = createBudgetRedis(ctx.server.url, { commandTimeoutMs: 100 });
    await connectBudgetRedis(redis);
    const allocator = new RedisBudgetAllocator(redis);
    const cd = campaignDayId({ campaignId: 'camp-m', day: utcDay(Date.now()) });
    const dayEnd = Date.parse(`${utcDay(Date.now())}T00:00:00Z`) + 86_400_000;
    await allocator.initCampaignDay({ campaignDay: cd, dailyBudget: BUDGET, committed: 0, outstanding: 0, holdUntil: 0, dayEnd, now: Date.now() });
    const m = manager(source, allocator, 'bidder-2', 500);
    managers.push(m);
    const events: string[] = [];
    let billed = 0;
    const bill = async (bid: string) => {
      const report = await m.commit(bid);
      if (report.billable && report.status === 'committed') {
        billed += report.amount;
        const [campaignId, day] = report.campaignDay.split('/') as [string, string];
        source.recordSpend({ campaignId, day }, bid, report.amount); // the reconciler
      }
      return report;
    };
    await m.refresh();
    const first = await reserveUntilFalse(m, 'a', 10);
    expect(first.length).toBe(50);
    for (const bid of first.slice(0, 20)) expect((await bill(bid)).billable).toBe(true);
    await m.refresh(); // tops up
    const held = await reserveUntilFalse(m, 'b', 10, 5); // won, not yet billed when Redis dies

    // Redis goes away.
    await ctx.server.kill();
    await sleep(50);
    const before = m.local.remaining('camp-m', Date.now());
    const local = await reserveUntilFalse(m, 'c', 10);
    // Only what was already granted can be reserved, then nothing: fail closed.
    expect(local.length * 10).toBeLessThanOrEqual(before);
    expect(m.tryReserve('camp-m', 10, 'c-extra')).toBe(false);
    await m.refresh(); // wants a new lease, cannot reach Redis: nothing granted, nothing guessed
    expect(m.allocatorReachable).toBe(false);
    expect(m.tryReserve('camp-m', 10, 'c-extra-2')).toBe(false);
    await sleep(450); // the local leases expire
    await m.refresh();
    expect(m.tryReserve('camp-m', 10, 'after-expiry')).toBe(false);
    // Notices that cannot be confirmed are not billable.
    const t0 = Date.now();
    const unconfirmed = await m.commit(held[0]!);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(unconfirmed.billable).toBe(false);
    events.push(unconfirmed.status);

    // Redis comes back empty. The manager re-initialises from the source (committed so far) with a
    // hold for leases that may still be out, then keeps spending; the total never passes the budget.
    await ctx.server.restart();
    await connectBudgetRedis(redis, 10_000);
    m.start();
    const deadline = Date.now() + 4_000;
    while (Date.now() < deadline) {
      await sleep(15);
      for (const bid of await reserveUntilFalse(m, `d${Date.now()}`, 10, 20)) await bill(bid);
      const st = await allocator.state(cd);
      if (st && st.committed >= BUDGET) break;
    }
    const st = await allocator.state(cd);
    expect(st).toBeDefined();
    expect(st!.committed).toBeLessThanOrEqual(BUDGET);
    expect(billed).toBeLessThanOrEqual(BUDGET);
    expect(source.committedFor({ campaignId: 'camp-m', day: utcDay(Date.now()) })).toBe(billed);
    // It did deliver after the restart (the hold ended and the rest was granted again).
    expect(billed).toBeGreaterThan(BUDGET * 0.9);
    await m.stop();
    redis.disconnect();
  });
});
