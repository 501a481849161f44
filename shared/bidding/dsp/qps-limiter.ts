/**
 * Token bucket enforcing a DSP's max QPS (per bidder task). Pure; the clock is injected (ms).
 *
 * Tokens refill continuously at `ratePerSecond` up to `burst`; each request takes one. With no token the
 * DSP is skipped for that request (not queued: a queued bid request would arrive too late anyway), and
 * the skip is counted. With N bidder tasks each enforces maxQps / N if the caller divides it (the
 * service knows its task count; the limiter does not).
 */

export interface QpsLimiterStats {
  allowed: number;
  rejected: number;
}

export class QpsLimiter {
  private readonly rate: number; // tokens per ms
  private readonly capacity: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  private allowedCount = 0;
  private rejectedCount = 0;

  constructor(ratePerSecond: number, burst: number | undefined = undefined, now: () => number = () => performance.now()) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError('ratePerSecond must be a positive finite number');
    this.rate = ratePerSecond / 1000;
    this.capacity = Math.max(1, burst ?? Math.ceil(ratePerSecond / 10));
    this.now = now;
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Takes a token if one is available. */
  tryTake(): boolean {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.rate);
      this.last = t;
    }
    // (1 - 1e-9: refills summed in small float steps land a hair under whole tokens)
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      this.allowedCount++;
      return true;
    }
    this.rejectedCount++;
    return false;
  }

  /** Gives back a token taken for a request that was not sent after all. */
  refund(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
    this.allowedCount--;
  }

  get stats(): QpsLimiterStats {
    return { allowed: this.allowedCount, rejected: this.rejectedCount };
  }
}
