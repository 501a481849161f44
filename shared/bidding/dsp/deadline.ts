/**
 * The fan-out deadline: how long the bidder may wait for external DSPs, derived from the request's tmax.
 *
 * OpenRTB 2.6 defines tmax as the "maximum time in milliseconds the exchange allows for bids to be
 * received including Internet latency to avoid timeout", and an intermediary "should decrease the
 * outbound tmax value from what it received to account for its latency and the additional internet
 * latency from contacting the DSPs". So from the moment the request ARRIVED (pass that as `now`, not
 * the moment the fan-out starts) the budget is:
 *
 *   fan-out budget = tmax − networkMarginMs − auctionMarginMs
 *
 * Chosen margins (defaults, documented here and in DEFAULT_DEADLINE_MARGINS):
 *  - networkMarginMs = 20: the exchange's clock started before our load balancer saw the request and
 *    stops after our response crossed back: exchange↔region RTT inside the same cloud region is a few
 *    ms, LB hop + request read + response write add 1–3 ms, and p99 adds tail; 20 ms keeps a 100 ms
 *    tmax answerable for exchanges in a neighbouring region too.
 *  - auctionMarginMs = 10: after the deadline we still run the auction, reserve budget, build and
 *    serialize the response (well under 1 ms each), plus event-loop jitter from GC and timers firing
 *    late on a busy 2-vCPU task (p99 of several ms).
 *  => tmax 100 (the default when absent) gives a 70 ms fan-out window.
 *
 * tmax outside (0, maxTmaxMs] or not a finite number is treated as absent (default) or clamped; a
 * budget under `minBudgetMs` means "do not call DSPs at all" (the deadline equals `now`).
 */

export interface DeadlineMargins {
  networkMarginMs: number;
  auctionMarginMs: number;
}

export interface DeadlineOptions extends DeadlineMargins {
  /** tmax used when the request has none (OpenRTB leaves it to prior agreement; we assume 100 ms). */
  defaultTmaxMs: number;
  /** Larger tmax values are clamped: waiting longer than this for DSPs is never worth it. */
  maxTmaxMs: number;
  /** Below this fan-out budget, DSPs are not called (a request that cannot come back in time is waste). */
  minBudgetMs: number;
}

export const DEFAULT_TMAX_MS = 100;

export const DEFAULT_DEADLINE_MARGINS: Readonly<DeadlineMargins> = Object.freeze({ networkMarginMs: 20, auctionMarginMs: 10 });

export const DEFAULT_DEADLINE_OPTIONS: Readonly<DeadlineOptions> = Object.freeze({
  ...DEFAULT_DEADLINE_MARGINS,
  defaultTmaxMs: DEFAULT_TMAX_MS,
  maxTmaxMs: 1_000,
  minBudgetMs: 5,
});

/** The tmax we work with: the request's when it is a positive finite number (clamped), else the default. */
export function effectiveTmax(tmax: number | undefined, options: Partial<DeadlineOptions> = {}): number {
  const o = { ...DEFAULT_DEADLINE_OPTIONS, ...options };
  if (typeof tmax !== 'number' || !Number.isFinite(tmax) || tmax <= 0) return o.defaultTmaxMs;
  return Math.min(tmax, o.maxTmaxMs);
}

/** Milliseconds available to the fan-out (0 = do not call DSPs). */
export function fanOutBudgetMs(tmax: number | undefined, options: Partial<DeadlineOptions> = {}): number {
  const o = { ...DEFAULT_DEADLINE_OPTIONS, ...options };
  const budget = effectiveTmax(tmax, o) - Math.max(0, o.networkMarginMs) - Math.max(0, o.auctionMarginMs);
  return budget >= o.minBudgetMs ? budget : 0;
}

/**
 * Absolute fan-out deadline on the clock `now` comes from (use performance.now() taken when the request
 * arrived): `now + fanOutBudgetMs(tmax)`. Equal to `now` when there is no time for DSPs.
 */
export function deadlineFor(tmax: number | undefined, now: number, options: Partial<DeadlineOptions> = {}): number {
  return now + fanOutBudgetMs(tmax, options);
}

/**
 * Timeout for one DSP call started at `now`: min(its own timeout, time left to the deadline), floored to
 * whole ms. 0 or less means "no time left: skip it". Also the tmax we send that DSP (outbound tmax).
 */
export function dspTimeoutMs(dspTimeoutMs: number, deadline: number, now: number): number {
  return Math.floor(Math.min(dspTimeoutMs, deadline - now));
}
