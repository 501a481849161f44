/**
 * Model-based test of the whole budget protocol in one process: three LeaseManagers (bidders, each
 * with its own clock skew) against one MemoryBudgetAllocator (the Redis scripts' semantics) and a
 * BudgetSource that records billable spend (the reconciler). Random interleavings of refresh
 * (grant/return), reserve, billing notice (sometimes twice), loss notice, clock moves, allocator
 * outages, allocator restarts (all state lost), bidder shutdowns and mid-day changes of a campaign's
 * daily budget in the bidders' catalog (versioned; each bidder sees it on its next refresh). Asserted
 * after every step:
 *
 *  - billable spend per campaign-day (deduplicated by bid id) never exceeds the budget in force when
 *    each commit was accepted: when the allocator's budget changes to the catalog's budget B of
 *    version v, from then on billable ≤ max(B, billable before the change) (spend is never undone);
 *  - the allocator's budget in force is max(catalog budget of the version it holds, committed), and
 *    committed ≤ granted ≤ released ≤ that budget (it also throws on any violation);
 *  - no notice accepted by a bidder is refused by the allocator while it is reachable (the local
 *    and shared books agree, also across restarts and clock skew within the configured bound),
 *    unless the campaign's budget in force went down (lease room withdrawn is a house cost);
 * and at the end, once a fresh bidder brought the final catalog in, every bidder has stopped and every
 * lease and hold has expired: billable ≤ max(final budget, billable when it came into force), and
 * nothing is stuck: granted == committed == billable spend, so the rest can still be delivered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignDayId, utcDay } from '../../../shared/budget/campaign-day.js';
import { LeaseManager, type CommitReport } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import { InMemoryBudgetSource } from '../../../shared/budget/memory-source.js';

const CAMPAIGNS = [
  { id: 'even1', budget: 50_000, pacing: 'even' as const, lease: 4_000 },
  { id: 'asap1', budget: 20_000, pacing: 'asap' as const, lease: 3_000 },
];
const START = Date.UTC(2026, 10, 22, 12); // noon: half the even budget is released
const SKEW = 200;
const LEASE_TTL = 2_000;
const RES_TTL = 1_500;
let resends = 0;
/** Budget amendments the allocator took, and those that withdrew lease room (the property is not vacuous). */
let amendments = 0;
let withdrawals = 0;

type Cmd =
  | { k: 'refresh'; b: number }
  | { k: 'reserve'; b: number; c: number; cost: number }
  | { k: 'notice'; bid: number; pct: number; twice: boolean }
  | { k: 'loss'; bid: number }
  | { k: 'resend'; bid: number }
  | { k: 'advance'; ms: number }
  | { k: 'outage'; on: boolean }
  | { k: 'restart' }
  | { k: 'stop'; b: number }
  /** The advertiser sets campaign c's daily budget to pct % of its original. */
  | { k: 'amend'; c: number; pct: number }
  /** Bidder b's catalog refresh: it sees the campaigns' current terms from its next lease refresh. */
  | { k: 'catalog'; b: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('refresh' as const), b: fc.nat(2) }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('reserve' as const), b: fc.nat(2), c: fc.nat(1), cost: fc.integer({ min: 1, max: 900 }) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('notice' as const), bid: fc.nat(1000), pct: fc.integer({ min: 10, max: 100 }), twice: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('loss' as const), bid: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('resend' as const), bid: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('outage' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ k: 'restart' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('stop' as const), b: fc.nat(2) }) },
  // Mostly low enough to bind against the spend of one run (a few thousand).
  { weight: 2, arbitrary: fc.record({ k: fc.constant('amend' as const), c: fc.nat(1), pct: fc.oneof(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 200 })) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('catalog' as const), b: fc.nat(2) }) },
);

/**
 * Busy days: far more reservations and bills than the default mix, few disruptions, frequent budget
 * changes (mostly down to below what a run spends) and catalogs lagging each other, so lowerings land
 * while other bidders are spending on their leases.
 */
const busyArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('refresh' as const), b: fc.nat(2) }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('reserve' as const), b: fc.nat(2), c: fc.nat(1), cost: fc.integer({ min: 100, max: 900 }) }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('notice' as const), bid: fc.nat(1000), pct: fc.integer({ min: 50, max: 100 }), twice: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('amend' as const), c: fc.nat(1), pct: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('catalog' as const), b: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'restart' as const }) },
);

