/**
 * Model-based test of billing notices behind a load balancer: several LeaseManagers (bidder tasks)
 * share one MemoryBudgetAllocator; every billing notice goes to a RANDOM task (with the signed
 * reservation the notice URL carries: campaign-day, lease id, reserved cost), loss notices too.
 * Asserted after every step and at the end:
 *
 *  - every timely billing notice (sent within the reservation TTL) is billable, whichever task got
 *    it, and each bid id is charged exactly once (replays are `duplicate`);
 *  - committed ≤ granted ≤ released ≤ budget, billable spend ≤ budget;
 *  - no amount is both charged and handed out again: per open lease, what the allocator committed
 *    plus what the owner still holds reserved for bids not committed never exceeds the lease, and
 *    no timely notice is ever refused (an over_lease refusal would reveal a re-reserved amount);
 *  - at the end, once everything expired: granted == committed == billable spend (nothing stranded).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignDayId, utcDay } from '../../../shared/budget/campaign-day.js';
import { LeaseManager, type SignedReservation } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import { InMemoryBudgetSource } from '../../../shared/budget/memory-source.js';

const CAMPAIGNS = [
  { id: 'c1', budget: 30_000, lease: 3_000 },
  { id: 'c2', budget: 12_000, lease: 2_000 },
];
const START = Date.UTC(2026, 10, 22, 12);
const SKEW = 100;
const LEASE_TTL = 2_000;
const RES_TTL = 1_000;
const TASKS = 4;

type Cmd =
  | { k: 'refresh'; b: number }
  | { k: 'reserve'; b: number; c: number; cost: number }
  | { k: 'bill'; bid: number; to: number; pct: number; replay: boolean }
  | { k: 'loss'; bid: number; to: number }
  | { k: 'advance'; ms: number }
  | { k: 'outage'; on: boolean };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('refresh' as const), b: fc.nat(TASKS - 1) }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('reserve' as const), b: fc.nat(TASKS - 1), c: fc.nat(1), cost: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('bill' as const), bid: fc.nat(1000), to: fc.nat(TASKS - 1), pct: fc.integer({ min: 10, max: 100 }), replay: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('loss' as const), bid: fc.nat(1000), to: fc.nat(TASKS - 1) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 900 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('outage' as const), on: fc.boolean() }) },
);

interface MemLeaseView {
  amount: number;
  committed: number;
}
type Internals = { days: Map<string, { leases: Map<string, MemLeaseView>; bids: Map<string, number> }> };

async function runScenario(cmds: Cmd[]) {
  const allocator = new MemoryBudgetAllocator();
  const source = new InMemoryBudgetSource();
  for (const c of CAMPAIGNS) source.setCampaign(c.id, c.budget, 'asap');
  let now = START;
  for (const c of CAMPAIGNS) {
    await allocator.initCampaignDay({
      campaignDay: campaignDayId({ campaignId: c.id, day: utcDay(START) }),
      dailyBudget: c.budget, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: Date.UTC(2026, 10, 23), now: START - 60_000,
    });
  }
  const managers = Array.from({ length: TASKS }, (_, i) =>
    new LeaseManager({
      allocator, source, bidderId: `task-${i}`,
      campaigns: () => CAMPAIGNS.map((c) => ({ campaignId: c.id, leaseAmount: c.lease, maxImpressionCost: 1 })),
      clock: () => now, leaseTtlMs: LEASE_TTL, reservationTtlMs: RES_TTL, clockSkewMs: SKEW, commitAttempts: 2, preInitMs: 0,
    }),
  );
  const bids = new Map<string, { owner: number; at: number; signed: SignedReservation; done: boolean }>();
  const charged = new Map<string, number>(); // bid id -> amount charged (billable 'committed')
  const billable = new Map<string, number>(); // campaignDay -> billable spend
  let seq = 0;
  let timelyBills = 0;
  let remoteBills = 0;

  const check = () => {
    const days = (allocator as unknown as Internals).days;
    for (const c of CAMPAIGNS) {
      const cd = campaignDayId({ campaignId: c.id, day: utcDay(START) });
      expect(billable.get(cd) ?? 0).toBeLessThanOrEqual(c.budget);
      const d = days.get(cd)!;
      let committed = 0;
      for (const [bidId, amount] of d.bids) if (bidId.startsWith(`${c.id}:`)) committed += amount;
      expect(committed).toBe(billable.get(cd) ?? 0);
    }
    // Per lease: committed in the allocator + the owner's live reservations for bids nobody committed ≤ lease.
    for (const [b, m] of managers.entries()) {
      for (const held of m.local.heldLeases()) {
        const d = days.get(held.campaignDay)!;
        const l = d.leases.get(held.leaseId);
        if (!l) continue;
        let reservedUncommitted = 0;
        for (const [bidId, info] of bids) {
          if (info.owner !== b || info.signed.leaseId !== held.leaseId || d.bids.has(bidId)) continue;
          const r = m.reservationOf(bidId);
          if (r) reservedUncommitted += r.amount;
        }
        expect(l.committed + reservedUncommitted).toBeLessThanOrEqual(l.amount);
        // And what the owner may still hand out is not already charged elsewhere.
        const available = held.amount - held.committed - held.reserved;
        expect(l.committed + reservedUncommitted + available).toBeLessThanOrEqual(l.amount);
      }
    }
  };

  const pick = (i: number) => {
    const open = [...bids.entries()].filter(([, v]) => !v.done);
    return open[i % Math.max(1, open.length)];
  };

  for (const cmd of cmds) {
    switch (cmd.k) {
      case 'refresh':
        await managers[cmd.b]!.refresh();
        break;
      case 'reserve': {
        const c = CAMPAIGNS[cmd.c]!;
        const bidId = `${c.id}:bid${seq++}`;
        const m = managers[cmd.b]!;
        if (m.tryReserve(c.id, cmd.cost, bidId)) {
          const r = m.reservationOf(bidId)!;
          bids.set(bidId, { owner: cmd.b, at: now, signed: { campaignDay: r.campaignDay, leaseId: r.leaseId, cost: r.amount }, done: false });
        }
        break;
      }
      case 'bill': {
        const e = pick(cmd.bid);
        if (!e) break;
        const [bidId, info] = e;
        info.done = true;
        const amount = Math.max(1, Math.floor((info.signed.cost * cmd.pct) / 100));
        const timely = now < info.at + RES_TTL;
        const to = managers[cmd.to]!;
        const report = await to.commit(bidId, amount, info.signed);
        if (to !== managers[info.owner]) remoteBills += 1;
        if (timely && !allocator.unreachable) {
          timelyBills += 1;
          expect(report).toMatchObject({ billable: true, status: 'committed', amount });
        }
        if (report.billable && report.status === 'committed') {
          expect(charged.has(bidId)).toBe(false);
          charged.set(bidId, amount);
          billable.set(report.campaignDay, (billable.get(report.campaignDay) ?? 0) + amount);
        }
        if (!report.billable) expect(report.status === 'refused' && report.reason === 'over_lease').toBe(false);
        if (cmd.replay) {
          const again = await managers[(cmd.to + 1) % TASKS]!.commit(bidId, amount, info.signed);
          if (again.billable) {
            expect(again.status).toBe('duplicate');
            expect(charged.has(bidId)).toBe(true);
          }
        }
        break;
      }
      case 'loss': {
        const e = pick(cmd.bid);
        if (!e) break;
        const [bidId, info] = e;
        info.done = true;
        // Only the owner can release; on another task a loss notice is a no-op (expires on its owner).
        const released = managers[cmd.to]!.release(bidId);
        if (cmd.to !== info.owner) expect(released).toBe(false);
        break;
      }
      case 'advance':
        now += cmd.ms;
        break;
      case 'outage':
        allocator.unreachable = cmd.on;
        break;
    }
    const was = allocator.unreachable;
    allocator.unreachable = false;
    check();
    allocator.unreachable = was;
  }

  allocator.unreachable = false;
  now += RES_TTL + SKEW;
  for (const m of managers) await m.refresh();
  for (const m of managers) await m.stop();
  now += LEASE_TTL + RES_TTL + 10 * SKEW + 60_000;
  for (const c of CAMPAIGNS) {
    const cd = campaignDayId({ campaignId: c.id, day: utcDay(START) });
    await allocator.expireLeases(cd, now);
    const st = (await allocator.state(cd))!;
    expect(st.openLeases).toBe(0);
    expect(st.granted).toBe(st.committed);
    expect(st.committed).toBe(billable.get(cd) ?? 0);
  }
  check();
  return { timelyBills, remoteBills, billable };
}

describe('billing notices on a random task (model-based)', () => {
  it('charges every timely bill exactly once, never above budget, never re-granting a charged amount', async () => {
    let timely = 0;
    let remote = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 150 }), async (cmds) => {
        const r = await runScenario(cmds);
        timely += r.timelyBills;
        remote += r.remoteBills;
      }),
      { numRuns: 300 },
    );
    expect(timely).toBeGreaterThan(10);
    expect(remote).toBeGreaterThan(10);
  });

  it('with demand far above budget and bills on random tasks, delivers the whole budget and no more', async () => {
    const cmds: Cmd[] = [];
    let n = 0;
    for (let round = 0; round < 200; round++) {
      for (let b = 0; b < TASKS; b++) {
        cmds.push({ k: 'refresh', b });
        for (let i = 0; i < 3; i++) cmds.push({ k: 'reserve', b, c: 1, cost: 100 }, { k: 'bill', bid: 0, to: (b + i + round) % TASKS, pct: 100, replay: i === 0 });
      }
      cmds.push({ k: 'advance', ms: 50 });
      n += 1;
    }
    const { billable } = await runScenario(cmds);
    expect(n).toBe(200);
    expect(billable.get(campaignDayId({ campaignId: 'c2', day: utcDay(START) }))).toBe(12_000);
  });
});
