/**
 * Frequency caps in Redis, read on the hot path only through a local cache.
 *
 * Counting: fixed windows. A user's impressions of a campaign in window `floor(now / period)` live in
 * `fc:{campaignId}:<userId>:<periodHours>:<window>` (INCR on a win notice, EXPIRE = period + 60 s).
 * A cap of N per P hours is therefore enforced per aligned window, not per sliding window: across a
 * window boundary a user can see up to 2N in P hours. That is the usual ad-server trade-off (one key,
 * one INCR); a sliding window would cost a sorted set per user and campaign.
 *
 * Hot path: `count` reads the local cache (no I/O). A key not in the cache answers 0 and is queued;
 * a background loop (default every 50 ms) MGETs queued keys and refreshes stale ones (older than
 * `ttlMs`, default 5 s). Wins recorded by this task are counted locally at once; wins by other
 * tasks become visible within one refresh. A user new to this task can therefore get one bid per
 * campaign before the count arrives: the cap may be exceeded by the number of tasks, briefly.
 * If Redis is unreachable, cached counts keep serving and INCRs are dropped (counted).
 */
import type { Redis } from 'ioredis';
import type { FrequencyCounter } from './ports.js';
import type { MetricsSink } from './metrics.js';

interface Entry {
  count: number;
  fetchedAt: number;
}

export class RedisFrequencyCounter implements FrequencyCounter {
  private readonly cache = new Map<string, Entry>();
  private readonly queue = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly clock: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly options: { metrics: MetricsSink; ttlMs?: number; intervalMs?: number; maxEntries?: number; clock?: () => number } ,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  private key(userId: string, campaignId: string, periodHours: number, now: number): { key: string; expireS: number } {
    const periodMs = periodHours * 3_600_000;
    const window = Math.floor(now / periodMs);
    return { key: `fc:{${campaignId}}:${userId}:${periodHours}:${window}`, expireS: Math.ceil(periodMs / 1000) + 60 };
  }

  count(userId: string, campaignId: string, periodHours: number): number {
    const { key } = this.key(userId, campaignId, periodHours, this.clock());
    const entry = this.cache.get(key);
    if (entry) return entry.count;
    if (this.queue.size < 10_000) this.queue.add(key);
    return 0;
  }

  record(userId: string, campaignId: string, periodHours: number): void {
    const { key, expireS } = this.key(userId, campaignId, periodHours, this.clock());
    const entry = this.cache.get(key);
    if (entry) entry.count += 1;
    else this.cache.set(key, { count: 1, fetchedAt: 0 });
    this.redis
      .multi()
      .incr(key)
      .expire(key, expireS)
      .exec()
      .then((res) => {
        const value = res?.[0]?.[1];
        const e = this.cache.get(key);
        if (typeof value === 'number' && e && value > e.count) e.count = value;
      })
      .catch(() => this.options.metrics.count('FrequencyWriteErrors'));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sync(), this.options.intervalMs ?? 50);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One background pass: fetch queued keys and refresh stale ones. */
  async sync(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = this.clock();
      const ttl = this.options.ttlMs ?? 5_000;
      const keys = [...this.queue];
      this.queue.clear();
      for (const [key, entry] of this.cache) {
        if (now - entry.fetchedAt > ttl) {
          if (now - entry.fetchedAt > 10 * ttl && entry.fetchedAt > 0) this.cache.delete(key);
          else keys.push(key);
        }
        if (keys.length >= 1000) break;
      }
      if (keys.length === 0) return;
      const values = await this.redis.mget(...keys);
      keys.forEach((key, i) => {
        const n = Number(values[i] ?? 0) || 0;
        const e = this.cache.get(key);
        if (e) {
          e.count = Math.max(e.count, n);
          e.fetchedAt = now;
        } else this.cache.set(key, { count: n, fetchedAt: now });
      });
      const max = this.options.maxEntries ?? 500_000;
      if (this.cache.size > max) this.cache.clear();
    } catch {
      this.options.metrics.count('FrequencyReadErrors');
    } finally {
      this.busy = false;
    }
  }
}

/** In-memory counter (tests, or when no Redis is configured). */
export class MemoryFrequencyCounter implements FrequencyCounter {
  private readonly counts = new Map<string, number>();
  count(userId: string, campaignId: string, periodHours: number): number {
    return this.counts.get(`${campaignId}:${userId}:${periodHours}`) ?? 0;
  }
  record(userId: string, campaignId: string, periodHours: number): void {
    const k = `${campaignId}:${userId}:${periodHours}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
}
