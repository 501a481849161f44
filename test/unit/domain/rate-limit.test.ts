import { describe, expect, it } from 'vitest';
import { InMemoryClientRateLimiter } from '../../../shared/adapters/memory/memory-client-rate-limiter.js';
import { clientRateLimitProblems, rateWindowAt, secondsUntilWindowEnds } from '../../../shared/domain/rate-limit.js';

const at = (iso: string) => new Date(iso);

describe('fixed rate windows', () => {
  it('aligns windows to the clock, so every instance puts a request in the same window', () => {
    // Act
    const minute = rateWindowAt(at('2026-11-22T04:12:59.999Z'), 60);
    const second = rateWindowAt(at('2026-11-22T04:12:59.999Z'), 1);
    // Assess
    expect(minute).toEqual({ startsAt: Date.parse('2026-11-22T04:12:00Z') / 1000, endsAt: Date.parse('2026-11-22T04:13:00Z') / 1000 });
    expect(second.endsAt - second.startsAt).toBe(1);
    expect(rateWindowAt(at('2026-11-22T04:13:00.000Z'), 60).startsAt).toBe(minute.endsAt);
  });

  it('says how many whole seconds are left in the window, at least 1', () => {
    // Prepare
    const window = rateWindowAt(at('2026-11-22T04:12:00Z'), 60);
    // Assess
    expect(secondsUntilWindowEnds(at('2026-11-22T04:12:00.000Z'), window)).toBe(60);
    expect(secondsUntilWindowEnds(at('2026-11-22T04:12:30.200Z'), window)).toBe(30);
    expect(secondsUntilWindowEnds(at('2026-11-22T04:12:59.999Z'), window)).toBe(1);
  });

  it('names each field of a limit out of bounds', () => {
    expect(clientRateLimitProblems({ requests: 20, windowSeconds: 1 })).toEqual([]);
    expect(clientRateLimitProblems({ requests: 0, windowSeconds: 1.5 })).toEqual([
      'requests must be a whole number from 1 to 100000, got 0',
      'windowSeconds must be a whole number from 1 to 3600, got 1.5',
    ]);
  });
});

describe('InMemoryClientRateLimiter', () => {
  it('admits `requests` per window and client, then refuses until the next window', async () => {
    // Prepare
    const limiter = new InMemoryClientRateLimiter({ requests: 2, windowSeconds: 10 });
    const now = at('2026-11-22T04:12:03Z');
    // Act
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await limiter.admit('alice', now));
    const bob = await limiter.admit('bob', now);
    const nextWindow = await limiter.admit('alice', at('2026-11-22T04:12:10Z'));
    // Assess
    expect(answers).toEqual([{ admitted: true }, { admitted: true }, { admitted: false, retryAfterSeconds: 7 }]);
    expect(bob).toEqual({ admitted: true });
    expect(nextWindow).toEqual({ admitted: true });
  });

  it('counts nothing for a refused request', async () => {
    // Prepare
    const limiter = new InMemoryClientRateLimiter({ requests: 1, windowSeconds: 60 });
    const now = at('2026-11-22T04:12:00Z');
    await limiter.admit('alice', now);
    // Act
    await limiter.admit('alice', now);
    await limiter.admit('alice', now);
    // Assess
    expect(limiter.countAt('alice', now)).toBe(1);
  });
});
