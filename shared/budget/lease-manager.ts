/**
 * LeaseManager: runs a bidder's budget leases against a BudgetAllocator (Redis in production).
 *
 * - Hot path: `tryReserve` only touches the LocalLease (no network call).
 * - Background loop (`start`, or `refresh()` step by step): settles expired reservations, returns
 *   unused parts of expiring leases, and asks for a new lease for each campaign whose local
 *   balance is under its low-water mark, before it runs dry.
 * - Notices: `commit` (billing) accepts the notice locally, then confirms it with the allocator;
 *   only `committed`/`duplicate` answers are billable spend. `release` (loss).
 * - Fails closed: when the allocator cannot be reached, no lease is granted, so once the local
 *   leases are used up or expire `tryReserve` answers false. Nothing is ever granted locally.
 * - A campaign-day the allocator does not know (new day, or Redis lost its data) is initialised
 *   from the BudgetSource, conservatively: everything released so far and not known committed is
 *   held as if spent until any lease handed out before could no longer be billed.
 * - Mid-day budget changes: plans carrying the catalog's budget terms are compared on every refresh;
 *   a change is brought into the allocator (`amendBudget`) before the next grant, and the pacing
 *   curve of the new terms gives `releasedNow`.
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import { campaignDayId, dayEndUtc, dayStartUtc, parseCampaignDayId, utcDay } from './campaign-day.js';
import { LocalLease, type LocalCommit, type LocalSpend, type ReturnOrder } from './local-lease.js';
import { releasedAt } from './pacing.js';
import { LedgerBehindError, type AllocatorState, type BudgetAllocator, type BudgetSource, type CommitOutcome, type GrantOutcome } from './ports.js';
import type { Nanos } from './units.js';

export interface CampaignLeasePlan {
  campaignId: string;
  /** How much to ask for per lease (e.g. a few seconds of expected spend). */
  leaseAmount: Nanos;
  /** Refresh when less than this is available locally (default leaseAmount / 2). */
  lowWaterMark?: Nanos;
  /** Highest cost of one impression: grants smaller than this are useless (default 1). */
  maxImpressionCost?: Nanos;
  /**
   * The campaign's daily budget and pacing as the bidder's catalog has them now. Given, they take
   * precedence over the BudgetSource's, and a change during the day is brought into the allocator.
   */
  budget?: CampaignBudgetTerms;
}

export interface CampaignBudgetTerms {
  dailyBudget: Nanos;
  pacing: PacingMode;
  /**
   * The campaign's version the terms were read at (monotonic per campaign): the allocator ignores an
   * amendment older than the one it holds, so a bidder whose catalog lags cannot undo a newer change.
   * Default 0: unversioned, the last amendment wins.
   */
  version?: number;
}

export type LeaseEvent =
  | { type: 'granted'; campaignId: string; campaignDay: string; leaseId: string; amount: Nanos }
  | { type: 'exhausted'; campaignId: string; campaignDay: string }
  | { type: 'initialised'; campaignId: string; campaignDay: string; committed: Nanos; outstanding: Nanos }
  /** The allocator took a changed daily budget: `to` is the budget in force (≥ committed); `withdrawn` came back from open leases. */
  | { type: 'budget_amended'; campaignId: string; campaignDay: string; from: Nanos; to: Nanos; withdrawn: Nanos }
  | { type: 'returned'; campaignDay: string; leaseId: string; amount: Nanos }
  | { type: 'allocator_error'; operation: string; error: string }
  /** Rebuild postponed: the spend ledger does not yet cover the moment the allocator lost its state. */
  | { type: 'ledger_behind'; campaignId: string; campaignDay: string; error: string }
  | { type: 'commit_refused'; bidId: string; reason: string; amount: Nanos }
  | { type: 'reservations_expired'; count: number; amount: Nanos }
  /** Expired reservations another task committed (billing notice landed elsewhere): spent, not released. */
  | { type: 'committed_elsewhere'; count: number; amount: Nanos };

