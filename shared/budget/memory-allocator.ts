/**
 * In-process allocator with exactly the semantics of the Redis Lua scripts (shared/adapters/redis/
 * scripts). For unit tests, property tests and single-process tools; not shared between processes.
 * `lose()` simulates a Redis restart (all state gone).
 */
import type {
  AllocatorState,
  AmendOutcome,
  AmendRequest,
  BudgetAllocator,
  CommitOutcome,
  CommitRequest,
  ExpireOutcome,
  GrantOutcome,
  GrantRequest,
  InitOutcome,
  InitRequest,
  ResolveOutcome,
  ResolveRequest,
  ReturnOutcome,
  ReturnRequest,
} from './ports.js';
import { assertNanos } from './units.js';

interface MemLease {
  amount: number;
  committed: number;
  expiresAt: number;
  reclaimAt: number;
  bidderId: string;
}

interface MemDay {
  budget: number;
  released: number;
  granted: number;
  committed: number;
  epoch: string;
  seq: number;
  dayEnd: number;
  refused: number;
  refusedAmount: number;
  budgetVersion: number;
  leases: Map<string, MemLease>;
  bids: Map<string, number>;
  /** Bid ids voided by resolveBids: their commits are refused. */
  voided: Set<string>;
}

export class BudgetInvariantError extends Error {}

let epochCounter = 0;

export class MemoryBudgetAllocator implements BudgetAllocator {
  private readonly days = new Map<string, MemDay>();
  /** Set to make every call reject (an unreachable allocator). */
  unreachable = false;

  /** Simulates a restart of an in-memory Redis: every campaign-day's state is gone. */
  lose(): void {
    this.days.clear();
  }

  private gate(): void {
    if (this.unreachable) throw new Error('allocator unreachable');
  }

  private static check(d: MemDay): void {
    if (!(d.committed >= 0 && d.committed <= d.granted && d.granted <= d.released && d.released <= d.budget)) {
      throw new BudgetInvariantError(
        `BUDGET_INVARIANT committed=${d.committed} granted=${d.granted} released=${d.released} budget=${d.budget}`,
      );
    }
  }

  private static view(d: MemDay): AllocatorState {
    return {
      dailyBudget: d.budget,
      released: d.released,
      granted: d.granted,
      committed: d.committed,
      epoch: d.epoch,
      refusedCommits: d.refused,
      refusedAmount: d.refusedAmount,
      openLeases: d.leases.size,
      budgetVersion: d.budgetVersion,
    };
  }

  private static reclaim(d: MemDay, now: number): ExpireOutcome {
    let leases = 0;
    let reclaimed = 0;
    for (const [id, l] of d.leases) {
      if (l.reclaimAt <= now) {
        d.granted -= l.amount - l.committed;
        reclaimed += l.amount - l.committed;
        leases += 1;
        d.leases.delete(id);
      }
    }
    MemoryBudgetAllocator.check(d);
    return { leases, reclaimed };
  }

  async grantLease(req: GrantRequest): Promise<GrantOutcome> {
    this.gate();
    const want = assertNanos(req.want, 'want');
    const minAmount = assertNanos(req.minAmount ?? 1, 'minAmount');
    const releasedNow = assertNanos(req.releasedNow, 'releasedNow');
    const d = this.days.get(req.campaignDay);
    if (!d) return { status: 'uninitialised' };
    MemoryBudgetAllocator.reclaim(d, req.now);
    if (req.now >= d.dayEnd) return { status: 'day_closed', state: MemoryBudgetAllocator.view(d) };
    d.released = Math.min(d.budget, Math.max(d.released, releasedNow));
    const amount = Math.min(want, d.released - d.granted);
    if (amount <= 0 || amount < Math.max(1, minAmount)) return { status: 'exhausted', state: MemoryBudgetAllocator.view(d) };
    d.seq += 1;
    const leaseId = `${d.epoch}.${d.seq}`;
    const expiresAt = Math.min(req.now + req.ttlMs, d.dayEnd);
    const reclaimAt = expiresAt + req.graceMs;
    d.granted += amount;
    MemoryBudgetAllocator.check(d);
    d.leases.set(leaseId, { amount, committed: 0, expiresAt, reclaimAt, bidderId: req.bidderId });
    return {
      status: 'granted',
      lease: { campaignDay: req.campaignDay, leaseId, amount, expiresAt, reclaimAt },
      state: MemoryBudgetAllocator.view(d),
    };
  }

