/**
 * Fan-out against simulated DSPs on loopback. Timing assertions use wide gaps (fast DSPs answer in
 * ~5 ms, slow ones after 400+ ms, deadline 150 ms) so a loaded 2-core machine does not flake them:
 * we assert on WHICH results came back, and only loosely on elapsed time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';
import type { DspConfig } from '../../../shared/bidding/dsp/config.js';
import { DspPool, bidsOf, fanOut } from '../../../bidder/dsp/fanout.js';
import { startDspFleet, startSimulatedDsp, type SimulatedDsp } from '../../../local/dsp-sim/index.js';

const request: BidRequest = {
  id: 'auction-1',
  imp: [{ id: '1', banner: { format: [{ w: 300, h: 250 }] }, bidfloor: 0.2 }],
  site: { domain: 'news.example', page: 'https://news.example/a' },
  tmax: 100,
};

const sims: SimulatedDsp[] = [];
const pools: DspPool[] = [];
async function sim(options: Parameters<typeof startSimulatedDsp>[0]): Promise<SimulatedDsp> {
  const s = await startSimulatedDsp(options);
  sims.push(s);
  return s;
}
function pool(configs: DspConfig[], options: ConstructorParameters<typeof DspPool>[1] = {}): DspPool {
  const p = new DspPool(configs, options);
  pools.push(p);
  return p;
}
function cfg(id: string, s: SimulatedDsp, extra: Partial<DspConfig> = {}): DspConfig {
  return { id, endpoint: s.url, timeoutMs: 1_000, maxQps: 10_000, ...extra };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = (ms: number) => performance.now() + ms;

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

describe('fanOut', () => {
  it('returns the fast DSPs bids and abandons the slow one at the deadline', async () => {
    const fast1 = await sim({ latency: 5, bidRate: 1, seat: 'fast-1', seed: 1 });
    const fast2 = await sim({ latency: 5, bidRate: 1, seat: 'fast-2', seed: 2 });
    const slow = await sim({ latency: 400, bidRate: 1, seat: 'slow', seed: 3 });
    const p = pool([cfg('fast-1', fast1), cfg('fast-2', fast2), cfg('slow', slow)], { abandonGraceMs: 0 });
    // Warm up (connections, JIT) as a running bidder would be: a cold first call on a loaded machine
    // can take longer than the deadline by itself.
    expect((await fanOut(request, p, { deadline: within(3_000) })).map((r) => r.status)).toEqual(['bid', 'bid', 'bid']);

    const started = performance.now();
    const results = await fanOut(request, p, { deadline: within(150) });
    const elapsed = performance.now() - started;

    expect(results.map((r) => [r.dspId, r.status])).toEqual([
      ['fast-1', 'bid'],
      ['fast-2', 'bid'],
      ['slow', 'timeout'],
    ]);
    expect(bidsOf(results).map((b) => b.seat)).toEqual(['fast-1', 'fast-2']);
    // Returned at the deadline, well before the slow DSP would have answered (400 ms).
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(350);
    // The slow DSP saw its request cut off and never got to answer.
    await sleep(50);
    expect(slow.stats.clientAborts).toBe(1);
    expect(slow.stats.bids).toBe(1); // the warm-up's only
    expect(p.get('slow')!.stats()).toMatchObject({ requests: 2, timeouts: 1, bids: 1 });
    expect(p.get('fast-1')!.stats()).toMatchObject({ requests: 2, bids: 2, timeouts: 0 });
  });

  it('sends each DSP min(its timeout, time left) as tmax', async () => {
    const a = await sim({ latency: 1, bidRate: 0 });
    const b = await sim({ latency: 1, bidRate: 0 });
    const p = pool([cfg('a', a, { timeoutMs: 40 }), cfg('b', b, { timeoutMs: 1_000 })]);
    await fanOut(request, p, { deadline: within(120) });
    // (statuses not asserted: on a loaded machine the 40 ms DSP may time out; what it was SENT is the point)
    for (let i = 0; i < 100 && (a.stats.tmaxSeen.length === 0 || b.stats.tmaxSeen.length === 0); i++) await sleep(10);
    expect(a.stats.tmaxSeen).toEqual([40]);
    expect(b.stats.tmaxSeen[0]).toBeGreaterThan(60);
    expect(b.stats.tmaxSeen[0]).toBeLessThanOrEqual(120);
  });

  it('a DSP timeout shorter than the deadline counts as a timeout at that time', async () => {
    const slowish = await sim({ latency: 300, bidRate: 1 });
    const p = pool([cfg('slowish', slowish, { timeoutMs: 30 })], { abandonGraceMs: 0 });
    const started = performance.now();
    const [r] = await fanOut(request, p, { deadline: within(1_000) });
    expect(r?.status).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('a late answer inside the grace period is ignored but keeps the connection', async () => {
    const late = await sim({ latency: 60, bidRate: 1 });
    const p = pool([cfg('late', late)], { abandonGraceMs: 400 });
    const [r] = await fanOut(request, p, { deadline: within(20) });
    expect(r?.status).toBe('timeout');
    await sleep(200);
    expect(p.get('late')!.stats()).toMatchObject({ timeouts: 1, lateAnswers: 1, bids: 0 });
    expect(late.stats.clientAborts).toBe(0);
    // next request reuses that same connection
    late.configure({ latency: 1 });
    const [again] = await fanOut(request, p, { deadline: within(500) });
    expect(again?.status).toBe('bid');
    expect(late.stats.connections).toBe(1);
  });

  it('reuses kept-alive connections (server-side connection count)', async () => {
    const s = await sim({ latency: { minMs: 1, maxMs: 5 }, bidRate: 0.5 });
    const p = pool([cfg('ka', s, { maxSockets: 4 })]);
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => fanOut(request, p, { deadline: within(2_000) })));
      for (const [r] of batch) expect(['bid', 'no-bid']).toContain(r?.status);
    }
    expect(s.stats.requests).toBe(80);
    expect(s.stats.connections).toBeLessThanOrEqual(4);
  });

  it('204 is a no-bid, 500 and invalid JSON are errors, a wrong response id is an error', async () => {
    const nobid = await sim({ latency: 1, bidRate: 0 });
    const err = await sim({ latency: 1, errorRate: 1 });
    const junk = await sim({ latency: 1, invalidRate: 1 });
    const p = pool([cfg('nobid', nobid), cfg('err', err), cfg('junk', junk)]);
    const results = await fanOut(request, p, { deadline: within(2_000) });
    expect(results.map((r) => r.status)).toEqual(['no-bid', 'error', 'error']);
    expect(results[1]).toMatchObject({ httpStatus: 500, error: 'http 500' });
    expect(results[2]).toMatchObject({ error: 'invalid json' });
  });

  it('turns hostile DSP output into errors, never a throw', async () => {
    const bodies: Record<string, { headers?: Record<string, string>; body: string | Buffer }> = {
      'wrong-id': { body: JSON.stringify({ id: 'someone-else', seatbid: [] }) },
      huge: { body: `{"id":"auction-1","pad":"${'x'.repeat(2 * 1024 * 1024)}"}` },
      deep: { body: `${'['.repeat(200_000)}${']'.repeat(200_000)}` },
      brotli: { headers: { 'content-encoding': 'br' }, body: 'xx' },
      'bad-gzip': { headers: { 'content-encoding': 'gzip' }, body: 'not gzip' },
      'not-json': { body: '<html>oops</html>' },
      'all-bids-bad': { body: JSON.stringify({ id: 'auction-1', seatbid: [{ bid: [{ id: 'x', impid: 'nope', price: 1, adm: 'a' }] }] }) },
    };
    const server = http.createServer((req, res) => {
      const spec = bodies[(req.url ?? '').slice(1)]!;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', ...(spec.headers ?? {}) }).end(spec.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ids = Object.keys(bodies);
      const p = pool(ids.map((id) => ({ id, endpoint: `${base}/${id}`, timeoutMs: 2_000, maxQps: 100 })));
      const results = await fanOut(request, p, { deadline: within(3_000) });
      expect(Object.fromEntries(results.map((r) => [r.dspId, r.status]))).toEqual({
        'wrong-id': 'error',
        huge: 'error',
        deep: 'error',
        brotli: 'error',
        'bad-gzip': 'error',
        'not-json': 'error',
        'all-bids-bad': 'no-bid',
      });
      expect(results.find((r) => r.dspId === 'all-bids-bad')?.rejectedBids).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('decodes gzip responses', async () => {
    const s = await sim({ latency: 1, bidRate: 1, gzip: true, seat: 'zipped' });
    const p = pool([cfg('gz', s)]);
    const [r] = await fanOut(request, p, { deadline: within(2_000) });
    expect(r?.status).toBe('bid');
    expect(r?.bids[0]).toMatchObject({ seat: 'zipped', impId: '1', w: 300, h: 250 });
  });

  it('skips a DSP over its QPS (counted) and does not send it anything', async () => {
    const s = await sim({ latency: 1, bidRate: 1 });
    const p = pool([cfg('limited', s, { maxQps: 1, burst: 1 })]);
    const [first] = await fanOut(request, p, { deadline: within(1_000) });
    const [second] = await fanOut(request, p, { deadline: within(1_000) });
    expect([first?.status, second?.status]).toEqual(['bid', 'skipped-qps']);
    expect(s.stats.requests).toBe(1);
    expect(p.get('limited')!.stats().skippedQps).toBe(1);
  });

  it('does not call DSPs when the deadline has passed, and honours the caller signal', async () => {
    const s = await sim({ latency: 200, bidRate: 1 });
    const p = pool([cfg('s', s)]);
    const [late] = await fanOut(request, p, { deadline: performance.now() - 1 });
    expect(late?.status).toBe('skipped-deadline');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    const started = performance.now();
    const [cancelled] = await fanOut(request, p, { deadline: within(1_000), signal: abort.signal });
    expect(cancelled?.status).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(180);
    expect(p.get('s')!.breaker.state).toBe('closed'); // our cancel is no verdict on the DSP
  });

  it('opens the breaker after repeated errors, skips the DSP, probes after the cooldown and closes', async () => {
    const s = await sim({ latency: 1, errorRate: 1 });
    const breaker = { failureThreshold: 3, cooldownMs: 300, halfOpenMaxProbes: 1, halfOpenSuccessesToClose: 1 };
    const p = pool([cfg('flaky', s, { breaker })]);
    const client = p.get('flaky')!;
    for (let i = 0; i < 3; i++) expect((await fanOut(request, p, { deadline: within(1_000) }))[0]?.status).toBe('error');
    expect(client.breaker.state).toBe('open');
    expect(client.stats()).toMatchObject({ breakerState: 'open', breakerStateCode: 2, breakerOpened: 1 });

    for (let i = 0; i < 5; i++) expect((await fanOut(request, p, { deadline: within(1_000) }))[0]?.status).toBe('skipped-breaker');
    expect(s.stats.requests).toBe(3); // skipped requests never reached the DSP
    expect(client.stats().skippedBreaker).toBe(5);

    // Cooldown passes while still failing: the probe fails and the breaker reopens.
    await sleep(350);
    expect(client.breaker.state).toBe('half-open');
    expect((await fanOut(request, p, { deadline: within(1_000) }))[0]?.status).toBe('error');
    expect(client.breaker.state).toBe('open');
    expect(s.stats.requests).toBe(4);

    // DSP recovers; after the next cooldown one probe goes through and closes the breaker.
    s.configure({ errorRate: 0, bidRate: 1 });
    await sleep(350);
    const probes = await Promise.all([fanOut(request, p, { deadline: within(1_000) }), fanOut(request, p, { deadline: within(1_000) })]);
    expect(probes.map(([r]) => r?.status).sort()).toEqual(['bid', 'skipped-breaker']); // only 1 probe at a time
    expect(client.breaker.state).toBe('closed');
    expect((await fanOut(request, p, { deadline: within(1_000) }))[0]?.status).toBe('bid');
  });

  it('opens the breaker on repeated timeouts of a hanging DSP', async () => {
    const s = await sim({ timeoutRate: 1, timeoutMode: 'hang' });
    const p = pool([cfg('hang', s, { breaker: { failureThreshold: 2, cooldownMs: 60_000 } })], { abandonGraceMs: 0 });
    for (let i = 0; i < 2; i++) expect((await fanOut(request, p, { deadline: within(40) }))[0]?.status).toBe('timeout');
    expect((await fanOut(request, p, { deadline: within(40) }))[0]?.status).toBe('skipped-breaker');
    expect(p.get('hang')!.stats()).toMatchObject({ timeouts: 2, breakerState: 'open' });
  });

  it('the default fleet: fast DSPs bid, slow/hanging ones are cut at a 50 ms deadline', async () => {
    const fleet = await startDspFleet();
    try {
      const p = pool(fleet.configs);
      await fanOut({ ...request, id: 'warm-up' }, p, { deadline: within(500) });
      const started = performance.now();
      const results = await fanOut({ ...request, id: 'fleet-1' }, p, { deadline: within(50) });
      const elapsed = performance.now() - started;
      expect(results).toHaveLength(5);
      expect(results[0]?.status === 'bid' || results[0]?.status === 'no-bid').toBe(true); // 8-15 ms
      expect(results[4]?.status).toBe('timeout'); // answers after 65-90 ms, or hangs
      expect(elapsed).toBeLessThan(50 + 150);
      for (const b of bidsOf(results)) expect(b.priceMicros).toBeGreaterThanOrEqual(200_000);
    } finally {
      await fleet.stop();
    }
  });
});
