import { describe, expect, it } from 'vitest';
import { QpsLimiter } from '../../../shared/bidding/dsp/qps-limiter.js';

describe('QpsLimiter (token bucket)', () => {
  it('allows a burst, then exactly the rate', () => {
    let t = 0;
    const l = new QpsLimiter(100, 10, () => t);
    let ok = 0;
    for (let i = 0; i < 50; i++) if (l.tryTake()) ok++;
    expect(ok).toBe(10);
    // over 1 s at 1 ms steps: 100 more tokens
    ok = 0;
    for (let i = 0; i < 1_000; i++) {
      t += 1;
      if (l.tryTake()) ok++;
    }
    expect(ok).toBe(100);
    expect(l.stats).toEqual({ allowed: 110, rejected: 40 + 900 });
  });

  it('never accumulates more than the burst while idle', () => {
    let t = 0;
    const l = new QpsLimiter(10, undefined, () => t); // burst = ceil(10/10) = 1
    expect(l.tryTake()).toBe(true);
    expect(l.tryTake()).toBe(false);
    t += 60_000;
    expect(l.tryTake()).toBe(true);
    expect(l.tryTake()).toBe(false);
    t += 100;
    expect(l.tryTake()).toBe(true);
  });

  it('refund gives a token back; a clock going backwards does not mint tokens', () => {
    let t = 1_000;
    const l = new QpsLimiter(1, 1, () => t);
    expect(l.tryTake()).toBe(true);
    l.refund();
    expect(l.tryTake()).toBe(true);
    t = 0;
    expect(l.tryTake()).toBe(false);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new QpsLimiter(0)).toThrow(RangeError);
    expect(() => new QpsLimiter(Number.NaN)).toThrow(RangeError);
  });
});