/**
 * What a notice URL signed by a bidder says about a reservation (see bidder/notice-signing.ts):
 * lets any task commit a bill for a reservation another task made.
 */
export interface SignedReservation {
  campaignDay: string;
  leaseId: string;
  /** The reserved cost: a bill above it is refused. */
  cost: Nanos;
}

export interface LeaseManagerOptions {
  allocator: BudgetAllocator;
  source: BudgetSource;
  bidderId: string;
  /** The campaigns this bidder spends for (read on every refresh). */
  campaigns: () => Iterable<CampaignLeasePlan>;
  clock?: () => number;
  /** Lease lifetime (default 10 s). */
  leaseTtlMs?: number;
  /** How long a reservation waits for its notice (default 30 s). */
  reservationTtlMs?: number;
  /** Assumed bound on clock differences between processes (default 1 s). */
  clockSkewMs?: number;
  /** Background loop period (default 200 ms). */
  refreshIntervalMs?: number;
  /** Try to confirm a commit with the allocator for at most this long (default 2 s, capped by the lease's reclaimAt). */
  commitRetryMs?: number;
  /** And at most this many times (default 6). */
  commitAttempts?: number;
  /** Initialise the next campaign-day this long before it starts, so it needs no restart hold (default 10 min). */
  preInitMs?: number;
  onEvent?: (event: LeaseEvent) => void;
}

/** What a billing notice came to. Only `billable: true` may be charged to the advertiser. */
export type CommitReport =
  | { billable: true; status: 'committed' | 'duplicate'; amount: Nanos; campaignId: string; campaignDay: string; elsewhere?: true }
  | { billable: false; status: 'refused_locally'; reason: Extract<LocalCommit, { ok: false }>['reason'] }
  | { billable: false; status: 'refused'; reason: string; amount: Nanos; campaignId: string }
  | { billable: false; status: 'unconfirmed'; error: string; amount: Nanos; campaignId: string };

interface DayInfo {
  dailyBudget: Nanos;
  pacing: PacingMode;
  /** See CampaignBudgetTerms.version (0 from the BudgetSource). */
  budgetVersion: number;
  dayStart: number;
  dayEnd: number;
}

export class LeaseManager {
  readonly local: LocalLease;
  private readonly clock: () => number;
  private readonly leaseTtlMs: number;
  private readonly reservationTtlMs: number;
  private readonly skewMs: number;
  private readonly graceMs: number;
  private readonly refreshIntervalMs: number;
  private readonly commitRetryMs: number;
  private readonly commitAttempts: number;
  private readonly preInitMs: number;
  private readonly preInitialised = new Set<string>();
  /** Campaign-day → when this manager first saw it uninitialised, since it last saw it initialised. */
  private readonly lostSince = new Map<string, number>();
  private readonly dayInfo = new Map<string, { info: DayInfo | undefined; at: number }>();
  /** Campaign → the budget terms of the last refresh's plans (the catalog's current view). */
  private terms = new Map<string, CampaignBudgetTerms>();
  /** Campaign-day → the terms this manager last brought into the allocator, and the allocator's epoch then. */
  private readonly broughtIn = new Map<string, { terms: string; epoch: string }>();
  private readonly lowWater = new Map<string, Nanos>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private reachable = true;
  private stopped = false;

