/**
 * The bidder's local view of its leases: pure bookkeeping, no I/O, no clock (callers pass `now`).
 * The bid path calls `tryReserve` (a map lookup and a short scan of the campaign's leases); the
 * notice handlers call `commit` / `release`; the background loop calls `settle`, `needsRefresh`,
 * `addGrant`; shutdown calls `drain`.
 *
 * Per lease:  amount = committed + reserved + available   (all ≥ 0, integer nanos)
 * A reservation is taken only from a lease that is still usable (now < expiresAt - safety) and has
 * `available ≥ cost`, so the commits this process sends for a lease never add up to more than the
 * lease. A reservation lives until its billing notice (commit), its loss notice (release) or its
 * TTL (settle). Past its TTL the LeaseManager first asks the allocator whether another task
 * committed the bid (`expiredReservations` → `committedElsewhere`; the allocator voids the others
 * atomically), and only then does `settle` make the amount available again; a local notice after the
 * TTL is refused here (the LeaseManager may still commit it in the allocator, which arbitrates).
 */
import type { LeaseGrant } from './ports.js';
import type { Nanos } from './units.js';

export interface LocalLeaseOptions {
  /** How long a reservation waits for its billing or loss notice (ms). */
  reservationTtlMs: number;
  /** Stop reserving from a lease this long before its expiresAt (clock skew margin, ms). Default 0. */
  expirySafetyMs?: number;
  /** needsRefresh is true below this many nanos available (per campaign, or one value for all). */
  lowWaterMark: Nanos | ((campaignId: string) => Nanos);
  /** For needsRefresh, leases expiring within this many ms count as gone. Default 0. */
  refreshAheadMs?: number;
}

export interface HeldLease {
  readonly campaignId: string;
  readonly campaignDay: string;
  readonly leaseId: string;
  /** Current size (shrinks as unused parts are returned). */
  amount: Nanos;
  committed: Nanos;
  reserved: Nanos;
  readonly expiresAt: number;
  readonly reclaimAt: number;
}

export interface Reservation {
  readonly bidId: string;
  readonly campaignId: string;
  readonly lease: HeldLease;
  readonly amount: Nanos;
  readonly expiresAt: number;
}

/** A billing notice accepted locally: forward it to the allocator (commitSpend). */
export interface LocalSpend {
  campaignId: string;
  campaignDay: string;
  leaseId: string;
  bidId: string;
  amount: Nanos;
  /** After this instant the allocator may refuse the commit (the lease's reclaimAt). */
  commitBy: number;
}

export type LocalCommit =
  | { ok: true; spend: LocalSpend }
  /** unknown: no such reservation (never made, released, already committed or expired and dropped). */
  | { ok: false; reason: 'unknown' | 'expired' | 'over_reservation' };

/** Shrink a lease in the allocator to `keep` (returnLease); `unused` is what goes back. */
export interface ReturnOrder {
  campaignId: string;
  campaignDay: string;
  leaseId: string;
  keep: Nanos;
  unused: Nanos;
}

export interface SettleResult {
  expiredReservations: number;
  expiredAmount: Nanos;
  returns: ReturnOrder[];
}

export class LocalLease {
  private readonly leases = new Map<string, HeldLease[]>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly ttl: number;
  private readonly safety: number;
  private readonly refreshAhead: number;
  private draining = false;

