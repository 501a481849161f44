import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, releasedAt } from '../../../shared/budget/pacing.js';
import { cpmToMicros, impressionCostNanos, minorToNanos, nanosToMinorFloor } from '../../../shared/budget/units.js';
import { dayEndUtc, dayStartUtc, utcDay } from '../../../shared/budget/campaign-day.js';

const DAY0 = Date.UTC(2026, 10, 22);
const budgetArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const offsetArb = fc.integer({ min: -DAY_MS, max: 2 * DAY_MS });
const pacingArb = fc.constantFrom('even' as const, 'asap' as const);

describe('pacing curve', () => {
  it('is monotonic in time and never releases more than the budget', () => {
    fc.assert(
      fc.property(budgetArb, pacingArb, offsetArb, offsetArb, (budget, pacing, a, b) => {
        const [t1, t2] = a <= b ? [a, b] : [b, a];
        const r1 = releasedAt(budget, pacing, DAY0, DAY0 + t1);
        const r2 = releasedAt(budget, pacing, DAY0, DAY0 + t2);
        expect(Number.isSafeInteger(r1)).toBe(true);
        expect(r1).toBeGreaterThanOrEqual(0);
        expect(r1).toBeLessThanOrEqual(r2);
        expect(r2).toBeLessThanOrEqual(budget);
      }),
    );
  });

  it('asap releases everything at the start of the day, nothing before', () => {
    fc.assert(
      fc.property(budgetArb, (budget) => {
        expect(releasedAt(budget, 'asap', DAY0, DAY0)).toBe(budget);
        expect(releasedAt(budget, 'asap', DAY0, DAY0 - 1)).toBe(0);
      }),
    );
  });

  it('even releases 0 at the start, the whole budget at the end, and floor(budget·t/day) between (exact)', () => {
    fc.assert(
      fc.property(budgetArb, fc.integer({ min: 0, max: DAY_MS }), (budget, t) => {
        expect(releasedAt(budget, 'even', DAY0, DAY0)).toBe(0);
        expect(releasedAt(budget, 'even', DAY0, DAY0 + DAY_MS)).toBe(budget);
        const expected = (BigInt(budget) * BigInt(t)) / BigInt(DAY_MS);
        expect(BigInt(releasedAt(budget, 'even', DAY0, DAY0 + t))).toBe(expected);
      }),
    );
  });

  it('even releases about half at noon', () => {
    expect(releasedAt(1_000_000, 'even', DAY0, DAY0 + DAY_MS / 2)).toBe(500_000);
  });

  it('rejects non-integer budgets', () => {
    expect(() => releasedAt(1.5, 'even', DAY0, DAY0)).toThrow(RangeError);
    expect(() => releasedAt(-1, 'asap', DAY0, DAY0)).toThrow(RangeError);
  });
});

describe('budget units', () => {
  it('an impression at a CPM of p micros costs exactly p nanos', () => {
    expect(impressionCostNanos(2_350_000)).toBe(2_350_000);
    expect(cpmToMicros(2.35)).toBe(2_350_000);
    expect(cpmToMicros(0.1 + 0.2)).toBe(300_000);
    expect(cpmToMicros(1.0000001)).toBe(1_000_001);
    // 1000 impressions at CPM 2.35 USD cost 2.35 USD = 2.35e9 nanos
    expect(1000 * impressionCostNanos(cpmToMicros(2.35))).toBe(minorToNanos(235));
  });

  it('converts minor units exactly and reports spend rounded down', () => {
    expect(minorToNanos(12_345)).toBe(123_450_000_000);
    expect(minorToNanos(500, 0)).toBe(500_000_000_000);
    expect(nanosToMinorFloor(123_459_999_999)).toBe(12_345);
    expect(() => minorToNanos(1e9)).toThrow(RangeError);
  });

  it('days are UTC', () => {
    expect(utcDay(DAY0 + DAY_MS - 1)).toBe('2026-11-22');
    expect(dayStartUtc('2026-11-22')).toBe(DAY0);
    expect(dayEndUtc('2026-11-22')).toBe(DAY0 + DAY_MS);
    expect(() => dayStartUtc('2026-02-30')).toThrow(RangeError);
  });
});
