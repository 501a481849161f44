/**
 * In-memory ClientRateLimiter with the DynamoDB adapter's semantics (one counter per client and
 * clock-aligned window; a refused request counts nothing), for handler tests.
 */
import { type ClientRateLimit, type RateDecision, rateWindowAt, secondsUntilWindowEnds } from '../../domain/rate-limit.js';
import type { ClientRateLimiter } from '../../ports/client-rate-limiter.js';

export class InMemoryClientRateLimiter implements ClientRateLimiter {
  private readonly counts = new Map<string, number>();

  constructor(readonly limit: ClientRateLimit) {}

  async admit(clientId: string, at: Date): Promise<RateDecision> {
    const window = rateWindowAt(at, this.limit.windowSeconds);
    const key = `${window.startsAt}/${clientId}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= this.limit.requests) return { admitted: false, retryAfterSeconds: secondsUntilWindowEnds(at, window) };
    this.counts.set(key, count + 1);
    return { admitted: true };
  }

  /** Requests counted for `clientId` in the window of `at`. */
  countAt(clientId: string, at: Date): number {
    return this.counts.get(`${rateWindowAt(at, this.limit.windowSeconds).startsAt}/${clientId}`) ?? 0;
  }
}
