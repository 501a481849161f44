/**
 * RedisFrequencyCounter on a real redis-server with injected clocks (no sleeps): sliding windows
 * across an hour boundary, two tasks sharing counts, the hash's pruning and expiry, and the counter
 * with Redis gone (cached counts keep serving, writes and reads dropped and counted).
 */
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { frequencyKey, RedisFrequencyCounter } from '../../../bidder/frequency.js';
import { bucketOf, windowSpec } from '../../../bidder/frequency-window.js';
import type { MetricsSink } from '../../../bidder/metrics.js';
import { useRedis } from './support.js';

const ctx = useRedis();

const MIDNIGHT = Date.UTC(2026, 10, 22);
const at = (h: number, m: number, s = 0) => MIDNIGHT + h * 3_600_000 + m * 60_000 + s * 1_000;
const TTL_MS = 5_000;
const CAP = { impressions: 3, periodHours: 1 };

class CountingMetrics implements MetricsSink {
  readonly counts = new Map<string, number>();
  count(name: string, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
  latency(): void {}
  gauge(): void {}
}

/** One bidder task's counter on its own clock. */
function task(redis: Redis = ctx.redis) {
  const clock = { now: 0 };
  const metrics = new CountingMetrics();
  const counter = new RedisFrequencyCounter(redis, { metrics, ttlMs: TTL_MS, clock: () => clock.now });
  return { clock, metrics, counter };
}

/**
 * Waits for the counter's fire-and-forget writes and their callbacks: replies on one connection
 * arrive in order, and a macrotask turn runs after every promise callback they queued.
 */
async function writesLanded(redis: Redis = ctx.redis): Promise<void> {
  await redis.ping();
  await new Promise((resolve) => setImmediate(resolve));
}

/** What the bid path asks: may this user see the campaign once more? */
const mayBid = (counter: RedisFrequencyCounter, userId: string) => counter.count(userId, 'camp-1', CAP.periodHours) < CAP.impressions;

describe('RedisFrequencyCounter', () => {
  beforeEach(() => ctx.flush());

  it('a user capped at 3 per hour who got 3 impressions at 00:59 is still capped at 01:01, on every task', async () => {
    const a = task();
    a.clock.now = at(0, 59);
    expect(mayBid(a.counter, 'u-1')).toBe(true); // unknown: 0, queued
    await a.counter.sync();
    for (let i = 0; i < CAP.impressions; i++) a.counter.record('u-1', 'camp-1', CAP.periodHours);
    await writesLanded();
    expect(mayBid(a.counter, 'u-1')).toBe(false);

    // One hour boundary later. Fixed hourly windows would start a new, empty window at 01:00.
    a.clock.now = at(1, 1);
    expect(a.counter.count('u-1', 'camp-1', 1)).toBe(3);
    expect(mayBid(a.counter, 'u-1')).toBe(false);

    // A task that has never seen the user fetches the same count.
    const b = task();
    b.clock.now = at(1, 1);
    expect(b.counter.count('u-1', 'camp-1', 1)).toBe(0);
    await b.counter.sync();
    expect(b.counter.count('u-1', 'camp-1', 1)).toBe(3);
    expect(mayBid(b.counter, 'u-1')).toBe(false);

    // Released once the bucket of 00:59 (00:55–01:00) is more than an hour old.
    a.clock.now = b.clock.now = at(1, 59, 59);
    expect(mayBid(a.counter, 'u-1')).toBe(false);
    a.clock.now = b.clock.now = at(2, 0);
    expect(mayBid(a.counter, 'u-1')).toBe(true);
    expect(mayBid(b.counter, 'u-1')).toBe(true);
    expect(a.metrics.counts.size + b.metrics.counts.size).toBe(0);
  });

  it("counts this task's wins at once and other tasks' wins after one refresh", async () => {
    const a = task();
    const b = task();
    a.clock.now = b.clock.now = at(10, 0);
    a.counter.count('u-2', 'camp-1', 1);
    b.counter.count('u-2', 'camp-1', 1);
    await Promise.all([a.counter.sync(), b.counter.sync()]);

    a.counter.record('u-2', 'camp-1', 1);
    a.clock.now = b.clock.now = at(10, 7); // another bucket
    a.counter.record('u-2', 'camp-1', 1);
    b.counter.record('u-2', 'camp-1', 1);
    expect(a.counter.count('u-2', 'camp-1', 1)).toBe(2);
    expect(b.counter.count('u-2', 'camp-1', 1)).toBe(1);

    await writesLanded();
    // b's HINCRBY answered 2 for its bucket (a's win and its own): taken at once.
    expect(b.counter.count('u-2', 'camp-1', 1)).toBe(2);
    a.clock.now = b.clock.now = at(10, 7, TTL_MS / 1_000 + 1);
    await Promise.all([a.counter.sync(), b.counter.sync()]);
    expect(a.counter.count('u-2', 'camp-1', 1)).toBe(3);
    expect(b.counter.count('u-2', 'camp-1', 1)).toBe(3);
  });

  it('keeps one small hash per user, campaign and period: old buckets deleted by later wins, expiry when the newest stops counting', async () => {
    const a = task();
    const key = frequencyKey('u-3', 'camp-1', 1);
    const bucket = (t: number) => String(bucketOf(windowSpec(1), t));
    for (const t of [at(0, 0), at(0, 30), at(0, 31), at(1, 10)]) {
      a.clock.now = t;
      a.counter.record('u-3', 'camp-1', 1);
    }
    await writesLanded();

    // 00:00's bucket stopped counting at 01:05; the win at 01:10 deleted it.
    expect(await ctx.redis.hgetall(key)).toEqual({ [bucket(at(0, 30))]: '2', [bucket(at(1, 10))]: '1' });
    // Alive until 01:10's bucket (01:10–01:15) stops counting at 02:15, plus 60 s of clock slack.
    const pttl = await ctx.redis.pttl(key);
    const expected = at(2, 16) - at(1, 10);
    expect(pttl).toBeLessThanOrEqual(expected);
    expect(pttl).toBeGreaterThan(expected - 5_000);
  });

  it('drops entries idle for 10 × ttl and fetches them again when asked', async () => {
    const a = task();
    const b = task();
    a.clock.now = b.clock.now = at(3, 0);
    a.counter.record('u-4', 'camp-1', 1);
    await writesLanded();
    b.counter.count('u-4', 'camp-1', 1);
    await b.counter.sync();
    expect(b.counter.count('u-4', 'camp-1', 1)).toBe(1);

    b.clock.now = at(3, 0) + 10 * TTL_MS + 1;
    await b.counter.sync();
    expect(b.counter.count('u-4', 'camp-1', 1)).toBe(0); // dropped: unknown again, queued
    await b.counter.sync();
    expect(b.counter.count('u-4', 'camp-1', 1)).toBe(1);
  });

  it('with Redis gone, cached counts keep serving and local wins count; writes and reads are dropped and counted', async () => {
    const client = await ctx.client();
    const a = task(client);
    a.clock.now = at(5, 0);
    a.counter.count('u-5', 'camp-1', 1);
    await a.counter.sync();
    a.counter.record('u-5', 'camp-1', 1);
    await writesLanded(client);

    client.disconnect();
    a.counter.record('u-5', 'camp-1', 1);
    expect(a.counter.count('u-5', 'camp-1', 1)).toBe(2);
    await vi.waitFor(() => expect(a.metrics.counts.get('FrequencyWriteErrors')).toBe(1));

    // Used every few seconds for a minute: never dropped, never refreshed.
    for (let s = 6; s <= 60; s += 6) {
      a.clock.now = at(5, 0, s);
      await a.counter.sync();
      expect(a.counter.count('u-5', 'camp-1', 1)).toBe(2);
    }
    expect(a.metrics.counts.get('FrequencyReadErrors')).toBe(10);
  });
});
