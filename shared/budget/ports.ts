/**
 * The allocator port: the shared, atomic ledger of one campaign-day's budget (Redis in production,
 * `MemoryBudgetAllocator` in unit tests). Every operation is atomic and keeps, checked on every
 * write, `committed ≤ granted ≤ released ≤ dailyBudget` (all integer nanos, see units.ts).
 *
 *   released  cumulative amount the pacing curve has released so far (monotonic, ≤ dailyBudget)
 *   granted   amount handed out in leases that is not reclaimed: open leases' amounts plus what
 *             closed leases committed
 *   committed spend confirmed by billing notices (each bid id counted at most once)
 *
 * A commit is accepted only against an open lease with room for it, so spend cannot exceed what was
 * granted, whatever bidders do or however clocks drift; only `committed`/`duplicate` outcomes are
 * billable spend.
 *
 * The daily budget can change during the day (`amendBudget`). Lowered, the budget in force becomes
 * max(new budget, committed) — spend cannot be undone — and the open leases give back their
 * uncommitted room until granted fits under it; a commit that no longer fits its shrunk lease is
 * refused (`over_lease`), so spend never exceeds the budget in force when the commit is accepted.
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import type { CampaignDay } from './campaign-day.js';
import type { Nanos } from './units.js';

export interface LeaseGrant {
  /** `campaignId/day` (see campaign-day.ts). */
  campaignDay: string;
  leaseId: string;
  amount: Nanos;
  /** Epoch ms: the last instant the holder may reserve against this lease. */
  expiresAt: number;
  /**
   * Epoch ms: the allocator reclaims the uncommitted part from here on; commits arriving later are
   * refused. expiresAt + grace, where grace ≥ the reservation TTL + clock skew, so a bid reserved
   * before expiresAt can still be billed.
   */
  reclaimAt: number;
}

export interface AllocatorState {
  dailyBudget: Nanos;
  released: Nanos;
  granted: Nanos;
  committed: Nanos;
  /** Changes on every (re)initialisation; lease ids start with it. */
  epoch: string;
  /** Commits refused (late, over a lease, unknown lease) and their total amount: house cost, alarmed. */
  refusedCommits: number;
  refusedAmount: Nanos;
  /** Leases not yet reclaimed (including the restart hold). */
  openLeases: number;
  /** Campaign version the daily budget was set at (init or amendBudget; 0 when not given). */
  budgetVersion: number;
}

export interface GrantRequest {
  campaignDay: string;
  bidderId: string;
  /** Amount wanted; the grant is min(want, released - granted). */
  want: Nanos;
  /** Grant nothing rather than less than this (e.g. the campaign's highest impression cost). Default 1. */
  minAmount?: Nanos;
  ttlMs: number;
  /** reclaimAt = expiresAt + graceMs. */
  graceMs: number;
  /** The pacing curve's value now (pacing.ts); the allocator keeps the max it has seen, capped at the budget. */
  releasedNow: Nanos;
  now: number;
}

export type GrantOutcome =
  | { status: 'granted'; lease: LeaseGrant; state: AllocatorState }
  /** Nothing (or less than minAmount) is available right now. */
  | { status: 'exhausted'; state: AllocatorState }
  /** No state for this campaign-day (new day, or the allocator lost its memory): initialise it first. */
  | { status: 'uninitialised' }
  /** now is past the end of the campaign-day. */
  | { status: 'day_closed'; state: AllocatorState };

export interface CommitRequest {
  campaignDay: string;
  leaseId: string;
  /** The notice's bid id: a second commit with the same bid id changes nothing. */
  bidId: string;
  amount: Nanos;
  now: number;
}

/**
 * not_replicated: applied on the primary but not acknowledged by the replicas in time (Redis
 * adapter with replicasToAck); not billable — if the primary survives, the amount simply stays
 * committed unbilled (under-delivery, never overspend).
 */
export type CommitRefusal = 'uninitialised' | 'lease_closed' | 'unknown_lease' | 'over_lease' | 'not_replicated' | 'voided';

/**
 * resolveBids: the reserving bidder asks, for reservations whose TTL passed, whether another task
 * committed them (a billing notice lands on any task behind the load balancer). Atomically, per bid
 * id: committed → its amount; not committed → voided now (a later commit of that bid id is refused
 * `voided`), so the owner may safely hand the amount out again.
 */
export interface ResolveRequest {
  campaignDay: string;
  bidIds: readonly string[];
  now: number;
}

export type ResolveOutcome =
  | { status: 'uninitialised' }
  /** committed: bid id → committed amount; every other requested bid id is voided. */
  | { status: 'resolved'; committed: ReadonlyMap<string, Nanos> };

export type CommitOutcome =
  | { status: 'committed'; amount: Nanos }
  | { status: 'duplicate'; amount: Nanos }
  | { status: 'refused'; reason: CommitRefusal };

export interface ReturnRequest {
  campaignDay: string;
  leaseId: string;
  /** What the holder keeps on the lease (its committed plus still-reserved amounts). Idempotent. */
  keep: Nanos;
  now: number;
}