  constructor(private readonly options: LocalLeaseOptions) {
    if (!(options.reservationTtlMs > 0)) throw new RangeError('reservationTtlMs must be positive');
    this.ttl = options.reservationTtlMs;
    this.safety = options.expirySafetyMs ?? 0;
    this.refreshAhead = options.refreshAheadMs ?? 0;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Takes a grant. Returns false (and keeps nothing) while draining: return it to the allocator. */
  addGrant(campaignId: string, grant: LeaseGrant): boolean {
    if (this.draining) return false;
    if (!Number.isSafeInteger(grant.amount) || grant.amount <= 0) return false;
    const list = this.leases.get(campaignId) ?? [];
    if (list.some((l) => l.leaseId === grant.leaseId && l.campaignDay === grant.campaignDay)) return false;
    list.push({
      campaignId,
      campaignDay: grant.campaignDay,
      leaseId: grant.leaseId,
      amount: grant.amount,
      committed: 0,
      reserved: 0,
      expiresAt: grant.expiresAt,
      reclaimAt: grant.reclaimAt,
    });
    // Oldest expiry first: spend the lease that goes away soonest.
    list.sort((a, b) => a.expiresAt - b.expiresAt);
    this.leases.set(campaignId, list);
    return true;
  }

  private usable(lease: HeldLease, now: number): boolean {
    return now < lease.expiresAt - this.safety;
  }

  /** Hot path: reserve `cost` for `bidId` from a usable lease. No I/O. */
  tryReserve(campaignId: string, cost: Nanos, bidId: string, now: number): boolean {
    if (this.draining) return false;
    if (!Number.isSafeInteger(cost) || cost <= 0) return false;
    if (this.reservations.has(bidId)) return false;
    const list = this.leases.get(campaignId);
    if (!list) return false;
    for (const lease of list) {
      if (!this.usable(lease, now)) continue;
      if (lease.amount - lease.committed - lease.reserved < cost) continue;
      // A reservation never outlives the lease's commit window.
      const expiresAt = Math.min(now + this.ttl, lease.reclaimAt - this.safety);
      if (expiresAt <= now) continue;
      lease.reserved += cost;
      this.reservations.set(bidId, { bidId, campaignId, lease, amount: cost, expiresAt });
      return true;
    }
    return false;
  }

  /**
   * Billing notice: the reservation becomes committed spend (of `amount`, default the reserved cost;
   * the difference goes back to the lease). Refused if the reservation is gone or past its TTL, or if
   * the notice bills more than was reserved; a refused amount leaves the reservation as it was, so the
   * genuine bill can still be charged.
   */
  commit(bidId: string, now: number, amount?: Nanos): LocalCommit {
    const r = this.reservations.get(bidId);
    if (!r) return { ok: false, reason: 'unknown' };
    // Past its TTL the reservation stays held until the background loop resolves it with the
    // allocator (committed elsewhere, or voided there): a late notice may still be committed there.
    if (now >= r.expiresAt) return { ok: false, reason: 'expired' };
    const billed = amount ?? r.amount;
    if (!Number.isSafeInteger(billed) || billed < 0 || billed > r.amount) return { ok: false, reason: 'over_reservation' };
    this.reservations.delete(bidId);
    r.lease.reserved -= r.amount;
    r.lease.committed += billed;
    return {
      ok: true,
      spend: {
        campaignId: r.campaignId,
        campaignDay: r.lease.campaignDay,
        leaseId: r.lease.leaseId,
        bidId,
        amount: billed,
        commitBy: r.lease.reclaimAt,
      },
    };
  }

  /** Loss notice (or a bid that was not sent): the reserved amount is available again. */
  release(bidId: string): boolean {
    const r = this.reservations.get(bidId);
    if (!r) return false;
    this.reservations.delete(bidId);
    r.lease.reserved -= r.amount;
    return true;
  }

  /**
   * Background housekeeping: drops reservations past their TTL (their amount is available again;
   * a later notice for them is refused), and for leases no longer usable shrinks them to what is
   * committed or still reserved, returning orders for the allocator (returnLease). Leases with
   * nothing reserved left are forgotten.
   */
  settle(now: number, hold?: ReadonlySet<string>): SettleResult {
    let expiredReservations = 0;
    let expiredAmount = 0;
    for (const [bidId, r] of this.reservations) {
      // `hold`: expired reservations not yet resolved with the allocator (it was unreachable): they
      // stay reserved (fail closed) until it can say whether another task committed them.
      if (now >= r.expiresAt && !hold?.has(bidId)) {
        this.reservations.delete(bidId);
        r.lease.reserved -= r.amount;
        expiredReservations += 1;
        expiredAmount += r.amount;
      }
    }
    const returns: ReturnOrder[] = [];
    for (const [campaignId, list] of this.leases) {
      const kept: HeldLease[] = [];
      for (const lease of list) {
        if (this.usable(lease, now) && !this.draining) {
          kept.push(lease);
          continue;
        }
        const keep = lease.committed + lease.reserved;
        if (lease.amount > keep) {
          returns.push({ campaignId, campaignDay: lease.campaignDay, leaseId: lease.leaseId, keep, unused: lease.amount - keep });
          lease.amount = keep;
        }
        if (lease.reserved > 0) kept.push(lease);
      }
      if (kept.length > 0) this.leases.set(campaignId, kept);
      else this.leases.delete(campaignId);
    }
    return { expiredReservations, expiredAmount, returns };
  }

  /** Reservations past their TTL (now ≥ expiresAt), to resolve with the allocator before settle drops them. */
  expiredReservations(now: number): Array<{ bidId: string; campaignId: string; campaignDay: string; leaseId: string; amount: Nanos; reclaimAt: number }> {
    const out = [];
    for (const r of this.reservations.values()) {
      if (now >= r.expiresAt) {
        out.push({ bidId: r.bidId, campaignId: r.campaignId, campaignDay: r.lease.campaignDay, leaseId: r.lease.leaseId, amount: r.amount, reclaimAt: r.lease.reclaimAt });
      }
    }
    return out;
  }

  /**
   * The allocator says another task committed this (expired) reservation's bid: the amount is
   * spent (`committed`, at most the reservation; the rest is available again), never handed out again.
   */
  committedElsewhere(bidId: string, committed: Nanos): boolean {
    const r = this.reservations.get(bidId);
    if (!r) return false;
    this.reservations.delete(bidId);
    r.lease.reserved -= r.amount;
    r.lease.committed += Math.max(0, Math.min(committed, r.amount));
    return true;
  }

  /**
   * The campaign's budget was lowered: its leases keep only what is committed or reserved (the
   * allocator may have withdrawn the rest) and return orders give the rest back. No more reservations
   * on them; fresh leases are asked for under the new budget.
   */
  returnUnreserved(campaignId: string): ReturnOrder[] {
    const returns: ReturnOrder[] = [];
    for (const lease of this.leases.get(campaignId) ?? []) {
      const keep = lease.committed + lease.reserved;
      if (lease.amount <= keep) continue;
      returns.push({ campaignId, campaignDay: lease.campaignDay, leaseId: lease.leaseId, keep, unused: lease.amount - keep });
      lease.amount = keep;
    }
    return returns;
  }

  /** Shutdown: no more reservations; orders to return everything not committed or reserved. */
  drain(now: number, hold?: ReadonlySet<string>): SettleResult {
    this.draining = true;
    return this.settle(now, hold);
  }

  /** Available to reserve now for a campaign (sum over usable leases). */
  remaining(campaignId: string, now: number): Nanos {
    return this.sumAvailable(campaignId, now, 0);
  }

  /** True when the campaign's available amount, not counting leases about to expire, is below the low-water mark. */
  needsRefresh(campaignId: string, now: number): boolean {
    if (this.draining) return false;
    const mark = typeof this.options.lowWaterMark === 'function' ? this.options.lowWaterMark(campaignId) : this.options.lowWaterMark;
    return this.sumAvailable(campaignId, now, this.refreshAhead) < Math.max(1, mark);
  }

  private sumAvailable(campaignId: string, now: number, ahead: number): Nanos {
    if (this.draining) return 0;
    let sum = 0;
    for (const lease of this.leases.get(campaignId) ?? []) {
      if (this.usable(lease, now + ahead)) sum += lease.amount - lease.committed - lease.reserved;
    }
    return sum;
  }

  /** Every held lease (read-only snapshot for metrics and tests). */
  heldLeases(): HeldLease[] {
    return [...this.leases.values()].flatMap((list) => list.map((l) => ({ ...l })));
  }

  reservationCount(): number {
    return this.reservations.size;
  }

  /** The campaign-day and lease a reservation is held on (for the notice URL). */
  reservationInfo(bidId: string): { campaignDay: string; leaseId: string; amount: Nanos } | undefined {
    const r = this.reservations.get(bidId);
    return r ? { campaignDay: r.lease.campaignDay, leaseId: r.lease.leaseId, amount: r.amount } : undefined;
  }

  /** The lease a reservation is held on. */
  reservationLease(bidId: string): string | undefined {
    return this.reservations.get(bidId)?.lease.leaseId;
  }

  hasReservation(bidId: string): boolean {
    return this.reservations.has(bidId);
  }
}