  async commitSpend(req: CommitRequest): Promise<CommitOutcome> {
    this.gate();
    const amount = assertNanos(req.amount, 'amount');
    const d = this.days.get(req.campaignDay);
    if (!d) return { status: 'refused', reason: 'uninitialised' };
    if (d.voided.has(req.bidId)) {
      d.refused += 1;
      d.refusedAmount += amount;
      return { status: 'refused', reason: 'voided' };
    }
    const prev = d.bids.get(req.bidId);
    if (prev !== undefined) return { status: 'duplicate', amount: prev };
    MemoryBudgetAllocator.reclaim(d, req.now);
    let lease = d.leases.get(req.leaseId);
    const foreign = req.leaseId.split('.')[0] !== d.epoch;
    if (!lease && foreign) lease = d.leases.get(`${d.epoch}.hold`);
    const refuse = (reason: 'lease_closed' | 'unknown_lease' | 'over_lease'): CommitOutcome => {
      d.refused += 1;
      d.refusedAmount += amount;
      return { status: 'refused', reason };
    };
    if (!lease) return refuse(foreign ? 'unknown_lease' : 'lease_closed');
    if (lease.committed + amount > lease.amount) return refuse('over_lease');
    lease.committed += amount;
    d.committed += amount;
    MemoryBudgetAllocator.check(d);
    d.bids.set(req.bidId, amount);
    return { status: 'committed', amount };
  }

  async returnLease(req: ReturnRequest): Promise<ReturnOutcome> {
    this.gate();
    const keep = assertNanos(req.keep, 'keep');
    const d = this.days.get(req.campaignDay);
    const lease = d?.leases.get(req.leaseId);
    if (!d || !lease) return { status: 'unknown' };
    const next = Math.max(lease.committed, Math.min(lease.amount, keep));
    const returned = lease.amount - next;
    lease.amount = next;
    d.granted -= returned;
    MemoryBudgetAllocator.check(d);
    if (lease.amount === lease.committed && req.now >= lease.expiresAt) d.leases.delete(req.leaseId);
    return { status: 'returned', returned, amount: next };
  }

  async expireLeases(campaignDay: string, now: number): Promise<ExpireOutcome> {
    this.gate();
    const d = this.days.get(campaignDay);
    if (!d) return { leases: 0, reclaimed: 0 };
    return MemoryBudgetAllocator.reclaim(d, now);
  }

  async initCampaignDay(req: InitRequest): Promise<InitOutcome> {
    this.gate();
    const existing = this.days.get(req.campaignDay);
    if (existing) return { status: 'exists', state: MemoryBudgetAllocator.view(existing) };
    const committed = assertNanos(req.committed, 'committed');
    // Spend already made stays spent: above the daily budget (lowered since), it is the budget in force.
    const budget = Math.max(assertNanos(req.dailyBudget, 'dailyBudget'), committed);
    const outstanding = Math.min(assertNanos(req.outstanding, 'outstanding'), budget - committed);
    epochCounter += 1;
    const d: MemDay = {
      budget,
      released: committed + outstanding,
      granted: committed + outstanding,
      committed,
      epoch: `m${epochCounter.toString(36)}`,
      seq: 0,
      dayEnd: req.dayEnd,
      refused: 0,
      refusedAmount: 0,
      budgetVersion: assertNanos(req.budgetVersion ?? 0, 'budgetVersion'),
      leases: new Map(),
      bids: new Map(),
      voided: new Set(),
    };
    if (outstanding > 0) {
      d.leases.set(`${d.epoch}.hold`, {
        amount: outstanding,
        committed: 0,
        expiresAt: req.holdUntil,
        reclaimAt: req.holdUntil,
        bidderId: 'restart-hold',
      });
    }
    MemoryBudgetAllocator.check(d);
    this.days.set(req.campaignDay, d);
    return { status: 'initialised', state: MemoryBudgetAllocator.view(d) };
  }

