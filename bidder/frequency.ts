/**
 * Frequency caps in Redis, read on the hot path only through a local cache.
 *
 * Counting: sliding windows. Advertisers buy "at most N per P hours" and read it as any P hours, so
 * the count at an instant must cover the P hours before it. Options weighed:
 *  - fixed windows (one INCR per aligned window, the previous scheme): cheap, but a user can see 2N
 *    in P hours across a window boundary;
 *  - a sorted set of impression timestamps per user and campaign: exact, but memory grows with the
 *    impressions, and the local cache would have to hold timestamps;
 *  - two windows weighted by elapsed time (current + previous × remaining share): one or two
 *    counters, but it assumes the previous window's impressions were spread evenly, so it can
 *    under-count and let the cap be exceeded;
 *  - sub-buckets (chosen): P cut into B = 12 epoch-aligned buckets, the count is the sum of the buckets
 *    from the one holding `now − P` on, that oldest one counted whole. It never under-counts, so no
 *    window of P hours ever holds more than N; it over-counts by at most one bucket (P/12), i.e. a
 *    user may wait up to P + P/12 for old impressions to stop counting. Arithmetic and proof sketch:
 *    `frequency-window.ts`.
 *
 * Redis: one HASH per user, campaign and period, `fcw:{campaignId}:<periodHours>:<userId>` (hash tag =
 * campaign, Cluster-safe; the user id last, so a ':' in it cannot make two keys collide), field =
 * bucket index, value = impressions. A win notice runs MULTI HINCRBY (its bucket) + HDEL (the buckets
 * that stopped counting) + PEXPIRE (until its bucket stops counting, + 60 s for clock skew): a key
 * holds at most B + 1 fields and disappears when its user stops seeing the campaign.
 *
 * Hot path: `count` reads the local cache (no I/O). A key not in the cache answers 0 and is queued;
 * a background loop (default every 50 ms) HGETALLs queued keys (one pipeline) and refreshes stale ones
 * (older than `ttlMs`, default 5 s) that were used within 10 × `ttlMs`; idle ones are dropped. A
 * fetch merges with the cached buckets by maximum, so wins recorded by this task count locally at
 * once and wins by other tasks become visible within one refresh. A user new to this task can
 * therefore get one bid per campaign before the count arrives: the cap may be exceeded by the number
 * of tasks, briefly. If Redis is unreachable, cached counts keep serving (used entries are kept, not
 * refreshed) and writes are dropped (counted as `FrequencyWriteErrors`, reads as `FrequencyReadErrors`).
 */
import type { Redis } from 'ioredis';
import type { FrequencyCounter } from './ports.js';
import type { MetricsSink } from './metrics.js';
import {
  addImpressions,
  type BucketCounts,
  bucketOf,
  countInWindow,
  keyTtlMs,
  mergeCounts,
  pruneCounts,
  raiseBucket,
  staleBuckets,
  type WindowSpec,
  windowSpec,
} from './frequency-window.js';

/** Added to a key's life for clock skew between tasks; must stay under one bucket (5 min for 1 h). */
const EXPIRY_SLACK_MS = 60_000;
/** Keys fetched per background pass, queued ones first (stale ones fill up to this). */
const MAX_FETCH = 1_000;
/** Unknown keys waiting for their first fetch. */
const MAX_QUEUE = 10_000;

/** The Redis hash of one user's impressions of one campaign, for one cap period. */
export function frequencyKey(userId: string, campaignId: string, periodHours: number): string {
  return `fcw:{${campaignId}}:${periodHours}:${userId}`;
}

/** An HGETALL answer as bucket counts (fields that are not bucket numbers are ignored). */
export function bucketsFromHash(hash: Record<string, string>): BucketCounts {
  const counts: BucketCounts = [];
  for (const [field, value] of Object.entries(hash)) {
    const bucket = Number(field);
    const n = Number(value);
    if (Number.isInteger(bucket) && Number.isFinite(n) && n > 0) counts.push([bucket, n]);
  }
  return counts;
}

interface Entry {
  readonly spec: WindowSpec;
  /** This task's wins at once, merged (per bucket, by maximum) with Redis on each fetch. */
  readonly buckets: BucketCounts;
  /** Last successful fetch; 0 = never (created by a win), so the next pass fetches it. */
  fetchedAt: number;
  /** Last read or win: entries idle for 10 × ttl are dropped instead of refreshed. */
  usedAt: number;
}

interface Due {
  key: string;
  spec: WindowSpec;
}