async function runScenario(cmds: Cmd[], skews: number[]) {
  const allocator = new MemoryBudgetAllocator();
  const source = new InMemoryBudgetSource();
  for (const c of CAMPAIGNS) source.setCampaign(c.id, c.budget, c.pacing);
  // The campaigns' current terms (the API's table), every version's budget, and each bidder's
  // catalog: a snapshot of the terms taken at its last catalog refresh (so bidders lag each other).
  type Terms = { dailyBudget: number; pacing: 'even' | 'asap'; version: number };
  const terms = new Map<string, Terms>(CAMPAIGNS.map((c) => [c.id, { dailyBudget: c.budget, pacing: c.pacing, version: 1 }]));
  const budgetAt = new Map(CAMPAIGNS.map((c) => [c.id, new Map([[1, c.budget]])]));
  const snapshot = () => new Map([...terms].map(([id, t]) => [id, { ...t }]));
  const catalogs = [...skews, 0].map(snapshot);
  const plans = (b: number) => () =>
    CAMPAIGNS.map((c) => ({ campaignId: c.id, leaseAmount: c.lease, maxImpressionCost: 1, budget: { ...catalogs[b]!.get(c.id)! } }));
  let now = START;
  // The day was initialised before it started (LeaseManager pre-initialises tomorrow shortly before
  // midnight), so it starts with no restart hold.
  for (const c of CAMPAIGNS) {
    await allocator.initCampaignDay({
      campaignDay: campaignDayId({ campaignId: c.id, day: utcDay(START) }),
      dailyBudget: c.budget,
      committed: 0,
      outstanding: 0,
      holdUntil: 0,
      dayEnd: Date.UTC(2026, 10, 23),
      budgetVersion: 1,
      now: Date.UTC(2026, 10, 21, 23, 55),
    });
  }
  // Per campaign-day: the allocator's budget in force last seen, the billable ceiling it implies,
  // billable at the previous check, and whether the budget in force ever went down.
  const inForce = new Map(CAMPAIGNS.map((c) => [c.id, c.budget]));
  const ceiling = new Map(CAMPAIGNS.map((c) => [c.id, c.budget]));
  const billableBefore = new Map<string, number>();
  const lowered = new Set<string>();
  const refusedWhileReachable = new Map<string, number>();
  const billable = new Map<string, number>(); // campaignDay -> billable spend
  const billedBids = new Set<string>();
  const bidOwner = new Map<string, { b: number; cost: number }>();
  const lastLease = new Map<string, string>();
  // What each billed notice sent to the allocator, and the allocator epoch it landed in.
  const sent = new Map<string, { campaignDay: string; leaseId: string; amount: number; epoch: string }>();
  let bidSeq = 0;

  const managers = [...skews, 0].map(
    (skew, i) =>
      new LeaseManager({
        allocator,
        source,
        bidderId: `bidder-${i}`,
        campaigns: plans(i),
        clock: () => now + skew,
        leaseTtlMs: LEASE_TTL,
        reservationTtlMs: RES_TTL,
        clockSkewMs: SKEW,
        commitAttempts: 2,
        preInitMs: 0,
        onEvent: (e) => {
          if (e.type !== 'budget_amended') return;
          amendments += 1;
          if (e.withdrawn > 0) withdrawals += 1;
        },
      }),
  );

  const record = (report: CommitReport, bidId: string) => {
    if (report.billable) {
      if (report.status === 'committed') {
        expect(billedBids.has(bidId)).toBe(false);
        billedBids.add(bidId);
        billable.set(report.campaignDay, (billable.get(report.campaignDay) ?? 0) + report.amount);
        const [campaignId, day] = report.campaignDay.split('/') as [string, string];
        source.recordSpend({ campaignId, day }, bidId, report.amount);
      } else {
        expect(billedBids.has(bidId)).toBe(true);
      }
    } else if (report.status === 'refused' && !allocator.unreachable) {
      refusedWhileReachable.set(report.campaignId, (refusedWhileReachable.get(report.campaignId) ?? 0) + 1);
    }
  };

  const check = async () => {
    const wasUnreachable = allocator.unreachable;
    allocator.unreachable = false;
    for (const c of CAMPAIGNS) {
      const cd = campaignDayId({ campaignId: c.id, day: utcDay(START) });
      const spent = billable.get(cd) ?? 0;
      const st = await allocator.state(cd);
      if (st) {
        expect(st.dailyBudget).toBe(Math.max(budgetAt.get(c.id)!.get(st.budgetVersion)!, st.committed));
        if (st.dailyBudget !== inForce.get(c.id)) {
          // The budget in force changed during this step (amendment or re-initialisation).
          if (st.dailyBudget < inForce.get(c.id)!) lowered.add(c.id);
          ceiling.set(c.id, Math.max(budgetAt.get(c.id)!.get(st.budgetVersion)!, billableBefore.get(c.id) ?? 0));
          inForce.set(c.id, st.dailyBudget);
        }
        expect(st.committed).toBeLessThanOrEqual(st.granted);
        expect(st.granted).toBeLessThanOrEqual(st.released);
        expect(st.released).toBeLessThanOrEqual(st.dailyBudget);
      }
      expect(spent).toBeLessThanOrEqual(ceiling.get(c.id)!);
      billableBefore.set(c.id, spent);
      if (!lowered.has(c.id)) expect(refusedWhileReachable.get(c.id) ?? 0).toBe(0);
    }
    allocator.unreachable = wasUnreachable;
  };

  for (const cmd of cmds) {
    switch (cmd.k) {
      case 'refresh':
        await managers[cmd.b]!.refresh();
        break;
      case 'reserve': {
        const bidId = `bid${bidSeq++}`;
        const c = CAMPAIGNS[cmd.c]!;
        if (managers[cmd.b]!.tryReserve(c.id, cmd.cost, bidId)) {
          bidOwner.set(bidId, { b: cmd.b, cost: cmd.cost });
          const held = managers[cmd.b]!.local.reservationLease(bidId);
          if (held) lastLease.set(bidId, held);
        }
        break;
      }
      case 'notice': {
        // Notices go to one of the bids reserved so far (mostly still open, sometimes long gone).
        const open = [...bidOwner.keys()];
        const bidId = open[cmd.bid % Math.max(1, open.length)];
        const owner = bidId === undefined ? undefined : bidOwner.get(bidId);
        if (!owner || bidId === undefined) break;
        const m = managers[owner.b]!;
        const amount = Math.max(1, Math.floor((owner.cost * cmd.pct) / 100));
        const report = await m.commit(bidId, amount);
        record(report, bidId);
        if (report.billable && report.status === 'committed') {
          const st = await allocator.state(report.campaignDay);
          const leaseId = lastLease.get(bidId);
          if (st && leaseId) sent.set(bidId, { campaignDay: report.campaignDay, leaseId, amount: report.amount, epoch: st.epoch });
        }
        if (cmd.twice) record(await m.commit(bidId, amount), bidId);
        else bidOwner.delete(bidId);
        break;
      }
      case 'resend': {
        // The same commit again, straight to the allocator (a retry whose first answer was lost).
        const billedIds = [...sent.keys()];
        const bidId = billedIds[cmd.bid % Math.max(1, billedIds.length)];
        const prior = bidId === undefined ? undefined : sent.get(bidId);
        if (!prior || bidId === undefined || allocator.unreachable) break;
        const st = await allocator.state(prior.campaignDay);
        if (!st || st.epoch !== prior.epoch) break; // its memory of bid ids went with the restart
        const before = st.committed;
        const again = await allocator.commitSpend({ ...prior, bidId, now });
        resends += 1;
        expect(again).toEqual({ status: 'duplicate', amount: prior.amount });
        expect((await allocator.state(prior.campaignDay))!.committed).toBe(before);
        break;
      }
      case 'loss': {
        const open = [...bidOwner.keys()];
        const bidId = open[cmd.bid % Math.max(1, open.length)];
        const owner = bidId === undefined ? undefined : bidOwner.get(bidId);
        if (owner && bidId !== undefined) {
          managers[owner.b]!.release(bidId);
          bidOwner.delete(bidId);
        }
        break;
      }
      case 'advance':
        now += cmd.ms;
        break;
      case 'outage':
        allocator.unreachable = cmd.on;
        break;
      case 'restart':
        allocator.lose();
        break;
      case 'stop':
        await managers[cmd.b]!.stop();
        break;
      case 'amend': {
        const c = CAMPAIGNS[cmd.c]!;
        const t = terms.get(c.id)!;
        t.dailyBudget = Math.floor((c.budget * cmd.pct) / 100);
        t.version += 1;
        budgetAt.get(c.id)!.set(t.version, t.dailyBudget);
        source.setCampaign(c.id, t.dailyBudget, c.pacing);
        break;
      }
      case 'catalog':
        catalogs[cmd.b] = snapshot();
        break;
    }
    await check();
  }

  // Wind down: allocator back, a fresh bidder task brings the final catalog in, every bidder stops,
  // every lease, reservation and hold runs out.
  allocator.unreachable = false;
  const fresh = managers[skews.length]!;
  catalogs[skews.length] = snapshot();
  await fresh.refresh();
  for (const m of managers) await m.stop();
  await check();
  now += LEASE_TTL + RES_TTL + 10 * SKEW + 60_000;
  for (const m of managers) await m.refresh();
  for (const c of CAMPAIGNS) {
    const cd = campaignDayId({ campaignId: c.id, day: utcDay(START) });
    await allocator.expireLeases(cd, now);
    const st = await allocator.state(cd);
    if (!st) continue;
    expect(st.openLeases).toBe(0);
    expect(st.granted).toBe(st.committed);
    expect(st.committed).toBe(billable.get(cd) ?? 0);
    // The final budget is in force; billable is above it only by what was committed before it came in.
    const final = terms.get(c.id)!;
    expect(st).toMatchObject({ budgetVersion: final.version, dailyBudget: Math.max(final.dailyBudget, st.committed) });
    expect(billable.get(cd) ?? 0).toBeLessThanOrEqual(ceiling.get(c.id)!);
    if (!lowered.has(c.id)) expect(st.refusedCommits).toBe(0);
  }
  await check();
  return { billable };
}

