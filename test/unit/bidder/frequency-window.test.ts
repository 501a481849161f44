import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addImpressions,
  type BucketCounts,
  bucketOf,
  countInWindow,
  keyTtlMs,
  mergeCounts,
  oldestCountedBucket,
  pruneCounts,
  raiseBucket,
  staleBuckets,
  type WindowSpec,
  windowSpec,
} from '../../../bidder/frequency-window.js';

const MIDNIGHT = Date.UTC(2026, 10, 22);
const MIN = 60_000;
const HOUR = 3_600_000;
const at = (h: number, m: number, s = 0, ms = 0) => MIDNIGHT + h * HOUR + m * MIN + s * 1_000 + ms;

/** Impressions at the given instants, as the counter stores them. */
function countsOf(spec: WindowSpec, instants: number[]): BucketCounts {
  const counts: BucketCounts = [];
  for (const t of instants) addImpressions(counts, bucketOf(spec, t));
  return counts;
}

/** Exact number of instants in the closed interval [from, to]. */
const exactly = (instants: number[], from: number, to: number) => instants.filter((t) => t >= from && t <= to).length;

describe('windowSpec and buckets', () => {
  it('cuts a period into 12 epoch-aligned buckets: 5 minutes for 1 h, 2 hours for 24 h', () => {
    expect(windowSpec(1)).toEqual({ periodMs: HOUR, bucketMs: 5 * MIN, buckets: 12 });
    expect(windowSpec(24).bucketMs).toBe(2 * HOUR);
    expect(windowSpec(1, 4).bucketMs).toBe(15 * MIN);
  });

  it('numbers buckets from the epoch, so every task agrees; a boundary instant starts the next bucket', () => {
    const spec = windowSpec(1);
    expect(bucketOf(spec, at(0, 55)) - bucketOf(spec, at(0, 54, 59, 999))).toBe(1);
    expect(bucketOf(spec, at(0, 59, 59, 999))).toBe(bucketOf(spec, at(0, 55)));
    expect(bucketOf(spec, at(1, 0))).toBe(MIDNIGHT / (5 * MIN) + 12);
  });

  it('counts from the bucket that holds now − P: B + 1 buckets in all', () => {
    const spec = windowSpec(1);
    expect(oldestCountedBucket(spec, at(1, 1))).toBe(bucketOf(spec, at(0, 1)));
    expect(oldestCountedBucket(spec, at(1, 0))).toBe(bucketOf(spec, at(0, 0)));
    expect(bucketOf(spec, at(1, 1)) - oldestCountedBucket(spec, at(1, 1))).toBe(12);
  });
});

describe('countInWindow', () => {
  const spec = windowSpec(1);
  const threeAt0059 = Array.from({ length: 3 }, () => at(0, 59));

  it('still counts impressions of 00:59 at 01:01 (a fixed 1-hour window would have restarted at 01:00)', () => {
    const counts = countsOf(spec, threeAt0059);
    expect(countInWindow(spec, counts, at(0, 59))).toBe(3);
    expect(countInWindow(spec, counts, at(1, 0))).toBe(3);
    expect(countInWindow(spec, counts, at(1, 1))).toBe(3);
  });

  it('releases them once their whole bucket (00:55–01:00) is older than one hour: conservative by at most one bucket', () => {
    const counts = countsOf(spec, threeAt0059);
    expect(countInWindow(spec, counts, at(1, 58, 59, 999))).toBe(3); // exact window: still inside
    expect(countInWindow(spec, counts, at(1, 59))).toBe(3); // exact window [00:59, 01:59]: still inside
    expect(countInWindow(spec, counts, at(1, 59, 59, 999))).toBe(3); // outside, but its bucket is not: over-count
    expect(countInWindow(spec, counts, at(2, 0))).toBe(0);
  });

  it('sums buckets across a period boundary and drops each as it leaves', () => {
    const instants = [at(0, 10), at(0, 40), at(0, 59), at(1, 5), at(1, 30)];
    const counts = countsOf(spec, instants);
    expect(countInWindow(spec, counts, at(1, 10))).toBe(5);
    expect(countInWindow(spec, counts, at(1, 14, 59))).toBe(5); // 00:10's bucket (00:10–00:15) holds 00:14:59
    expect(countInWindow(spec, counts, at(1, 15))).toBe(4);
    expect(countInWindow(spec, counts, at(1, 45))).toBe(3);
    expect(countInWindow(spec, counts, at(2, 0))).toBe(2);
    expect(countInWindow(spec, counts, at(2, 35))).toBe(0);
  });

  it('counts buckets ahead of now (a task whose clock runs ahead wrote them)', () => {
    expect(countInWindow(spec, countsOf(spec, [at(1, 10)]), at(1, 0))).toBe(1);
  });
});