  async amendBudget(req: AmendRequest): Promise<AmendOutcome> {
    this.gate();
    const requested = assertNanos(req.dailyBudget, 'dailyBudget');
    const version = assertNanos(req.budgetVersion ?? 0, 'budgetVersion');
    const d = this.days.get(req.campaignDay);
    if (!d) return { status: 'uninitialised' };
    if (version < d.budgetVersion) return { status: 'stale', state: MemoryBudgetAllocator.view(d) };
    MemoryBudgetAllocator.reclaim(d, req.now);
    const previousBudget = d.budget;
    // Spend cannot be undone: below what is committed, the budget in force is what is committed.
    const inForce = Math.max(requested, d.committed);
    if (inForce === previousBudget) {
      d.budgetVersion = version;
      return { status: 'unchanged', state: MemoryBudgetAllocator.view(d) };
    }
    const cuts = MemoryBudgetAllocator.planWithdrawal(d, Math.max(0, d.granted - inForce));
    const withdrawn = cuts.reduce((sum, c) => sum + c.take, 0);
    const next = { budget: inForce, released: Math.min(d.released, inForce), granted: d.granted - withdrawn, budgetVersion: version };
    MemoryBudgetAllocator.check({ ...d, ...next });
    for (const { lease, take } of cuts) lease.amount -= take;
    Object.assign(d, next);
    return { status: 'amended', previousBudget, withdrawn, state: MemoryBudgetAllocator.view(d) };
  }

  /**
   * Which open leases give back how much of their uncommitted room, `excess` in all: the restart hold
   * first (it covers leases of a lost state, mostly never billed), then the newest leases (latest
   * reclaimAt, then lease id, descending: the order of ZREVRANGE on the reclaim set), which have had
   * the least time to be reserved against.
   */
  private static planWithdrawal(d: MemDay, excess: number): Array<{ lease: MemLease; take: number }> {
    const holdId = `${d.epoch}.hold`;
    const order = [...d.leases.entries()].sort(([ia, a], [ib, b]) => {
      if ((ia === holdId) !== (ib === holdId)) return ia === holdId ? -1 : 1;
      if (a.reclaimAt !== b.reclaimAt) return b.reclaimAt - a.reclaimAt;
      return ia < ib ? 1 : ia > ib ? -1 : 0;
    });
    const cuts: Array<{ lease: MemLease; take: number }> = [];
    let left = excess;
    for (const [, lease] of order) {
      if (left <= 0) break;
      const take = Math.min(lease.amount - lease.committed, left);
      if (take > 0) cuts.push({ lease, take });
      left -= take;
    }
    return cuts;
  }

  async resolveBids(req: ResolveRequest): Promise<ResolveOutcome> {
    this.gate();
    const d = this.days.get(req.campaignDay);
    if (!d) return { status: 'uninitialised' };
    MemoryBudgetAllocator.reclaim(d, req.now);
    const committed = new Map<string, number>();
    for (const bidId of req.bidIds) {
      const prev = d.bids.get(bidId);
      if (prev !== undefined) committed.set(bidId, prev);
      else d.voided.add(bidId);
    }
    return { status: 'resolved', committed };
  }

  async state(campaignDay: string): Promise<AllocatorState | undefined> {
    this.gate();
    const d = this.days.get(campaignDay);
    return d ? MemoryBudgetAllocator.view(d) : undefined;
  }
}