export class RedisFrequencyCounter implements FrequencyCounter {
  private readonly cache = new Map<string, Entry>();
  /** Keys read on the hot path but not cached yet, with their window. */
  private readonly queue = new Map<string, WindowSpec>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly clock: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly options: { metrics: MetricsSink; ttlMs?: number; intervalMs?: number; maxEntries?: number; clock?: () => number },
  ) {
    this.clock = options.clock ?? Date.now;
  }

  count(userId: string, campaignId: string, periodHours: number): number {
    const key = frequencyKey(userId, campaignId, periodHours);
    const now = this.clock();
    const entry = this.cache.get(key);
    if (entry) {
      entry.usedAt = now;
      return countInWindow(entry.spec, entry.buckets, now);
    }
    if (this.queue.size < MAX_QUEUE) this.queue.set(key, windowSpec(periodHours));
    return 0;
  }

  record(userId: string, campaignId: string, periodHours: number): void {
    const key = frequencyKey(userId, campaignId, periodHours);
    const now = this.clock();
    const spec = windowSpec(periodHours);
    const bucket = bucketOf(spec, now);
    const entry = this.entryFor(key, spec, now);
    addImpressions(entry.buckets, bucket);
    pruneCounts(spec, entry.buckets, now);
    this.redis
      .multi()
      .hincrby(key, String(bucket), 1)
      .hdel(key, ...staleBuckets(spec, bucket).map(String))
      .pexpire(key, keyTtlMs(spec, bucket, now, EXPIRY_SLACK_MS))
      .exec()
      .then((results) => {
        if (!results || results.some(([err]) => err)) throw new Error('frequency write failed');
        // Redis's count of the bucket includes other tasks' wins: take it at once.
        const total = results[0]?.[1];
        const cached = this.cache.get(key);
        if (typeof total === 'number' && cached) raiseBucket(cached.buckets, bucket, total);
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
      const due = this.takeDue(now);
      if (due.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const { key } of due) pipeline.hgetall(key);
      const results = await pipeline.exec();
      if (!results) throw new Error('frequency read failed');
      let failed = false;
      due.forEach(({ key, spec }, i) => {
        const [err, hash] = results[i] ?? [new Error('no reply'), undefined];
        if (err || typeof hash !== 'object' || hash === null) failed = true;
        else this.merge(key, spec, bucketsFromHash(hash as Record<string, string>), now);
      });
      if (failed) this.options.metrics.count('FrequencyReadErrors');
      if (this.cache.size > (this.options.maxEntries ?? 500_000)) this.cache.clear();
    } catch {
      this.options.metrics.count('FrequencyReadErrors');
    } finally {
      this.busy = false;
    }
  }

  private entryFor(key: string, spec: WindowSpec, now: number): Entry {
    let entry = this.cache.get(key);
    if (!entry) {
      entry = { spec, buckets: [], fetchedAt: 0, usedAt: now };
      this.cache.set(key, entry);
    }
    entry.usedAt = now;
    return entry;
  }

  /**
   * Queued keys, then stale entries still in use (up to MAX_FETCH). Entries idle for 10 × ttl are
   * dropped here; entries whose fetch fails stay (and keep serving) as long as they are used.
   */
  private takeDue(now: number): Due[] {
    const ttl = this.options.ttlMs ?? 5_000;
    const due = new Map(this.queue);
    this.queue.clear();
    for (const [key, entry] of this.cache) {
      if (due.size >= MAX_FETCH) break;
      if (now - entry.usedAt > 10 * ttl) this.cache.delete(key);
      else if (now - entry.fetchedAt > ttl) due.set(key, entry.spec);
    }
    return [...due].map(([key, spec]) => ({ key, spec }));
  }

  private merge(key: string, spec: WindowSpec, remote: BucketCounts, now: number): void {
    let entry = this.cache.get(key);
    if (!entry) {
      entry = { spec, buckets: [], fetchedAt: now, usedAt: now };
      this.cache.set(key, entry);
    }
    mergeCounts(entry.buckets, remote);
    pruneCounts(entry.spec, entry.buckets, now);
    entry.fetchedAt = now;
  }
}

/** In-memory counter (tests, or when no Redis is configured): the same sliding windows, no sharing. */
export class MemoryFrequencyCounter implements FrequencyCounter {
  private readonly counts = new Map<string, BucketCounts>();

  constructor(private readonly clock: () => number = Date.now) {}

  count(userId: string, campaignId: string, periodHours: number): number {
    const counts = this.counts.get(frequencyKey(userId, campaignId, periodHours));
    return counts ? countInWindow(windowSpec(periodHours), counts, this.clock()) : 0;
  }

  record(userId: string, campaignId: string, periodHours: number): void {
    const key = frequencyKey(userId, campaignId, periodHours);
    const spec = windowSpec(periodHours);
    const now = this.clock();
    const counts = this.counts.get(key) ?? [];
    addImpressions(counts, bucketOf(spec, now));
    pruneCounts(spec, counts, now);
    this.counts.set(key, counts);
  }
}