/**
 * Three bidders reserving and billing far more than asap1's budget; optionally a budget change at
 * `round`, which bidder b's catalog picks up 2·b rounds later.
 */
function excessDemand(change?: { round: number; pct: number }): Cmd[] {
  const scripted: Cmd[] = [];
  let bid = 0;
  for (let round = 0; round < 150; round++) {
    if (round === change?.round) scripted.push({ k: 'amend', c: 1, pct: change.pct });
    for (let b = 0; b < 3; b++) if (change && round === change.round + 2 * b) scripted.push({ k: 'catalog', b });
    for (let b = 0; b < 3; b++) {
      scripted.push({ k: 'refresh', b });
      for (let i = 0; i < 3; i++) {
        scripted.push({ k: 'reserve', b, c: 1, cost: 100 }, { k: 'notice', bid: bid++, pct: 100, twice: false });
      }
    }
    scripted.push({ k: 'advance', ms: 50 });
  }
  return scripted;
}

describe('lease protocol (model-based)', () => {
  it('never bills more than the budget and never strands budget, under any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmdArb, { minLength: 1, maxLength: 150 }),
        fc.array(fc.integer({ min: -SKEW / 2, max: SKEW / 2 }), { minLength: 3, maxLength: 3 }),
        async (cmds, skews) => {
          await runScenario(cmds, skews);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on busy days with budget changes, never bills more than the budget in force', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(busyArb, { minLength: 50, maxLength: 300 }),
        fc.array(fc.integer({ min: -SKEW / 2, max: SKEW / 2 }), { minLength: 3, maxLength: 3 }),
        async (cmds, skews) => {
          await runScenario(cmds, skews);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with demand far above budget, the asap campaign bills its whole budget and no more', async () => {
    const { billable } = await runScenario(excessDemand(), [0, 0, 0]);
    expect(billable.get(campaignDayId({ campaignId: 'asap1', day: utcDay(START) }))).toBe(20_000);
  });

  it('with demand far above budget, a budget lowered or raised mid-run is billed exactly, no more', async () => {
    // Prepare: after 10 rounds (about 9,000 of 20,000 billed) the advertiser changes the budget.
    const asap1 = campaignDayId({ campaignId: 'asap1', day: utcDay(START) });
    const changedTo = async (pct: number) => (await runScenario(excessDemand({ round: 10, pct }), [0, 0, 0])).billable.get(asap1);
    // Act
    const lowered = await changedTo(60);
    const raised = await changedTo(150);
    // Assess
    expect(lowered).toBe(12_000);
    expect(raised).toBe(30_000);
  });

  it('the random runs do spend (the property is not vacuous)', async () => {
    let total = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 50, maxLength: 150 }), async (cmds) => {
        const { billable } = await runScenario(cmds, [0, 50, -50]);
        for (const v of billable.values()) total += v;
      }),
      { numRuns: 50 },
    );
    expect(total).toBeGreaterThan(2_000);
    expect(resends).toBeGreaterThan(0);
    expect(amendments).toBeGreaterThan(0);
    expect(withdrawals).toBeGreaterThan(0);
  });
});
