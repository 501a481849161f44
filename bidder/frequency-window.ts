/**
 * Sliding-window arithmetic for frequency caps: pure (no I/O, no clock of its own), shared by the
 * Redis-backed counter and the in-memory one.
 *
 * A cap of N impressions per P hours cuts P into B buckets of P/B (B = 12: 5 minutes for a 1-hour
 * cap, 2 hours for a daily one). Buckets are aligned on the epoch, so every task numbers them alike:
 * bucket k holds the impressions in [k·P/B, (k+1)·P/B). At `now` (in bucket c) the count is the sum
 * of buckets c−B … c. Bucket c−B holds `now − P`, so it lies partly before the window; it is counted
 * whole. Hence, for every instant t:
 *
 *   impressions in [t − P, t]  ≤  count(t)  ≤  impressions in [t − P − P/B, t]
 *
 * The left side means an impression allowed only while count < N can never make any window of length
 * P hold more than N: the cap is never exceeded. The right side bounds the conservatism to one
 * bucket: a user may wait up to P + P/B, instead of P, for the oldest impressions to stop counting.
 */

/** Buckets per period (B). */
export const BUCKETS_PER_PERIOD = 12;

/** How one cap period is cut into buckets. */
export interface WindowSpec {
  readonly periodMs: number;
  /** P / B; a whole number of ms for whole-hour periods (the schema's `periodHours` is a positive integer). */
  readonly bucketMs: number;
  /** B */
  readonly buckets: number;
}

/** Impressions per bucket as [bucket, count] pairs, at most one per bucket (few: pruned to the window). */
export type BucketCounts = Array<[bucket: number, count: number]>;

export function windowSpec(periodHours: number, buckets = BUCKETS_PER_PERIOD): WindowSpec {
  const periodMs = periodHours * 3_600_000;
  return { periodMs, bucketMs: periodMs / buckets, buckets };
}

/** The (epoch-aligned) bucket an instant falls in. */
export function bucketOf(spec: WindowSpec, at: number): number {
  return Math.floor(at / spec.bucketMs);
}

/** The oldest bucket counted at `now`: the one holding `now − P`, partly outside the window. */
export function oldestCountedBucket(spec: WindowSpec, now: number): number {
  return bucketOf(spec, now) - spec.buckets;
}

/**
 * Impressions counted at `now`: every bucket from the oldest counted one on. Buckets after `now`'s
 * (written by a task whose clock runs ahead) count too: over-counting is the safe side.
 */
export function countInWindow(spec: WindowSpec, counts: BucketCounts, now: number): number {
  const oldest = oldestCountedBucket(spec, now);
  let total = 0;
  for (const [bucket, n] of counts) if (bucket >= oldest) total += n;
  return total;
}

/** Adds impressions to a bucket; returns its new count. */
export function addImpressions(counts: BucketCounts, bucket: number, n = 1): number {
  const pair = counts.find(([b]) => b === bucket);
  if (pair) return (pair[1] += n);
  counts.push([bucket, n]);
  return n;
}

/**
 * Raises a bucket to at least `atLeast`. Merging by maximum (never by sum) because a count read back
 * from Redis already includes this task's wins once their write has landed, and does not while it is
 * in flight or was lost: the maximum is right in both cases and never under-counts.
 */
export function raiseBucket(counts: BucketCounts, bucket: number, atLeast: number): void {
  const pair = counts.find(([b]) => b === bucket);
  if (!pair) counts.push([bucket, atLeast]);
  else if (pair[1] < atLeast) pair[1] = atLeast;
}

/** Merges what Redis holds into the local counts, bucket by bucket (see `raiseBucket`). */
export function mergeCounts(local: BucketCounts, remote: BucketCounts): void {
  for (const [bucket, n] of remote) raiseBucket(local, bucket, n);
}

/** Drops the buckets that no longer count at `now` (keeps the local entry at most B + 1 pairs). */
export function pruneCounts(spec: WindowSpec, counts: BucketCounts, now: number): void {
  const oldest = oldestCountedBucket(spec, now);
  let kept = 0;
  for (const pair of counts) if (pair[0] >= oldest) counts[kept++] = pair;
  counts.length = kept;
}

/**
 * The buckets a write into `bucket` deletes from the Redis hash: c−2B−1 … c−B−1, the ones that stopped
 * counting since any earlier write to a still-living key. The key dies B + 1 buckets (plus a slack
 * shorter than a bucket) after its last write (`keyTtlMs`), so consecutive writes to one key are at
 * most B + 1 buckets apart, and the first write after a bucket f stops counting lands in
 * f+B+1 … f+2B+1, whose list names f. After every write the hash holds no bucket older than c−B:
 * at most B + 1 fields (more only by clock skew between tasks).
 */
export function staleBuckets(spec: WindowSpec, bucket: number): number[] {
  const stale: number[] = [];
  for (let b = bucket - 2 * spec.buckets - 1; b <= bucket - spec.buckets - 1; b++) stale.push(b);
  return stale;
}

/**
 * Time to live of the hash after a write into `bucket` at `now`: until that bucket stops counting
 * (the end of the bucket + P), plus `slackMs` for clock skew between tasks. Must stay under one
 * bucket for `staleBuckets` to catch every old field.
 */
export function keyTtlMs(spec: WindowSpec, bucket: number, now: number, slackMs: number): number {
  return Math.ceil((bucket + 1) * spec.bucketMs + spec.periodMs + slackMs - now);
}
