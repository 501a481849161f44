import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINE_MARGINS, deadlineFor, dspTimeoutMs, effectiveTmax, fanOutBudgetMs } from '../../../shared/bidding/dsp/deadline.js';

describe('deadline math', () => {
  it('defaults tmax to 100 ms and leaves network + auction margins (70 ms window)', () => {
    expect(DEFAULT_DEADLINE_MARGINS).toEqual({ networkMarginMs: 20, auctionMarginMs: 10 });
    expect(fanOutBudgetMs(undefined)).toBe(70);
    expect(deadlineFor(undefined, 5_000)).toBe(5_070);
    expect(deadlineFor(250, 5_000)).toBe(5_220);
  });

  it('treats junk tmax as absent and clamps huge ones', () => {
    for (const junk of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) expect(effectiveTmax(junk)).toBe(100);
    expect(effectiveTmax(60_000)).toBe(1_000);
    expect(fanOutBudgetMs(60_000)).toBe(970);
  });

  it('honours custom margins and gives 0 (no fan-out) when too little time is left', () => {
    expect(deadlineFor(100, 0, { networkMarginMs: 30, auctionMarginMs: 20 })).toBe(50);
    expect(fanOutBudgetMs(34)).toBe(0); // 4 ms < minBudgetMs 5
    expect(fanOutBudgetMs(35)).toBe(5);
    expect(deadlineFor(20, 1_000)).toBe(1_000);
    expect(fanOutBudgetMs(100, { networkMarginMs: -50, auctionMarginMs: 0 })).toBe(100); // negative margins ignored
  });

  it('per-DSP timeout is min(own timeout, time left), floored', () => {
    expect(dspTimeoutMs(50, 1_070, 1_000)).toBe(50);
    expect(dspTimeoutMs(200, 1_070, 1_000.4)).toBe(69);
    expect(dspTimeoutMs(200, 1_070, 1_080)).toBeLessThan(1);
  });
});
