/**
 * MemoryBudgetAllocator.amendBudget: a mid-day change of the daily budget (the Lua twin, init.lua's
 * amend mode, is held to the same answers by test/integration/redis/differential.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import type { GrantRequest } from '../../../shared/budget/ports.js';

const CD = 'c1/2026-11-22';
const NOON = Date.UTC(2026, 10, 22, 12);
const DAY_END = Date.UTC(2026, 10, 23);

describe('MemoryBudgetAllocator.amendBudget', () => {
  let allocator: MemoryBudgetAllocator;
  beforeEach(() => {
    allocator = new MemoryBudgetAllocator();
  });

  const init = (dailyBudget: number, committed = 0, outstanding = 0, holdUntil = NOON + 60_000) =>
    allocator.initCampaignDay({ campaignDay: CD, dailyBudget, committed, outstanding, holdUntil, dayEnd: DAY_END, now: NOON });
  const grant = async (bidderId: string, want: number, over: Partial<GrantRequest> = {}) => {
    const g = await allocator.grantLease({ campaignDay: CD, bidderId, want, ttlMs: 10_000, graceMs: 5_000, releasedNow: Number.MAX_SAFE_INTEGER, now: NOON, ...over });
    if (g.status !== 'granted') throw new Error(`no grant: ${g.status}`);
    return g.lease.leaseId;
  };
  const commit = (leaseId: string, bidId: string, amount: number) => allocator.commitSpend({ campaignDay: CD, leaseId, bidId, amount, now: NOON + 20 });
  const amend = (dailyBudget: number, budgetVersion?: number) => allocator.amendBudget({ campaignDay: CD, dailyBudget, budgetVersion, now: NOON + 10 });

  it('answers uninitialised without state', async () => {
    // Act
    const outcome = await amend(500);
    // Assess
    expect(outcome).toEqual({ status: 'uninitialised' });
  });

  it('lowered between committed and granted: the newest lease gives back the excess; commits beyond the new budget are refused', async () => {
    // Prepare
    await init(1_000);
    const older = await grant('a', 400);
    const newer = await grant('b', 400, { now: NOON + 1 });
    await commit(older, 'a1', 100);
    // Act
    const outcome = await amend(500);
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', previousBudget: 1_000, withdrawn: 300, state: { dailyBudget: 500, released: 500, granted: 500, committed: 100 } });
    expect(await commit(newer, 'b1', 101)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(await commit(newer, 'b2', 100)).toEqual({ status: 'committed', amount: 100 });
    expect(await commit(older, 'a2', 300)).toEqual({ status: 'committed', amount: 300 });
    expect(await commit(older, 'a3', 1)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect((await allocator.state(CD))!.committed).toBe(500);
  });

  it('lowered below committed: committed is the budget in force and nothing more is granted or committed', async () => {
    // Prepare
    await init(1_000);
    const lease = await grant('a', 600);
    await commit(lease, 'a1', 450);
    // Act
    const outcome = await amend(300);
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', withdrawn: 150, state: { dailyBudget: 450, granted: 450, committed: 450 } });
    expect(await commit(lease, 'a2', 1)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect((await allocator.grantLease({ campaignDay: CD, bidderId: 'b', want: 1, ttlMs: 1, graceMs: 1, releasedNow: 1_000, now: NOON + 30 })).status).toBe('exhausted');
  });

  it('lowered with a restart hold open: the hold gives back before any lease', async () => {
    // Prepare: the hold is reclaimed before the lease (it goes first whatever the reclaim order).
    await init(1_000, 0, 400, NOON + 12_000);
    const fresh = await grant('a', 300);
    // Act
    const outcome = await amend(500);
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', withdrawn: 200, state: { granted: 500 } });
    expect(await commit('lost.1', 'old', 201)).toEqual({ status: 'refused', reason: 'over_lease' });
    expect(await commit(fresh, 'new', 300)).toEqual({ status: 'committed', amount: 300 });
  });

  it('raised: granted again up to the new budget', async () => {
    // Prepare
    await init(1_000);
    await grant('a', 1_000);
    // Act
    const outcome = await amend(1_600);
    const more = await allocator.grantLease({ campaignDay: CD, bidderId: 'a', want: 5_000, ttlMs: 1, graceMs: 1, releasedNow: 1_600, now: NOON + 30 });
    // Assess
    expect(outcome).toMatchObject({ status: 'amended', previousBudget: 1_000, withdrawn: 0, state: { dailyBudget: 1_600 } });
    expect(more.status === 'granted' && more.lease.amount).toBe(600);
  });

  it('is idempotent, and refuses an older version than the one it holds', async () => {
    // Prepare
    await init(1_000);
    await grant('a', 800);
    const first = await amend(500, 4);
    // Act
    const again = await amend(500, 4);
    const stale = await amend(1_000, 3);
    // Assess
    expect(first.status).toBe('amended');
    expect(again).toEqual({ status: 'unchanged', state: first.status === 'amended' ? first.state : undefined });
    expect(stale).toMatchObject({ status: 'stale', state: { dailyBudget: 500, budgetVersion: 4 } });
  });

  it('initialised with committed above the (lowered) budget: committed is the budget in force, not cut down', async () => {
    // Act
    const outcome = await init(300, 450, 100);
    // Assess
    expect(outcome).toMatchObject({ status: 'initialised', state: { dailyBudget: 450, committed: 450, granted: 450, openLeases: 0 } });
  });
});
