import { describe, expect, it } from 'vitest';
import { campaignDayId } from '../../../shared/budget/campaign-day.js';
import { LeaseManager, type LeaseEvent } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import { InMemoryBudgetSource } from '../../../shared/budget/memory-source.js';

const NOON = Date.UTC(2026, 10, 22, 12);
const CD = campaignDayId({ campaignId: 'c1', day: '2026-11-22' });

function setup(pacing: 'even' | 'asap' = 'asap', budget = 10_000) {
  const allocator = new MemoryBudgetAllocator();
  const source = new InMemoryBudgetSource();
  source.setCampaign('c1', budget, pacing);
  const clock = { now: NOON };
  const events: LeaseEvent[] = [];
  const m = new LeaseManager({
    allocator,
    source,
    bidderId: 'b1',
    campaigns: () => [{ campaignId: 'c1', leaseAmount: 1_000, lowWaterMark: 300 }],
    clock: () => clock.now,
    leaseTtlMs: 5_000,
    reservationTtlMs: 2_000,
    clockSkewMs: 100,
    commitAttempts: 1,
    onEvent: (e) => events.push(e),
  });
  return { allocator, source, clock, m, events };
}

async function preInit(allocator: MemoryBudgetAllocator, budget = 10_000) {
  await allocator.initCampaignDay({ campaignDay: CD, dailyBudget: budget, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: Date.UTC(2026, 10, 23), now: 0 });
}

describe('LeaseManager', () => {
  it('takes a lease, reserves locally, refreshes below the low-water mark, returns unspent on stop', async () => {
    const { allocator, m } = setup();
    await preInit(allocator);
    await m.refresh();
    expect(m.local.remaining('c1', NOON)).toBe(1_000);
    for (let i = 0; i < 8; i++) expect(m.tryReserve('c1', 100, `b${i}`)).toBe(true);
    expect((await m.commit('b0', 80)).billable).toBe(true);
    await m.refresh(); // 200 left < 300: another lease
    expect(m.local.remaining('c1', NOON)).toBe(1_220);
    expect((await allocator.state(CD))!.granted).toBe(2_000);
    const { returned } = await m.stop();
    expect(returned).toBe(1_220);
    expect(m.tryReserve('c1', 1, 'late')).toBe(false);
    expect(await allocator.state(CD)).toMatchObject({ granted: 780, committed: 80 });
  });

  it('fails closed: allocator unreachable → no grant, and once the local lease is spent no reservation', async () => {
    const { allocator, m, events } = setup();
    await preInit(allocator);
    await m.refresh();
    allocator.unreachable = true;
    let n = 0;
    while (m.tryReserve('c1', 100, `x${n}`)) n++;
    expect(n).toBe(10);
    await m.refresh();
    expect(m.allocatorReachable).toBe(false);
    expect(events.some((e) => e.type === 'allocator_error' && e.operation === 'grantLease')).toBe(true);
    expect(m.tryReserve('c1', 100, 'y')).toBe(false);
    expect(m.tryReserve('c1', 1, 'z')).toBe(false);
    // A billing notice that cannot be confirmed is not billable.
    expect(await m.commit('x0')).toMatchObject({ billable: false, status: 'unconfirmed' });
    allocator.unreachable = false;
    await m.refresh();
    expect(m.tryReserve('c1', 100, 'w')).toBe(true);
  });

  it('fails closed when the allocator lost its state: re-initialises with a hold, grants again after it', async () => {
    const { allocator, source, clock, m, events } = setup('asap', 10_000);
    await preInit(allocator);
    await m.refresh();
    m.tryReserve('c1', 500, 'a');
    const report = await m.commit('a');
    expect(report.billable).toBe(true);
    source.recordSpend({ campaignId: 'c1', day: '2026-11-22' }, 'a', 500);
    allocator.lose();
    for (let i = 0; i < 5; i++) m.tryReserve('c1', 100, `r${i}`); // spends the rest of the local lease
    clock.now += 6_000; // local lease expired
    await m.refresh();
    expect(events.find((e) => e.type === 'initialised')).toMatchObject({ committed: 500, outstanding: 9_500 });
    expect(m.tryReserve('c1', 1, 'held')).toBe(false); // everything is held until old leases end
    clock.now += 5_000 + 2_000 + 200 + 100 + 1; // lease TTL + grace + skew
    await m.refresh();
    expect(m.tryReserve('c1', 100, 'again')).toBe(true);
  });

  it('pre-initialises tomorrow before midnight so the new day needs no hold', async () => {
    const { allocator, clock, m } = setup('asap', 10_000);
    clock.now = Date.UTC(2026, 10, 22, 23, 55);
    await preInit(allocator);
    await m.refresh();
    const tomorrow = campaignDayId({ campaignId: 'c1', day: '2026-11-23' });
    expect(await allocator.state(tomorrow)).toMatchObject({ granted: 0, released: 0, openLeases: 0 });
    clock.now = Date.UTC(2026, 10, 23, 0, 0, 1);
    await m.refresh();
    expect(m.local.remaining('c1', clock.now)).toBe(1_000);
  });

  it('even pacing grants only what the curve has released', async () => {
    const { allocator, clock, m } = setup('even', 86_400);
    await preInit(allocator, 86_400);
    clock.now = Date.UTC(2026, 10, 22, 0, 0, 0, 500); // 0.5 s into the day: 0 released
    await m.refresh();
    expect(m.local.remaining('c1', clock.now)).toBe(0);
    clock.now = Date.UTC(2026, 10, 22, 0, 5); // 300 s: 300 released
    await m.refresh();
    expect(m.local.remaining('c1', clock.now)).toBe(300);
  });
});
