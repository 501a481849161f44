import { describe, expect, it } from 'vitest';
import { BREAKER_STATE_CODE, CircuitBreaker } from '../../../shared/bidding/dsp/circuit-breaker.js';

function clock(start = 1_000) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => (c.t += ms) };
  return c;
}

const settings = {
  failureThreshold: 3,
  errorRateThreshold: 0.5,
  windowMs: 10_000,
  minRequestsInWindow: 10,
  cooldownMs: 1_000,
  halfOpenMaxProbes: 2,
  halfOpenSuccessesToClose: 2,
};

function fail(b: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i++) {
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
  }
}

describe('CircuitBreaker', () => {
  it('stays closed below the consecutive-failure threshold and a success resets the streak', () => {
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    fail(b, 2);
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    fail(b, 2);
    expect(b.state).toBe('closed');
    expect(b.snapshot().consecutiveFailures).toBe(2);
  });

  it('opens after N consecutive failures and rejects (counted) until the cooldown', () => {
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    fail(b, 3);
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    const snap = b.snapshot();
    expect(snap).toMatchObject({ state: 'open', opened: 1, rejected: 2, retryAt: 2_000 });
    c.advance(999);
    expect(b.tryAcquire()).toBe(false);
    c.advance(1);
    expect(b.state).toBe('half-open');
    expect(BREAKER_STATE_CODE[b.state]).toBe(1);
  });

  it('opens on the error rate over the window even without a long streak', () => {
    const c = clock();
    const b = new CircuitBreaker({ ...settings, failureThreshold: 100 }, c.now);
    // 2 failures then 1 success, three times: 9 requests, 6 failures (67%), never 3 in a row,
    // but fewer than minRequestsInWindow (10) so the rate does not count yet
    for (let i = 0; i < 3; i++) {
      fail(b, 2);
      expect(b.tryAcquire()).toBe(true);
      b.onSuccess();
      c.advance(100);
    }
    expect(b.state).toBe('closed');
    fail(b, 1); // 10 requests, 7 failures: 70% > 50%
    expect(b.state).toBe('open');
  });

  it('needs minRequestsInWindow before the error rate counts, and forgets old buckets', () => {
    const c = clock();
    const b = new CircuitBreaker({ ...settings, failureThreshold: 100 }, c.now);
    for (let i = 0; i < 5; i++) {
      fail(b, 1);
      b.tryAcquire();
      b.onSuccess();
    }
    expect(b.snapshot()).toMatchObject({ state: 'closed', windowRequests: 10, windowFailures: 5 }); // 50% is not > 50%
    c.advance(11_000); // window slid past everything
    expect(b.snapshot()).toMatchObject({ windowRequests: 0, windowFailures: 0 });
    fail(b, 5); // 5 failures but only 5 requests in window (< 10)
    expect(b.state).toBe('closed');
  });

  it('half-open lets only halfOpenMaxProbes through at once, and closes after enough successes', () => {
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    fail(b, 3);
    c.advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // 2 probes in flight
    expect(b.snapshot().probesInFlight).toBe(2);
    b.onSuccess();
    expect(b.state).toBe('half-open'); // 1 of 2 successes
    expect(b.tryAcquire()).toBe(true); // a slot freed
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.snapshot()).toMatchObject({ consecutiveFailures: 0, windowRequests: 0 });
    b.onSuccess(); // the third probe's verdict arrives after closing: harmless
    expect(b.state).toBe('closed');
  });

  it('a failed probe reopens with a fresh cooldown', () => {
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    fail(b, 3);
    c.advance(1_500);
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.snapshot().opened).toBe(2);
    c.advance(999);
    expect(b.tryAcquire()).toBe(false);
    c.advance(1);
    expect(b.tryAcquire()).toBe(true);
  });

  it('release() frees a probe slot without a verdict', () => {
    const c = clock();
    const b = new CircuitBreaker({ ...settings, halfOpenMaxProbes: 1 }, c.now);
    fail(b, 3);
    c.advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
  });

  it('counts a burst of concurrent failures once: it opens only if failures keep coming afterwards', () => {
    // Prepare: 3 requests (the threshold) in flight together, e.g. the first burst on cold connections
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    const burstStart = c.t;
    for (let i = 0; i < 3; i++) expect(b.tryAcquire()).toBe(true);
    c.advance(80);

    // Act: they all time out together
    for (let i = 0; i < 3; i++) b.onFailure(burstStart);

    // Assess: one incident, not three
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 1, overlappingFailures: 2, windowFailures: 3 });

    // Act: requests sent after that failure fail too
    for (let i = 0; i < 2; i++) {
      const start = c.t;
      expect(b.tryAcquire()).toBe(true);
      c.advance(80);
      b.onFailure(start);
    }

    // Assess: the DSP stays unhealthy, so the breaker opens
    expect(b.snapshot()).toMatchObject({ state: 'open', consecutiveFailures: 3, opened: 1 });
  });

  it('sequential failures (each sent after the previous one failed) still open after N', () => {
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    for (let i = 0; i < 3; i++) {
      expect(b.state).toBe('closed');
      const start = c.t;
      expect(b.tryAcquire()).toBe(true);
      c.advance(10);
      b.onFailure(start);
    }
    expect(b.snapshot()).toMatchObject({ state: 'open', consecutiveFailures: 3, overlappingFailures: 0 });
  });

  it('ignores late verdicts while open', () => {
    const c = clock();
    const b = new CircuitBreaker(settings, c.now);
    fail(b, 3);
    b.onSuccess();
    b.onFailure();
    expect(b.snapshot()).toMatchObject({ state: 'open', opened: 1 });
  });
});