  constructor(private readonly options: LeaseManagerOptions) {
    this.clock = options.clock ?? Date.now;
    this.leaseTtlMs = options.leaseTtlMs ?? 10_000;
    this.reservationTtlMs = options.reservationTtlMs ?? 30_000;
    this.skewMs = options.clockSkewMs ?? 1_000;
    // A reservation made just before expiresAt can be billed until expiresAt + TTL (+ skew both ways).
    this.graceMs = this.reservationTtlMs + 2 * this.skewMs;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 200;
    this.commitRetryMs = options.commitRetryMs ?? 2_000;
    this.commitAttempts = options.commitAttempts ?? 6;
    this.preInitMs = options.preInitMs ?? 600_000;
    this.local = new LocalLease({
      reservationTtlMs: this.reservationTtlMs,
      expirySafetyMs: this.skewMs,
      lowWaterMark: (campaignId) => this.lowWater.get(campaignId) ?? 1,
      refreshAheadMs: Math.max(this.refreshIntervalMs * 2, Math.floor(this.leaseTtlMs / 5)),
    });
  }

  /** True when the last allocator call succeeded. */
  get allocatorReachable(): boolean {
    return this.reachable;
  }

  /** Hot path. */
  tryReserve(campaignId: string, cost: Nanos, bidId: string): boolean {
    return this.local.tryReserve(campaignId, cost, bidId, this.clock());
  }

  release(bidId: string): boolean {
    return this.local.release(bidId);
  }

  /** The campaign-day and lease a live reservation is held on (what the notice URL carries). */
  reservationOf(bidId: string): { campaignDay: string; leaseId: string; amount: Nanos } | undefined {
    return this.local.reservationInfo(bidId);
  }

  /**
   * Billing notice for `bidId`, billed `amount` (default: the reserved cost). Fast path: the
   * reservation is here. Otherwise (it was made by another task behind the load balancer, or it
   * expired here) and when the caller passes the notice's verified `signed` reservation, the commit
   * goes straight to the allocator against that lease: the allocator checks the lease has room, is
   * idempotent per bid id, and refuses a bid the reserving task already voided (resolveBids).
   */
  async commit(bidId: string, amount?: Nanos, signed?: SignedReservation): Promise<CommitReport> {
    const local = this.local.commit(bidId, this.clock(), amount);
    if (local.ok) return this.confirm(local.spend);
    if (!signed || local.reason === 'over_reservation') return { billable: false, status: 'refused_locally', reason: local.reason };
    const billed = amount ?? signed.cost;
    if (!Number.isSafeInteger(billed) || billed < 0 || billed > signed.cost) return { billable: false, status: 'refused_locally', reason: 'over_reservation' };
    let campaignId: string;
    try {
      campaignId = parseCampaignDayId(signed.campaignDay).campaignId;
    } catch {
      return { billable: false, status: 'refused_locally', reason: 'unknown' };
    }
    const report = await this.confirm({
      campaignId,
      campaignDay: signed.campaignDay,
      leaseId: signed.leaseId,
      bidId,
      amount: billed,
      // The allocator itself refuses commits after the lease's reclaimAt.
      commitBy: Number.MAX_SAFE_INTEGER,
    });
    return report.billable ? { ...report, elsewhere: true } : report;
  }

  private async confirm(spend: LocalSpend): Promise<CommitReport> {
    const bidId = spend.bidId;
    const deadline = Math.min(this.clock() + this.commitRetryMs, spend.commitBy - this.skewMs);
    let delay = 25;
    let lastError = 'deadline passed';
    for (let attempt = 0; attempt < this.commitAttempts && this.clock() < deadline; attempt += 1) {
      let outcome: CommitOutcome;
      try {
        outcome = await this.options.allocator.commitSpend({
          campaignDay: spend.campaignDay,
          leaseId: spend.leaseId,
          bidId: spend.bidId,
          amount: spend.amount,
          now: this.clock(),
        });
        this.reachable = true;
      } catch (err) {
        this.reachable = false;
        lastError = String(err);
        this.emit({ type: 'allocator_error', operation: 'commitSpend', error: lastError });
        if (attempt + 1 < this.commitAttempts) await sleep(Math.min(delay, Math.max(0, deadline - this.clock())));
        delay = Math.min(delay * 2, 500);
        continue;
      }
      if (outcome.status === 'refused' && outcome.reason === 'uninitialised' && attempt + 1 < this.commitAttempts) {
        // The allocator lost its state (restart): rebuild it (with the restart hold, which takes
        // commits for earlier leases) and try again.
        try {
          const { campaignId, day } = parseCampaignDayId(spend.campaignDay);
          await this.initialise(campaignId, day, spend.campaignDay, this.clock());
        } catch (err) {
          lastError = String(err);
        }
        continue;
      }
      if (outcome.status === 'refused') {
        if (outcome.reason === 'uninitialised') this.stopReservingOnLostLeases(spend.campaignId);
        this.emit({ type: 'commit_refused', bidId, reason: outcome.reason, amount: spend.amount });
        return { billable: false, status: 'refused', reason: outcome.reason, amount: spend.amount, campaignId: spend.campaignId };
      }
      return { billable: true, status: outcome.status, amount: outcome.amount, campaignId: spend.campaignId, campaignDay: spend.campaignDay };
    }
    return { billable: false, status: 'unconfirmed', error: lastError, amount: spend.amount, campaignId: spend.campaignId };
  }

