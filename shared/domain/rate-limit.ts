/**
 * Per-client request limits of the API: each caller (JWT `sub`) may make `requests` requests per
 * fixed window of `windowSeconds`. Windows are aligned to the clock (epoch seconds divisible by the
 * window), so every instance of every function agrees on which window a request falls in without
 * talking to the others. A client can therefore send up to twice the limit around a window boundary;
 * the stage throttle bounds that burst.
 */

export interface ClientRateLimit {
  /** Requests admitted per window and client. */
  readonly requests: number;
  readonly windowSeconds: number;
}

/** Accepted ranges (deployment configuration is checked against them at synthesis and at cold start). */
export const CLIENT_RATE_LIMIT_BOUNDS = {
  requests: { min: 1, max: 100_000 },
  windowSeconds: { min: 1, max: 3_600 },
} as const;

export interface RateWindow {
  /** Epoch seconds, inclusive. */
  readonly startsAt: number;
  /** Epoch seconds, exclusive: the next window's start. */
  readonly endsAt: number;
}

export type RateDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

/** The window `at` falls in. */
export function rateWindowAt(at: Date, windowSeconds: number): RateWindow {
  const epochSeconds = Math.floor(at.getTime() / 1000);
  const startsAt = epochSeconds - (epochSeconds % windowSeconds);
  return { startsAt, endsAt: startsAt + windowSeconds };
}

/** Whole seconds until the window ends, at least 1 (what `Retry-After` says). */
export function secondsUntilWindowEnds(at: Date, window: RateWindow): number {
  return Math.max(1, Math.ceil(window.endsAt - at.getTime() / 1000));
}

/** Problems with a limit, one message per field (empty when it is within CLIENT_RATE_LIMIT_BOUNDS). */
export function clientRateLimitProblems(limit: ClientRateLimit): string[] {
  const problems: string[] = [];
  for (const field of ['requests', 'windowSeconds'] as const) {
    const { min, max } = CLIENT_RATE_LIMIT_BOUNDS[field];
    const value = limit[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} must be a whole number from ${min} to ${max}, got ${value}`);
    }
  }
  return problems;
}
