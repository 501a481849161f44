import { describe, expect, it } from 'vitest';
import { compareDates, isIsoDate, isIsoTimestamp } from '../../../shared/domain/dates.js';

describe('calendar dates', () => {
  it('accepts real YYYY-MM-DD dates only', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-1-01')).toBe(false);
    expect(isIsoDate('2026-01-01T00:00:00Z')).toBe(false);
    expect(isIsoDate(20260101)).toBe(false);
  });

  it('orders dates chronologically', () => {
    expect(compareDates('2026-01-31', '2026-02-01')).toBeLessThan(0);
    expect(compareDates('2026-02-01', '2026-02-01')).toBe(0);
    expect(compareDates('2027-01-01', '2026-12-31')).toBeGreaterThan(0);
  });

  it('recognises ISO-8601 UTC timestamps', () => {
    expect(isIsoTimestamp('2026-01-05T10:00:00.000Z')).toBe(true);
    expect(isIsoTimestamp('2026-01-05T10:00:00Z')).toBe(true);
    expect(isIsoTimestamp('2026-01-05 10:00:00')).toBe(false);
    expect(isIsoTimestamp('2026-01-05T10:00:00+02:00')).toBe(false);
  });
});