  /**
   * The allocator has no state for the campaign's day and could not rebuild it yet (the ledger is
   * behind): the local leases belong to the lost state. Bills for bids reserved on them now would be
   * refused until the rebuild, a house cost, so no more reservations on them; bids already reserved
   * keep their bills (after the rebuild the restart hold takes them). Nothing to give back: the
   * allocator no longer knows these leases.
   */
  private stopReservingOnLostLeases(campaignId: string): void {
    this.local.returnUnreserved(campaignId);
  }

  /**
   * Background: asks the allocator, per campaign-day in one call, whether the reservations past
   * their TTL were committed by another task. Committed ones become spent locally; the others are
   * voided in the allocator (a later commit of them is refused) and `settle` frees them. Returns the
   * bid ids that could not be resolved (allocator unreachable or state lost): they stay held.
   */
  private async resolveExpired(now: number): Promise<Set<string>> {
    const hold = new Set<string>();
    const expired = this.local.expiredReservations(now);
    if (expired.length === 0) return hold;
    const byDay = new Map<string, typeof expired>();
    for (const r of expired) {
      const list = byDay.get(r.campaignDay) ?? [];
      list.push(r);
      byDay.set(r.campaignDay, list);
    }
    let count = 0;
    let amount = 0;
    for (const [campaignDay, all] of byDay) {
      for (let i = 0; i < all.length; i += RESOLVE_BATCH) {
        const list = all.slice(i, i + RESOLVE_BATCH);
        try {
          const outcome = await this.options.allocator.resolveBids({ campaignDay, bidIds: list.map((r) => r.bidId), now });
          this.reachable = true;
          if (outcome.status === 'resolved') {
            for (const [bidId, committed] of outcome.committed) {
              if (this.local.committedElsewhere(bidId, committed)) {
                count += 1;
                amount += committed;
              }
            }
            continue;
          }
        } catch (err) {
          this.reachable = false;
          this.emit({ type: 'allocator_error', operation: 'resolveBids', error: String(err) });
        }
        // Unknown whether committed elsewhere: keep it held, while a commit on its lease can still
        // be accepted (until reclaimAt; after that the lease is unusable here anyway, and a return
        // never shrinks a lease below what the allocator has committed on it).
        for (const r of list) if (r.reclaimAt > now) hold.add(r.bidId);
      }
    }
    if (count > 0) this.emit({ type: 'committed_elsewhere', count, amount });
    return hold;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      if (this.running) return;
      this.running = this.refresh()
        .catch((err) => this.emit({ type: 'allocator_error', operation: 'refresh', error: String(err) }))
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.refreshIntervalMs);
    this.timer.unref();
  }

  /** Stops the loop, stops reserving, and returns every unreserved amount to the allocator. */
  async stop(): Promise<{ returned: Nanos }> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    const now = this.clock();
    const hold = await this.resolveExpired(now);
    const drained = this.local.drain(now, hold);
    return { returned: await this.sendReturns(drained.returns) };
  }

  /** One pass of the background loop. */
  async refresh(): Promise<void> {
    const now = this.clock();
    const hold = await this.resolveExpired(now);
    const settled = this.local.settle(now, hold);
    if (settled.expiredReservations > 0) {
      this.emit({ type: 'reservations_expired', count: settled.expiredReservations, amount: settled.expiredAmount });
    }
    await this.sendReturns(settled.returns);
    if (this.stopped) return;
    const plans = [...this.options.campaigns()];
    const previousTerms = this.terms;
    this.terms = new Map(plans.flatMap((p) => (p.budget ? [[p.campaignId, p.budget] as const] : [])));
    // A few campaigns at a time, so a slow allocator does not serialise hundreds of timeouts.
    for (let i = 0; i < plans.length; i += REFRESH_CONCURRENCY) {
      await Promise.all(
        plans.slice(i, i + REFRESH_CONCURRENCY).map(async (plan) => {
          this.lowWater.set(plan.campaignId, plan.lowWaterMark ?? Math.max(1, Math.floor(plan.leaseAmount / 2)));
          const inForce = await this.bringBudgetIn(plan, previousTerms.get(plan.campaignId), now);
          if (inForce && this.local.needsRefresh(plan.campaignId, now)) await this.grant(plan, now);
          await this.preInitialiseNextDay(plan.campaignId, now);
        }),
      );
    }
  }

  /**
   * Brings the catalog's budget for today into the allocator when it differs from what this manager
   * last brought in (a change, the first refresh of the day, or a rebuilt state). A lowering first
   * gives back this bidder's unreserved lease room, so the allocator withdraws less from leases other
   * bidders are reserving on. Returns false when a change could not be brought in: no grant then
   * (fail closed, it may be a lowering).
   */
  private async bringBudgetIn(plan: CampaignLeasePlan, before: CampaignBudgetTerms | undefined, now: number): Promise<boolean> {
    const terms = plan.budget;
    if (!terms) return true;
    if (before && terms.dailyBudget < before.dailyBudget) await this.sendReturns(this.local.returnUnreserved(plan.campaignId));
    const campaignDay = campaignDayId({ campaignId: plan.campaignId, day: utcDay(now) });
    if (this.broughtIn.get(campaignDay)?.terms === termsKey(terms)) return true;
    try {
      const outcome = await this.options.allocator.amendBudget({
        campaignDay,
        dailyBudget: terms.dailyBudget,
        budgetVersion: terms.version ?? 0,
        now,
      });
      this.reachable = true;
      // No state yet: the initialisation takes these terms.
      if (outcome.status === 'uninitialised') return true;
      if (this.broughtIn.size > 10_000) this.broughtIn.clear();
      this.broughtIn.set(campaignDay, { terms: termsKey(terms), epoch: outcome.state.epoch });
      if (outcome.status === 'amended') {
        const { previousBudget: from, withdrawn, state } = outcome;
        this.emit({ type: 'budget_amended', campaignId: plan.campaignId, campaignDay, from, to: state.dailyBudget, withdrawn });
      }
      return true;
    } catch (err) {
      this.reachable = false;
      this.emit({ type: 'allocator_error', operation: 'amendBudget', error: String(err) });
      return false;
    }
  }

  /** A state rebuilt since this manager brought its terms in (Redis lost it) may hold other terms. */
  private noticeEpoch(campaignDay: string, state: AllocatorState): void {
    const brought = this.broughtIn.get(campaignDay);
    if (brought && brought.epoch !== state.epoch) this.broughtIn.delete(campaignDay);
  }

  /**
   * Shortly before midnight UTC, initialises tomorrow while nothing of it is released yet, so the
   * conservative restart hold is 0 and the new day starts spending at once.
   */
  private async preInitialiseNextDay(campaignId: string, now: number): Promise<void> {
    const nextDay = utcDay(dayEndUtc(utcDay(now)));
    if (dayStartUtc(nextDay) - now > this.preInitMs) return;
    const campaignDay = campaignDayId({ campaignId, day: nextDay });
    if (this.preInitialised.has(campaignDay)) return;
    try {
      await this.initialise(campaignId, nextDay, campaignDay, now);
      this.preInitialised.add(campaignDay);
      if (this.preInitialised.size > 10_000) this.preInitialised.clear();
    } catch (err) {
      this.reachable = false;
      this.emit({ type: 'allocator_error', operation: 'initCampaignDay', error: String(err) });
    }
  }

  private async grant(plan: CampaignLeasePlan, now: number): Promise<void> {
    const day = utcDay(now);
    const campaignDay = campaignDayId({ campaignId: plan.campaignId, day });
    try {
      const info = await this.info(plan.campaignId, day);
      if (!info) return;
      const request = {
        campaignDay,
        bidderId: this.options.bidderId,
        want: plan.leaseAmount,
        minAmount: plan.maxImpressionCost ?? 1,
        ttlMs: this.leaseTtlMs,
        graceMs: this.graceMs,
        releasedNow: releasedAt(info.dailyBudget, info.pacing, info.dayStart, now, info.dayEnd - info.dayStart),
        now,
      };
      let outcome: GrantOutcome = await this.options.allocator.grantLease(request);
      if (outcome.status === 'uninitialised') {
        await this.initialise(plan.campaignId, day, campaignDay, now);
        outcome = await this.options.allocator.grantLease(request);
      }
      if (outcome.status === 'uninitialised') {
        this.stopReservingOnLostLeases(plan.campaignId);
      } else {
        this.lostSince.delete(campaignDay);
        this.noticeEpoch(campaignDay, outcome.state);
      }
      this.reachable = true;
      if (outcome.status === 'granted') {
        if (this.local.addGrant(plan.campaignId, outcome.lease)) {
          this.emit({ type: 'granted', campaignId: plan.campaignId, campaignDay, leaseId: outcome.lease.leaseId, amount: outcome.lease.amount });
        } else {
          await this.sendReturns([{ campaignId: plan.campaignId, campaignDay, leaseId: outcome.lease.leaseId, keep: 0, unused: outcome.lease.amount }]);
        }
      } else if (outcome.status === 'exhausted') {
        this.emit({ type: 'exhausted', campaignId: plan.campaignId, campaignDay });
      }
    } catch (err) {
      this.reachable = false;
      this.emit({ type: 'allocator_error', operation: 'grantLease', error: String(err) });
    }
  }

  /**
   * (Re)initialises a campaign-day the allocator has no state for. The allocator may have lost its
   * data with leases still out; those can be billed until at most now + lease TTL + grace, and
   * together hold at most what was released minus what is known committed. That amount is held.
   */
  private async initialise(campaignId: string, day: string, campaignDay: string, now: number): Promise<void> {
    // A day that has started may have had commits the lost state accepted, all before this manager
    // first saw it missing: the source must cover them (consumer watermark past that moment), else no
    // state and no grant yet. The moment is kept across retries, or a lagging ledger would never catch
    // up with a target that moves with the clock. A day not started had no commits.
    let context = {};
    // Minus the skew: a clock running behind may see a day that has in fact started as not started.
    if (now >= dayStartUtc(day) - this.skewMs) {
      const since = this.lostSince.get(campaignDay) ?? now;
      if (this.lostSince.size > 10_000) this.lostSince.clear(); // campaigns that stopped while waiting
      this.lostSince.set(campaignDay, since);
      context = { stateLostBy: since };
    }
    let budget;
    try {
      budget = await this.options.source.load({ campaignId, day }, context);
    } catch (err) {
      if (!(err instanceof LedgerBehindError)) throw err;
      this.emit({ type: 'ledger_behind', campaignId, campaignDay, error: err.message });
      return;
    }
    if (!budget) return;
    const info = await this.info(campaignId, day);
    if (!info) return;
    const released = releasedAt(info.dailyBudget, info.pacing, info.dayStart, now, info.dayEnd - info.dayStart);
    // Not capped at the budget: spend above a lowered budget stays spent (the allocator keeps it in force).
    const committed = budget.committed;
    // A day no allocator held before has no leases out: nothing to hold.
    const outstanding = budget.neverHeld ? 0 : Math.max(0, released - committed);
    const holdUntil = now + this.leaseTtlMs + this.graceMs + this.skewMs;
    const result = await this.options.allocator.initCampaignDay({
      campaignDay,
      dailyBudget: info.dailyBudget,
      committed,
      outstanding,
      holdUntil,
      dayEnd: info.dayEnd,
      budgetVersion: info.budgetVersion,
      now,
    });
    this.lostSince.delete(campaignDay);
    if (result.status === 'initialised') this.emit({ type: 'initialised', campaignId, campaignDay, committed, outstanding });
  }

  private async info(campaignId: string, day: string): Promise<DayInfo | undefined> {
    const terms = this.terms.get(campaignId);
    // The catalog's current terms, when the plans carry them: a change applies from the next refresh.
    if (terms) {
      const { dailyBudget, pacing, version = 0 } = terms;
      return { dailyBudget, pacing, budgetVersion: version, dayStart: dayStartUtc(day), dayEnd: dayEndUtc(day) };
    }
    const key = `${campaignId}/${day}`;
    const cached = this.dayInfo.get(key);
    // A campaign the source did not know is asked again after a minute (it may have been activated).
    if (cached && (cached.info || this.clock() - cached.at < 60_000)) return cached.info;
    const loaded = await this.options.source.load({ campaignId, day });
    const info = loaded
      ? { dailyBudget: loaded.dailyBudget, pacing: loaded.pacing, budgetVersion: 0, dayStart: dayStartUtc(day), dayEnd: dayEndUtc(day) }
      : undefined;
    if (this.dayInfo.size > 10_000) this.dayInfo.clear();
    this.dayInfo.set(key, { info, at: this.clock() });
    return info;
  }

  /**
   * Forgets cached daily budgets read from the BudgetSource (call when a campaign's budget or pacing
   * changes and its plan carries no `budget` terms, which are followed on every refresh).
   */
  invalidate(campaignId?: string): void {
    if (!campaignId) this.dayInfo.clear();
    else for (const key of this.dayInfo.keys()) if (key.startsWith(`${campaignId}/`)) this.dayInfo.delete(key);
  }

  private async sendReturns(orders: ReturnOrder[]): Promise<Nanos> {
    let total = 0;
    for (const order of orders) {
      try {
        const r = await this.options.allocator.returnLease({
          campaignDay: order.campaignDay,
          leaseId: order.leaseId,
          keep: order.keep,
          now: this.clock(),
        });
        if (r.status === 'returned' && r.returned > 0) {
          total += r.returned;
          this.emit({ type: 'returned', campaignDay: order.campaignDay, leaseId: order.leaseId, amount: r.returned });
        }
      } catch (err) {
        // Not returned: the allocator reclaims it at the lease's reclaimAt anyway.
        this.reachable = false;
        this.emit({ type: 'allocator_error', operation: 'returnLease', error: String(err) });
      }
    }
    return total;
  }

  private emit(event: LeaseEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // Metrics hooks must not break budget bookkeeping.
    }
  }
}

const REFRESH_CONCURRENCY = 16;
/** Bid ids per resolveBids call. */
const RESOLVE_BATCH = 500;

/** What identifies a campaign's budget terms for the allocator (pacing lives only in the bidders). */
function termsKey(terms: CampaignBudgetTerms): string {
  return `${terms.dailyBudget}@${terms.version ?? 0}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
