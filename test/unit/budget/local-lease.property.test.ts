/**
 * LocalLease alone: random interleavings of grant, reserve, commit, release, settle (expiry),
 * drain and clock moves. After every step each lease keeps committed + reserved ≤ amount, and the
 * amount this process accepted as spend on a lease (what it would send to the allocator) never
 * exceeds what that lease granted minus what was returned.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalLease } from '../../../shared/budget/local-lease.js';

const CAMPAIGNS = ['c1', 'c2'] as const;

type Cmd =
  | { k: 'grant'; c: number; amount: number; ttl: number }
  | { k: 'reserve'; c: number; cost: number }
  | { k: 'commit'; bid: number; pct: number }
  | { k: 'release'; bid: number }
  | { k: 'settle' }
  | { k: 'advance'; ms: number }
  | { k: 'drain' };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('grant' as const), c: fc.nat(1), amount: fc.integer({ min: 1, max: 1000 }), ttl: fc.integer({ min: 1, max: 5000 }) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('reserve' as const), c: fc.nat(1), cost: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('commit' as const), bid: fc.nat(60), pct: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('release' as const), bid: fc.nat(60) }) },
  { weight: 2, arbitrary: fc.constant({ k: 'settle' as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'drain' as const }) },
);

describe('LocalLease (property)', () => {
  it('never accepts more spend on a lease than it holds, under any interleaving', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 120 }), fc.integer({ min: 100, max: 4000 }), (cmds, ttl) => {
        const lease = new LocalLease({ reservationTtlMs: ttl, expirySafetyMs: 50, lowWaterMark: 10 });
        let now = 1_000_000;
        let seq = 0;
        let bids = 0;
        const granted = new Map<string, number>(); // leaseId -> amount still granted (after returns)
        const accepted = new Map<string, number>(); // leaseId -> spend accepted locally
        const reservedCost = new Map<string, number>();
        for (const cmd of cmds) {
          switch (cmd.k) {
            case 'grant': {
              const leaseId = `e.${++seq}`;
              const ok = lease.addGrant(CAMPAIGNS[cmd.c]!, {
                campaignDay: `${CAMPAIGNS[cmd.c]}/2026-11-22`,
                leaseId,
                amount: cmd.amount,
                expiresAt: now + cmd.ttl,
                reclaimAt: now + cmd.ttl + ttl + 100,
              });
              expect(ok).toBe(!lease.isDraining);
              if (ok) granted.set(leaseId, cmd.amount);
              break;
            }
            case 'reserve': {
              const bidId = `b${bids++}`;
              const before = lease.remaining(CAMPAIGNS[cmd.c]!, now);
              const ok = lease.tryReserve(CAMPAIGNS[cmd.c]!, cmd.cost, bidId, now);
              if (ok) reservedCost.set(bidId, cmd.cost);
              // It refuses only when no single usable lease has room (never when the total is plenty
              // and one lease alone could pay).
              if (!ok && !lease.isDraining) {
                const room = lease
                  .heldLeases()
                  .filter((l) => l.campaignId === CAMPAIGNS[cmd.c] && now < l.expiresAt - 50)
                  .some((l) => l.amount - l.committed - l.reserved >= cmd.cost && l.reclaimAt - 50 > now);
                expect(room).toBe(false);
              }
              if (ok) expect(lease.remaining(CAMPAIGNS[cmd.c]!, now)).toBe(before - cmd.cost);
              break;
            }
            case 'commit': {
              const bidId = `b${cmd.bid}`;
              const cost = reservedCost.get(bidId);
              const amount = cost === undefined ? 1 : Math.floor((cost * cmd.pct) / 100);
              const r = lease.commit(bidId, now, amount);
              if (r.ok) {
                expect(cost).toBeDefined();
                expect(r.spend.amount).toBeLessThanOrEqual(cost!);
                expect(now).toBeLessThan(r.spend.commitBy);
                accepted.set(r.spend.leaseId, (accepted.get(r.spend.leaseId) ?? 0) + r.spend.amount);
              }
              break;
            }
            case 'release':
              lease.release(`b${cmd.bid}`);
              break;
            case 'settle':
            case 'drain': {
              const r = cmd.k === 'settle' ? lease.settle(now) : lease.drain(now);
              for (const order of r.returns) {
                const g = granted.get(order.leaseId)!;
                expect(order.keep + order.unused).toBe(g);
                expect(order.keep).toBeGreaterThanOrEqual(accepted.get(order.leaseId) ?? 0);
                granted.set(order.leaseId, order.keep);
              }
              if (cmd.k === 'drain') expect(lease.tryReserve('c1', 1, `b${bids++}`, now)).toBe(false);
              break;
            }
            case 'advance':
              now += cmd.ms;
              break;
          }
          for (const l of lease.heldLeases()) {
            expect(l.committed).toBeGreaterThanOrEqual(0);
            expect(l.reserved).toBeGreaterThanOrEqual(0);
            expect(l.committed + l.reserved).toBeLessThanOrEqual(l.amount);
            expect(l.amount).toBe(granted.get(l.leaseId));
          }
          for (const [leaseId, spent] of accepted) expect(spent).toBeLessThanOrEqual(granted.get(leaseId)!);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('holds a won-but-unbilled reservation until its notice or its TTL, then frees it', () => {
    const lease = new LocalLease({ reservationTtlMs: 1000, lowWaterMark: 1 });
    lease.addGrant('c1', { campaignDay: 'c1/2026-11-22', leaseId: 'e.1', amount: 100, expiresAt: 10_000, reclaimAt: 12_000 });
    expect(lease.tryReserve('c1', 60, 'win', 0)).toBe(true);
    expect(lease.tryReserve('c1', 60, 'other', 500)).toBe(false); // 60 still held for 'win'
    expect(lease.settle(999).expiredReservations).toBe(0);
    expect(lease.settle(1000).expiredReservations).toBe(1);
    expect(lease.commit('win', 1001)).toEqual({ ok: false, reason: 'unknown' }); // late notice: not billable
    expect(lease.tryReserve('c1', 60, 'other', 1001)).toBe(true);
  });

  it('a bill above the reservation is refused and leaves the reservation held for the genuine bill', () => {
    // Prepare
    const lease = new LocalLease({ reservationTtlMs: 1000, lowWaterMark: 1 });
    lease.addGrant('c1', { campaignDay: 'c1/2026-11-22', leaseId: 'e.1', amount: 100, expiresAt: 10_000, reclaimAt: 12_000 });
    lease.tryReserve('c1', 60, 'win', 0);
    // Act
    const refused = lease.commit('win', 10, 61);
    // Assess
    expect(refused).toEqual({ ok: false, reason: 'over_reservation' });
    expect(lease.hasReservation('win')).toBe(true);
    expect(lease.remaining('c1', 10)).toBe(40);
    expect(lease.commit('win', 20, 55)).toMatchObject({ ok: true, spend: { amount: 55 } });
    expect(lease.remaining('c1', 20)).toBe(45);
  });

  it('a notice past the reservation TTL is refused even before settle runs', () => {
    const lease = new LocalLease({ reservationTtlMs: 1000, lowWaterMark: 1 });
    lease.addGrant('c1', { campaignDay: 'c1/2026-11-22', leaseId: 'e.1', amount: 100, expiresAt: 10_000, reclaimAt: 12_000 });
    lease.tryReserve('c1', 60, 'win', 0);
    expect(lease.commit('win', 1000)).toEqual({ ok: false, reason: 'expired' });
    // Still held: it may have been committed by another task; settle (after the LeaseManager asked
    // the allocator) decides.
    expect(lease.remaining('c1', 1000)).toBe(40);
    expect(lease.settle(1000, new Set(['win'])).expiredReservations).toBe(0);
    expect(lease.remaining('c1', 1000)).toBe(40);
    expect(lease.settle(1000).expiredReservations).toBe(1);
    expect(lease.remaining('c1', 1000)).toBe(100);
  });

  it('an expired reservation committed elsewhere is spent, never available again', () => {
    const lease = new LocalLease({ reservationTtlMs: 1000, lowWaterMark: 1 });
    lease.addGrant('c1', { campaignDay: 'c1/2026-11-22', leaseId: 'e.1', amount: 100, expiresAt: 10_000, reclaimAt: 12_000 });
    lease.tryReserve('c1', 60, 'win', 0);
    expect(lease.expiredReservations(1000).map((r) => r.bidId)).toEqual(['win']);
    expect(lease.committedElsewhere('win', 50)).toBe(true);
    expect(lease.settle(1000).expiredReservations).toBe(0);
    expect(lease.remaining('c1', 1000)).toBe(50);
    expect(lease.heldLeases()[0]).toMatchObject({ committed: 50, reserved: 0 });
  });

  it('needsRefresh below the low-water mark and before the lease expires', () => {
    const lease = new LocalLease({ reservationTtlMs: 1000, lowWaterMark: 50, refreshAheadMs: 2000 });
    expect(lease.needsRefresh('c1', 0)).toBe(true);
    lease.addGrant('c1', { campaignDay: 'c1/2026-11-22', leaseId: 'e.1', amount: 100, expiresAt: 10_000, reclaimAt: 12_000 });
    expect(lease.needsRefresh('c1', 0)).toBe(false);
    expect(lease.needsRefresh('c1', 8_000)).toBe(true); // expiring within refreshAhead
    lease.tryReserve('c1', 60, 'b', 0);
    expect(lease.needsRefresh('c1', 0)).toBe(true);
  });

  it('drain returns everything not committed or reserved and stops reserving', () => {
    const lease = new LocalLease({ reservationTtlMs: 1000, lowWaterMark: 1 });
    lease.addGrant('c1', { campaignDay: 'c1/2026-11-22', leaseId: 'e.1', amount: 100, expiresAt: 10_000, reclaimAt: 12_000 });
    lease.tryReserve('c1', 30, 'a', 0);
    lease.tryReserve('c1', 20, 'b', 0);
    expect(lease.commit('a', 10, 25).ok).toBe(true);
    const drained = lease.drain(20);
    expect(drained.returns).toEqual([{ campaignId: 'c1', campaignDay: 'c1/2026-11-22', leaseId: 'e.1', keep: 45, unused: 55 }]);
    expect(lease.tryReserve('c1', 1, 'c', 30)).toBe(false);
    lease.release('b');
    expect(lease.settle(40).returns).toEqual([{ campaignId: 'c1', campaignDay: 'c1/2026-11-22', leaseId: 'e.1', keep: 25, unused: 20 }]);
    expect(lease.heldLeases()).toEqual([]);
  });
});