describe('bucket bookkeeping', () => {
  const spec = windowSpec(1);

  it('addImpressions adds to an existing bucket; raiseBucket and mergeCounts take the maximum', () => {
    const counts: BucketCounts = [];
    expect(addImpressions(counts, 7)).toBe(1);
    expect(addImpressions(counts, 7, 2)).toBe(3);
    raiseBucket(counts, 7, 2);
    raiseBucket(counts, 8, 4);
    expect(counts).toEqual([[7, 3], [8, 4]]);
    mergeCounts(counts, [[7, 5], [8, 1], [9, 2]]);
    expect(counts).toEqual([[7, 5], [8, 4], [9, 2]]);
  });

  it('pruneCounts drops exactly the buckets that no longer count', () => {
    const counts = countsOf(spec, [at(0, 0), at(0, 4), at(0, 5), at(0, 30)]);
    pruneCounts(spec, counts, at(1, 5));
    expect(counts).toEqual([[bucketOf(spec, at(0, 5)), 1], [bucketOf(spec, at(0, 30)), 1]]);
    expect(countInWindow(spec, counts, at(1, 5))).toBe(2);
  });

  it('staleBuckets names c−2B−1 … c−B−1; keyTtlMs lasts until the bucket stops counting, plus the slack', () => {
    const c = bucketOf(spec, at(1, 1));
    expect(staleBuckets(spec, c)).toEqual(Array.from({ length: 13 }, (_, i) => c - 25 + i));
    expect(keyTtlMs(spec, c, at(1, 1), 60_000)).toBe(at(2, 5) - at(1, 1) + 60_000);
  });

  it('a key written at least every B + 1 buckets never holds a bucket older than c − B after a write', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 100 }), (gaps) => {
        const redisHash = new Set<number>();
        let c = 1_000;
        for (const gap of gaps) {
          c += gap;
          redisHash.add(c);
          for (const b of staleBuckets(spec, c)) redisHash.delete(b);
          expect(Math.min(...redisHash)).toBeGreaterThanOrEqual(c - spec.buckets);
        }
      }),
    );
  });
});

/** Periods and bucket counts whose buckets are whole milliseconds (as every whole-hour period with B = 12). */
const specs = fc
  .record({ periodHours: fc.integer({ min: 1, max: 48 }), buckets: fc.constantFrom(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 16, 20, 24) })
  .map(({ periodHours, buckets }) => windowSpec(periodHours, buckets));

/**
 * Ascending instants with gaps from 0 (same instant) through a fraction of a bucket up to more than a
 * period, starting anywhere: runs cross bucket and period boundaries, some land exactly on them.
 */
function instantsFor(spec: WindowSpec, maxLength: number) {
  const gap = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 1_000 }),
    fc.integer({ min: 0, max: spec.bucketMs }),
    fc.integer({ min: 0, max: spec.periodMs + 2 * spec.bucketMs }),
    fc.constantFrom(spec.bucketMs, spec.periodMs, spec.periodMs - 1, spec.periodMs + 1),
  );
  return fc
    .tuple(fc.integer({ min: 0, max: 4 * spec.periodMs }), fc.array(gap, { minLength: 1, maxLength }))
    .map(([offset, gaps]) => {
      let t = MIDNIGHT + offset;
      return gaps.map((g) => (t += g));
    });
}

describe('sliding-window guarantee (property)', () => {
  it('allowing an impression only while count < N never puts more than N into any window of length P', () => {
    fc.assert(
      fc.property(
        specs.chain((spec) => fc.tuple(fc.constant(spec), fc.integer({ min: 1, max: 5 }), instantsFor(spec, 200))),
        ([spec, cap, wins]) => {
          const counts: BucketCounts = [];
          const allowed: number[] = [];
          for (const t of wins) {
            pruneCounts(spec, counts, t);
            if (countInWindow(spec, counts, t) < cap) {
              addImpressions(counts, bucketOf(spec, t));
              allowed.push(t);
            }
          }
          // The fullest closed window [s, s + P] starts at an allowed impression.
          for (const s of allowed) expect(exactly(allowed, s, s + spec.periodMs)).toBeLessThanOrEqual(cap);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never under-counts the last P, and over-counts by at most the impressions of one more bucket', () => {
    fc.assert(
      fc.property(
        specs.chain((spec) => fc.tuple(fc.constant(spec), instantsFor(spec, 60), fc.integer({ min: 0, max: 2 * spec.periodMs }))),
        ([spec, instants, after]) => {
          const now = instants[instants.length - 1]! + after;
          const n = countInWindow(spec, countsOf(spec, instants), now);
          expect(n).toBeGreaterThanOrEqual(exactly(instants, now - spec.periodMs, now));
          expect(n).toBeLessThanOrEqual(exactly(instants, now - spec.periodMs - spec.bucketMs, now));
        },
      ),
      { numRuns: 500 },
    );
  });
});
