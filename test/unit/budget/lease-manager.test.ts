import { describe, expect, it } from 'vitest';
import { campaignDayId } from '../../../shared/budget/campaign-day.js';
import type { CampaignBudgetTerms, LeaseManager, LeaseManagerOptions } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import { InMemoryBudgetSource } from '../../../shared/budget/memory-source.js';
import type { LoadContext } from '../../../shared/budget/ports.js';
import { testLeaseManager } from './lease-manager-fixture.js';

const NOON = Date.UTC(2026, 10, 22, 12);
const CD = campaignDayId({ campaignId: 'c1', day: '2026-11-22' });

function setup(pacing: 'even' | 'asap' = 'asap', budget = 10_000, over: Partial<LeaseManagerOptions> = {}) {
  const allocator = new MemoryBudgetAllocator();
  const source = new InMemoryBudgetSource();
  source.setCampaign('c1', budget, pacing);
  const clock = { now: NOON };
  const { m, events } = testLeaseManager({ source, clock, allocator, plan: { leaseAmount: 1_000, lowWaterMark: 300 }, over });
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

/** The bidder's catalog: the campaign's current budget terms, changed by the advertiser mid-day. */
function catalog(dailyBudget: number, pacing: 'even' | 'asap' = 'asap', leaseAmount = 1_000) {
  const terms: CampaignBudgetTerms = { dailyBudget, pacing, version: 1 };
  return {
    campaigns: () => [{ campaignId: 'c1', leaseAmount, lowWaterMark: 300, budget: { ...terms } }],
    change(budget: number) {
      terms.dailyBudget = budget;
      terms.version = (terms.version ?? 0) + 1;
    },
  };
}

async function spend(m: LeaseManager, prefix: string, count: number, cost: number): Promise<number> {
  let billed = 0;
  for (let i = 0; i < count; i++) {
    if (!m.tryReserve('c1', cost, `${prefix}${i}`)) break;
    const report = await m.commit(`${prefix}${i}`);
    if (report.billable) billed += report.amount;
  }
  return billed;
}

describe('LeaseManager: mid-day budget changes', () => {
  it('lowered below what is committed: that is the budget in force, the local lease stops reserving, nothing more is granted', async () => {
    // Prepare: 900 of a 1,000 lease committed.
    const shop = catalog(10_000);
    const { allocator, m, events } = setup('asap', 10_000, { campaigns: shop.campaigns });
    await preInit(allocator);
    await m.refresh();
    expect(await spend(m, 'a', 9, 100)).toBe(900);
    // Act
    shop.change(500);
    await m.refresh();
    await m.refresh();
    // Assess
    expect(events.find((e) => e.type === 'budget_amended')).toMatchObject({ from: 10_000, to: 900 });
    expect(m.tryReserve('c1', 1, 'more')).toBe(false);
    expect(await allocator.state(CD)).toMatchObject({ dailyBudget: 900, granted: 900, committed: 900, budgetVersion: 2 });
    expect(events.filter((e) => e.type === 'granted')).toHaveLength(1);
  });

  it('lowered between committed and granted: the reservations already made are billed, nothing beyond the new budget', async () => {
    // Prepare: this bidder holds 1,000 (300 committed, 300 reserved), another bidder a newer lease of 1,000.
    const shop = catalog(10_000);
    const { allocator, m, events } = setup('asap', 10_000, { campaigns: shop.campaigns });
    await preInit(allocator);
    await m.refresh();
    const other = await allocator.grantLease({ campaignDay: CD, bidderId: 'other', want: 1_000, ttlMs: 10_000, graceMs: 5_000, releasedNow: 10_000, now: NOON + 1 });
    if (other.status !== 'granted') throw new Error('no grant');
    expect(await spend(m, 'a', 3, 100)).toBe(300);
    for (let i = 0; i < 3; i++) expect(m.tryReserve('c1', 100, `r${i}`)).toBe(true);
    // Act
    shop.change(1_200);
    await m.refresh();
    const reserved = await Promise.all([0, 1, 2].map((i) => m.commit(`r${i}`)));
    const otherCommits = [];
    for (let i = 0; i < 7; i++) {
      otherCommits.push(await allocator.commitSpend({ campaignDay: CD, leaseId: other.lease.leaseId, bidId: `o${i}`, amount: 100, now: NOON + 2 }));
    }
    await m.refresh();
    // Assess: this bidder gave back its unreserved 400, the other lease gave back 400.
    expect(events.find((e) => e.type === 'budget_amended')).toMatchObject({ from: 10_000, to: 1_200, withdrawn: 400 });
    expect(reserved.every((r) => r.billable)).toBe(true);
    expect(otherCommits.filter((o) => o.status === 'committed')).toHaveLength(6);
    expect(otherCommits[6]).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(m.tryReserve('c1', 1, 'more')).toBe(false);
    expect(await allocator.state(CD)).toMatchObject({ dailyBudget: 1_200, granted: 1_200, committed: 1_200 });
  });

  it('a bidder that has not seen the lowering yet: its bills beyond its withdrawn lease room are refused, not billable', async () => {
    // Prepare: two bidders; the lagging one holds the newer lease.
    const fresh = catalog(10_000);
    const lagging = catalog(10_000);
    const a = setup('asap', 10_000, { campaigns: fresh.campaigns, bidderId: 'a' });
    const b = setup('asap', 10_000, { campaigns: lagging.campaigns, bidderId: 'b', allocator: a.allocator });
    await preInit(a.allocator);
    await a.m.refresh();
    await b.m.refresh();
    // Act: only a's catalog sees the budget go down to 500 (a gives its own lease back first).
    fresh.change(500);
    await a.m.refresh();
    const billedByB = await spend(b.m, 'b', 10, 100);
    // Assess
    expect(billedByB).toBe(500);
    expect(b.events.filter((e) => e.type === 'commit_refused')).toHaveLength(5);
    expect(await a.allocator.state(CD)).toMatchObject({ dailyBudget: 500, committed: 500 });
  });

  it('raised: even pacing delivers along the curve of the new budget', async () => {
    // Prepare: noon, even pacing, 86,400 a day: 43,200 released, all of it spent.
    const shop = catalog(86_400, 'even', 100_000);
    const { allocator, m } = setup('even', 86_400, { campaigns: shop.campaigns });
    await preInit(allocator, 86_400);
    await m.refresh();
    expect(await spend(m, 'a', 1, 43_200)).toBe(43_200);
    // Act
    shop.change(172_800);
    await m.refresh();
    // Assess: the new curve has released 86,400 by noon.
    expect(m.local.remaining('c1', NOON)).toBe(43_200);
    expect(await allocator.state(CD)).toMatchObject({ dailyBudget: 172_800, released: 86_400, granted: 86_400 });
  });

  it('fails closed: while a change cannot be brought into the allocator, nothing is granted', async () => {
    // Prepare: the local lease is spent, then the budget changes and the amendment fails.
    const shop = catalog(10_000);
    const { allocator, m, events } = setup('asap', 10_000, { campaigns: shop.campaigns });
    await preInit(allocator);
    await m.refresh();
    await spend(m, 'a', 10, 100);
    const amend = allocator.amendBudget.bind(allocator);
    allocator.amendBudget = async () => {
      throw new Error('script error');
    };
    shop.change(5_000);
    // Act
    await m.refresh();
    const whileFailing = m.local.remaining('c1', NOON);
    allocator.amendBudget = amend;
    await m.refresh();
    // Assess
    expect(whileFailing).toBe(0);
    expect(events.some((e) => e.type === 'allocator_error' && e.operation === 'amendBudget')).toBe(true);
    expect(m.allocatorReachable).toBe(true);
    expect(m.local.remaining('c1', NOON)).toBe(1_000);
    expect((await allocator.state(CD))!.dailyBudget).toBe(5_000);
  });

  it('brings its terms in again when the state was rebuilt (e.g. by a bidder whose catalog lagged)', async () => {
    // Prepare: amended to 3,000, then Redis lost the day and it was re-initialised with the old 10,000.
    const shop = catalog(10_000);
    const { allocator, m } = setup('asap', 10_000, { campaigns: shop.campaigns });
    await preInit(allocator);
    await m.refresh();
    shop.change(3_000);
    await m.refresh();
    allocator.lose();
    await preInit(allocator, 10_000);
    await spend(m, 'a', 10, 100);
    // Act
    await m.refresh(); // a grant sees the new epoch
    await m.refresh();
    // Assess
    expect((await allocator.state(CD))!.dailyBudget).toBe(3_000);
  });
});

describe('LeaseManager initialisation and clock skew', () => {
  it('a day starting within the clock skew counts as started: its (re)initialisation waits for the ledger to cover the loss', async () => {
    // Prepare: 50 ms before midnight by this bidder's clock, skew bound 100 ms.
    const initialisations: Array<{ day: string; context: LoadContext }> = [];
    const source = new InMemoryBudgetSource();
    source.setCampaign('c1', 10_000, 'asap');
    const { allocator, clock, m } = setup('asap', 10_000, {
      source: { load: async (cd, context) => (context && initialisations.push({ day: cd.day, context }), source.load(cd)) },
    });
    await preInit(allocator);
    clock.now = Date.UTC(2026, 10, 22, 23, 59, 59, 950);
    // Act
    await m.refresh();
    // Assess: tomorrow was pre-initialised with stateLostBy set.
    expect(initialisations).toEqual([{ day: '2026-11-23', context: { stateLostBy: clock.now } }]);
  });
});
