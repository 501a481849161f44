/**
 * The Lua scripts and MemoryBudgetAllocator (which the unit property tests exercise at length) must
 * behave identically: random operation sequences, including state loss, run against both, and every
 * outcome and state must match (lease ids compared without their random epoch).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import type { BudgetAllocator } from '../../../shared/budget/ports.js';
import { DAY_END, NOON, useRedis } from './support.js';

const ctx = useRedis();
const CD = 'camp-d/2026-11-22';

type Op =
  | { k: 'init'; budget: number; committed: number; outstanding: number; hold: number; version: number }
  | { k: 'amend'; budget: number; version: number }
  | { k: 'grant'; want: number; min: number; ttl: number; grace: number; released: number }
  | { k: 'commit'; lease: number; bid: number; amount: number }
  | { k: 'return'; lease: number; keep: number }
  | { k: 'expire' }
  | { k: 'resolve'; bids: number[] }
  | { k: 'advance'; ms: number }
  | { k: 'lose' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('init' as const), budget: fc.integer({ min: 0, max: 2_000 }), committed: fc.integer({ min: 0, max: 500 }), outstanding: fc.integer({ min: 0, max: 800 }), hold: fc.integer({ min: 0, max: 3_000 }), version: fc.nat(3) }) },
  // Mostly below what is granted, so open leases give room back (in an order both must agree on).
  { weight: 4, arbitrary: fc.record({ k: fc.constant('amend' as const), budget: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 2_500 })), version: fc.integer({ min: 2, max: 6 }) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('grant' as const), want: fc.integer({ min: 0, max: 600 }), min: fc.integer({ min: 0, max: 50 }), ttl: fc.integer({ min: 0, max: 2_000 }), grace: fc.integer({ min: 0, max: 1_000 }), released: fc.integer({ min: 0, max: 2_500 }) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('commit' as const), lease: fc.nat(40), bid: fc.nat(30), amount: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('return' as const), lease: fc.nat(40), keep: fc.integer({ min: 0, max: 600 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'expire' as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('resolve' as const), bids: fc.array(fc.nat(30), { minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'lose' as const }) },
);

function normalise(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === 'epoch') return 'E';
      if (key === 'leaseId' && typeof v === 'string') return v.slice(v.indexOf('.'));
      return v;
    }),
  );
}

async function run(a: BudgetAllocator, ops: Op[], lose: () => Promise<void>): Promise<unknown[]> {
  let now = NOON;
  const leases: string[] = [];
  const out: unknown[] = [];
  for (const op of ops) {
    switch (op.k) {
      case 'init':
        out.push(
          await a.initCampaignDay({
            campaignDay: CD,
            dailyBudget: op.budget,
            committed: op.committed,
            outstanding: op.outstanding,
            holdUntil: now + op.hold,
            dayEnd: DAY_END,
            budgetVersion: op.version,
            now,
          }),
        );
        break;
      case 'amend':
        out.push(await a.amendBudget({ campaignDay: CD, dailyBudget: op.budget, budgetVersion: op.version, now }));
        break;
      case 'grant': {
        const r = await a.grantLease({ campaignDay: CD, bidderId: 'b', want: op.want, minAmount: op.min, ttlMs: op.ttl, graceMs: op.grace, releasedNow: op.released, now });
        if (r.status === 'granted') leases.push(r.lease.leaseId);
        out.push(r);
        break;
      }
      case 'commit': {
        const leaseId = leases.length ? leases[op.lease % leases.length]! : 'zz.1';
        out.push(await a.commitSpend({ campaignDay: CD, leaseId, bidId: `bid${op.bid}`, amount: op.amount, now }));
        break;
      }
      case 'return': {
        const leaseId = leases.length ? leases[op.lease % leases.length]! : 'zz.1';
        out.push(await a.returnLease({ campaignDay: CD, leaseId, keep: op.keep, now }));
        break;
      }
      case 'resolve': {
        const r = await a.resolveBids({ campaignDay: CD, bidIds: op.bids.map((b) => `bid${b}`), now });
        out.push(r.status === 'resolved' ? { status: r.status, committed: [...r.committed].sort() } : r);
        break;
      }
      case 'expire':
        out.push(await a.expireLeases(CD, now));
        break;
      case 'advance':
        now += op.ms;
        break;
      case 'lose':
        await lose();
        break;
    }
    out.push(await a.state(CD));
  }
  return out.map(normalise);
}

describe('Lua scripts = MemoryBudgetAllocator', () => {
  it('give the same outcomes for random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        await ctx.flush();
        const memory = new MemoryBudgetAllocator();
        const expected = await run(memory, ops, async () => memory.lose());
        const actual = await run(ctx.allocator, ops, () => ctx.flush());
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
