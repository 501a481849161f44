/**
 * The frequency-cap context of internal bids still waiting for their win notice: the user id is not in
 * the notice URL (it would put a user identifier into every exchange's logs), so the task that bid
 * keeps it here. A win that lands on another task records nothing: the cap may then be exceeded by one
 * impression, never the budget. Bounded in time (`ttlMs`) and in size (oldest dropped first, counted).
 */
import type { MetricsSink } from './metrics.js';

export interface FrequencyContext {
  userId: string;
  campaignId: string;
  periodHours: number;
}

interface Held extends FrequencyContext {
  expiresAt: number;
}

export class PendingFrequency {
  private readonly held = new Map<string, Held>();
  private lastSweep = 0;

  constructor(
    private readonly options: { metrics: MetricsSink; ttlMs?: number; max?: number; clock?: () => number },
  ) {}

  get size(): number {
    return this.held.size;
  }

  remember(bidId: string, context: FrequencyContext): void {
    const now = (this.options.clock ?? Date.now)();
    this.sweep(now);
    if (this.held.size >= (this.options.max ?? 500_000)) {
      this.options.metrics.count('PendingDropped');
      const oldest = this.held.keys().next().value;
      if (oldest !== undefined) this.held.delete(oldest);
    }
    this.held.set(bidId, { ...context, expiresAt: now + (this.options.ttlMs ?? 15 * 60_000) });
  }

  /** The context of a bid made here, forgotten as it is returned (a notice needs it once). */
  take(bidId: string): FrequencyContext | undefined {
    const held = this.held.get(bidId);
    if (!held) return undefined;
    this.held.delete(bidId);
    return held;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 5_000) return;
    this.lastSweep = now;
    for (const [bidId, held] of this.held) {
      if (held.expiresAt > now) break; // insertion order = expiry order
      this.held.delete(bidId);
    }
  }
}