export type ReturnOutcome = { status: 'returned'; returned: Nanos; amount: Nanos } | { status: 'unknown' };

export interface InitRequest {
  campaignDay: string;
  dailyBudget: Nanos;
  /** Spend already committed today according to the source of truth (complete, see docs). */
  committed: Nanos;
  /**
   * Amount that may still be out in leases the allocator no longer knows about (after a restart):
   * held as if spent until holdUntil; commits for unknown leases are charged against it.
   */
  outstanding: Nanos;
  holdUntil: number;
  /** End of the campaign-day (epoch ms): no grants from then on. */
  dayEnd: number;
  /** See AmendRequest.budgetVersion (default 0). */
  budgetVersion?: number;
  now: number;
}

/**
 * The campaign's daily budget changed during the day. The budget in force becomes
 * max(dailyBudget, committed); lowered below `granted`, open leases give back their uncommitted room
 * (the restart hold first, then the newest leases: they have had the least time to be reserved
 * against) and `released` is capped at the new budget. Raised, the pacing curve of the new budget
 * releases the difference (the caller's next `releasedNow`). Idempotent.
 */
export interface AmendRequest {
  campaignDay: string;
  dailyBudget: Nanos;
  /**
   * The campaign's version the budget was read at (monotonic per campaign). An amendment older than
   * the version the allocator holds changes nothing (`stale`), so a bidder whose catalog lags cannot
   * undo a newer change. Default 0: unversioned, the last amendment wins.
   */
  budgetVersion?: number;
  now: number;
}

export type AmendOutcome =
  /**
   * state.dailyBudget is the budget now in force; `withdrawn` is what open leases gave back (their
   * holders' commits beyond it are refused `over_lease`).
   */
  | { status: 'amended'; previousBudget: Nanos; withdrawn: Nanos; state: AllocatorState }
  /** The budget in force already is max(dailyBudget, committed) (the version is recorded if newer). */
  | { status: 'unchanged'; state: AllocatorState }
  /** The allocator holds a newer version of the campaign's budget: nothing changed. */
  | { status: 'stale'; state: AllocatorState }
  | { status: 'uninitialised' };

export type InitOutcome = { status: 'initialised'; state: AllocatorState } | { status: 'exists'; state: AllocatorState };

export interface ExpireOutcome {
  /** Leases reclaimed and the uncommitted amount they gave back. */
  leases: number;
  reclaimed: Nanos;
}

export interface BudgetAllocator {
  grantLease(req: GrantRequest): Promise<GrantOutcome>;
  commitSpend(req: CommitRequest): Promise<CommitOutcome>;
  returnLease(req: ReturnRequest): Promise<ReturnOutcome>;
  /** Reclaims leases whose reclaimAt ≤ now (grant and commit also do this for their campaign-day). */
  expireLeases(campaignDay: string, now: number): Promise<ExpireOutcome>;
  /**
   * Creates the campaign-day's state if it is missing; never overwrites existing state. A `committed`
   * above `dailyBudget` (the budget was lowered below spend already made) makes it the budget in force.
   */
  initCampaignDay(req: InitRequest): Promise<InitOutcome>;
  /** Changes the daily budget of an initialised campaign-day (see AmendRequest). */
  amendBudget(req: AmendRequest): Promise<AmendOutcome>;
  /** See ResolveRequest: committed elsewhere, or voided (never both, atomically per bid id). */
  resolveBids(req: ResolveRequest): Promise<ResolveOutcome>;
  state(campaignDay: string): Promise<AllocatorState | undefined>;
}

/** What the source of truth (DynamoDB, later) says about a campaign-day. */
export interface CampaignDayBudget {
  dailyBudget: Nanos;
  pacing: PacingMode;
  /**
   * Spend committed so far today. Must include every commit the allocator ever accepted for this
   * campaign-day (the reconciler's high-water mark must be past the allocator's loss), otherwise a
   * re-initialisation after a Redis restart could over-grant by the missing amount.
   */
  committed: Nanos;
  /**
   * True when no allocator can have held this campaign-day before (its first opening): no lease of
   * it is out anywhere, so the initialisation needs no restart hold and the day spends at once.
   */
  neverHeld?: boolean;
}

export interface LoadContext {
  /**
   * Set when (re)initialising a campaign-day that has started: epoch ms (the caller's clock) at which
   * the allocator was seen without state. Every commit the lost state accepted happened before it, so
   * the source must not answer before its `committed` covers everything up to then; it throws
   * `LedgerBehindError` instead (the caller grants nothing and asks again later: fail closed).
   */
  stateLostBy?: number;
}

/** The source cannot yet prove its committed spend covers the moment the allocator lost its state. */
export class LedgerBehindError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerBehindError';
  }
}

export interface BudgetSource {
  /**
   * undefined: the campaign does not spend that day (not active, unknown). `context` is given when the
   * caller initialises the allocator's campaign-day with the answer; without it this is a budget lookup.
   */
  load(campaignDay: CampaignDay, context?: LoadContext): Promise<CampaignDayBudget | undefined>;
}
