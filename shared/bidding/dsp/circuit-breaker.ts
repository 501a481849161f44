/**
 * Per-DSP circuit breaker. Pure state machine; the clock is injected (`now()` in ms, monotonic).
 *
 *   closed ──(N consecutive failures, or failure rate > threshold over the window)──▶ open
 *   open ──(cooldown elapsed; checked lazily on the next call)──▶ half-open
 *   half-open: at most `halfOpenMaxProbes` requests in flight; every other request is rejected
 *   half-open ──(`halfOpenSuccessesToClose` probe successes)──▶ closed (window and counters reset)
 *   half-open ──(any probe failure)──▶ open (a fresh cooldown)
 *
 * Protocol for callers: `tryAcquire()` before sending (false = skip this DSP, counted by the caller);
 * after an admitted request exactly one of `onSuccess()`, `onFailure()` or `release()` (no verdict:
 * the request was never sent, or our side cancelled it). A "failure" is anything that says the DSP is
 * unhealthy: a timeout, a connection error, a non-2xx status, an unparseable body. A no-bid is a success.
 *
 * "Consecutive" means one after the other in time, not just in completion order: a failure adds to the
 * streak only if its request started at or after the last failure that was counted (pass `startedAt`
 * to `onFailure`). Requests started before that failure were already in flight when it happened, so
 * when they fail too (a burst of concurrent timeouts on cold connections, one stall of the DSP) it is
 * the same incident, not N independent ones. A DSP that stays down still opens the breaker: every
 * request sent after a counted failure that fails again counts, so the streak grows by one per
 * timeout period at the least. The error-rate window still records every failure.
 */
import { DEFAULT_BREAKER_SETTINGS, type CircuitBreakerSettings } from './config.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Numeric form for metrics (alarm on > 0 … or == 2 for "open"). */
export const BREAKER_STATE_CODE: Readonly<Record<BreakerState, number>> = Object.freeze({ closed: 0, 'half-open': 1, open: 2 });

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** Failures not added to the streak: their request was in flight when a counted failure happened. */
  overlappingFailures: number;
  windowRequests: number;
  windowFailures: number;
  /** Times the breaker went to open (from closed or half-open). */
  opened: number;
  /** Requests refused by `tryAcquire`. */
  rejected: number;
  probesInFlight: number;
  /** When an open breaker lets probes through (ms, same clock), else undefined. */
  retryAt?: number;
}

const BUCKETS = 10;

export class CircuitBreaker {
  private readonly settings: CircuitBreakerSettings;
  private readonly now: () => number;
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private lastCountedFailureAt = Number.NEGATIVE_INFINITY;
  private overlappingFailures = 0;
  private openedAt = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private openedCount = 0;
  private rejectedCount = 0;
  // Sliding window: BUCKETS buckets of windowMs / BUCKETS, indexed by absolute bucket number.
  private readonly bucketMs: number;
  private readonly bucketIds = new Float64Array(BUCKETS).fill(-1);
  private readonly bucketRequests = new Uint32Array(BUCKETS);
  private readonly bucketFailures = new Uint32Array(BUCKETS);

  constructor(settings: Partial<CircuitBreakerSettings> = {}, now: () => number = () => performance.now()) {
    this.settings = { ...DEFAULT_BREAKER_SETTINGS, ...settings };
    this.now = now;
    this.bucketMs = Math.max(1, this.settings.windowMs / BUCKETS);
  }

  /** Current state (moves open → half-open when the cooldown has passed). */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.settings.cooldownMs) {
      this.current = 'half-open';
      this.probesInFlight = 0;
      this.probeSuccesses = 0;
    }
    return this.current;
  }

  /** May a request be sent now? When true the caller owes one onSuccess/onFailure/release. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open' && this.probesInFlight < this.settings.halfOpenMaxProbes) {
      this.probesInFlight++;
      return true;
    }
    this.rejectedCount++;
    return false;
  }

  /** An admitted request ended with no verdict on the DSP's health (not sent, or cancelled by us). */
  release(): void {
    if (this.current === 'half-open' && this.probesInFlight > 0) this.probesInFlight--;
  }

  onSuccess(): void {
    const state = this.current;
    if (state === 'half-open') {
      if (this.probesInFlight > 0) this.probesInFlight--;
      if (++this.probeSuccesses >= this.settings.halfOpenSuccessesToClose) this.close();
      return;
    }
    if (state === 'open') return; // a straggler admitted before the breaker opened: no verdict now
    this.consecutiveFailures = 0;
    this.record(false);
  }

  /**
   * A failed request. `startedAt` (same clock) is when it was admitted; without it the failure always
   * counts toward the streak (the caller cannot tell concurrent requests apart).
   */
  onFailure(startedAt?: number): void {
    const state = this.current;
    if (state === 'half-open') {
      this.lastCountedFailureAt = this.now();
      this.trip();
      return;
    }
    if (state === 'open') return;
    this.record(true);
    if (startedAt !== undefined && startedAt < this.lastCountedFailureAt) {
      this.overlappingFailures++;
    } else {
      this.consecutiveFailures++;
      this.lastCountedFailureAt = this.now();
    }
    if (this.consecutiveFailures >= this.settings.failureThreshold) {
      this.trip();
      return;
    }
    const { requests, failures } = this.windowCounts();
    if (requests >= this.settings.minRequestsInWindow && failures / requests > this.settings.errorRateThreshold) this.trip();
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    const { requests, failures } = this.windowCounts();
    const snap: BreakerSnapshot = {
      state,
      consecutiveFailures: this.consecutiveFailures,
      overlappingFailures: this.overlappingFailures,
      windowRequests: requests,
      windowFailures: failures,
      opened: this.openedCount,
      rejected: this.rejectedCount,
      probesInFlight: this.probesInFlight,
    };
    if (state === 'open') snap.retryAt = this.openedAt + this.settings.cooldownMs;
    return snap;
  }

  private trip(): void {
    this.current = 'open';
    this.openedAt = this.now();
    this.openedCount++;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
  }

  private close(): void {
    this.current = 'closed';
    this.consecutiveFailures = 0;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    this.bucketIds.fill(-1);
    this.bucketRequests.fill(0);
    this.bucketFailures.fill(0);
  }

  private record(failure: boolean): void {
    const id = Math.floor(this.now() / this.bucketMs);
    const slot = ((id % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.bucketIds[slot] !== id) {
      this.bucketIds[slot] = id;
      this.bucketRequests[slot] = 0;
      this.bucketFailures[slot] = 0;
    }
    this.bucketRequests[slot]!++;
    if (failure) this.bucketFailures[slot]!++;
  }

  private windowCounts(): { requests: number; failures: number } {
    const newest = Math.floor(this.now() / this.bucketMs);
    let requests = 0;
    let failures = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const id = this.bucketIds[slot]!;
      if (id > newest - BUCKETS && id <= newest) {
        requests += this.bucketRequests[slot]!;
        failures += this.bucketFailures[slot]!;
      }
    }
    return { requests, failures };
  }
}
