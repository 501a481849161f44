import type { ClientRateLimit, RateDecision } from '../domain/rate-limit.js';

/**
 * Counts each authenticated caller's requests per fixed window (shared/domain/rate-limit.ts) and
 * refuses those over the limit. Shared by every function of the API, so the limit holds across routes
 * and Lambda instances. Throws when the count cannot be read or written (the caller decides whether
 * to admit the request anyway).
 */
export interface ClientRateLimiter {
  readonly limit: ClientRateLimit;
  /** Counts one request of `clientId` made at `at`, or refuses it (counting nothing) when its window is full. */
  admit(clientId: string, at: Date): Promise<RateDecision>;
}
