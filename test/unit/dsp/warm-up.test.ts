/**
 * DspClient/DspPool against local node:http and node:net servers: connection warm-up, and a burst of
 * concurrent timeouts counted as one breaker failure. Wide timing margins (loaded 2-core machine).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';
import type { DspConfig } from '../../../shared/bidding/dsp/config.js';
import { DspPool, fanOut } from '../../../bidder/dsp/fanout.js';

const request: BidRequest = { id: 'auction-1', imp: [{ id: '1', banner: { format: [{ w: 300, h: 250 }] } }], tmax: 100 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function pool(configs: DspConfig[], options: ConstructorParameters<typeof DspPool>[1] = {}): DspPool {
  const p = new DspPool(configs, options);
  cleanups.push(() => p.close());
  return p;
}

function dsp(id: string, port: number, extra: Partial<DspConfig> = {}): DspConfig {
  return { id, endpoint: `http://127.0.0.1:${port}/openrtb`, timeoutMs: 1_000, maxQps: 10_000, ...extra };
}

/** An HTTP DSP that answers 405 to anything but POST and no-bid (204) to POST, counting connections. */
async function httpDsp(options: { answerPosts: boolean } = { answerPosts: true }) {
  const seen = { connections: 0, methods: [] as string[] };
  const server = http.createServer((req, res) => {
    seen.methods.push(req.method ?? '');
    req.resume();
    if (req.method !== 'POST') res.writeHead(405, { 'content-length': 0 }).end();
    else if (options.answerPosts) res.writeHead(204).end();
    // else: hang (the client times out)
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Accepts TCP connections and never answers: the worst dead endpoint (connect succeeds, no reply). */
async function silentEndpoint(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on (connection refused). */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const within = (ms: number) => performance.now() + ms;

describe('DspPool.warmUp', () => {
  it('opens kept-alive connections that the first burst of bid requests reuses', async () => {
    // Prepare
    const server = await httpDsp();
    const p = pool([dsp('a', server.port)]);

    // Act
    const warmed = await p.warmUp({ connections: 4, deadlineMs: 5_000 });

    // Assess: 4 connections open, the 405s counted nowhere
    expect(warmed).toEqual([{ dspId: 'a', answered: 4, connected: 4 }]);
    expect(server.seen).toEqual({ connections: 4, methods: ['OPTIONS', 'OPTIONS', 'OPTIONS', 'OPTIONS'] });
    expect(p.get('a')!.stats()).toMatchObject({ requests: 0, errors: 0, breakerState: 'closed' });
    expect(p.get('a')!.breaker.snapshot()).toMatchObject({ consecutiveFailures: 0, windowRequests: 0 });

    // Act: the first concurrent burst of real bid requests
    const burst = await Promise.all(Array.from({ length: 4 }, () => fanOut(request, p, { deadline: within(5_000) })));

    // Assess: answered on the warm connections, none opened
    expect(burst.flat().map((r) => r.status)).toEqual(['no-bid', 'no-bid', 'no-bid', 'no-bid']);
    expect(server.seen.connections).toBe(4);
    expect(p.get('a')!.stats()).toMatchObject({ requests: 4, noBids: 4 });
  });

  it('caps the connections at the DSP maxSockets', async () => {
    const server = await httpDsp();
    const p = pool([dsp('a', server.port, { maxSockets: 2 })]);

    const warmed = await p.warmUp({ connections: 8, deadlineMs: 5_000 });

    expect(warmed).toEqual([{ dspId: 'a', answered: 2, connected: 2 }]);
    expect(server.seen.connections).toBe(2);
  });

  it('returns within its deadline against dead endpoints, without throwing or touching the breaker', async () => {
    // Prepare: one DSP that accepts and never answers, one that refuses connections
    const p = pool([dsp('silent', await silentEndpoint()), dsp('refused', await refusedPort())]);

    // Act
    const started = performance.now();
    const warmed = await p.warmUp({ connections: 3, deadlineMs: 300 });
    const elapsed = performance.now() - started;

    // Assess
    expect(elapsed).toBeGreaterThanOrEqual(250); // the silent one holds it to the deadline …
    expect(elapsed).toBeLessThan(1_000); // … and no longer
    expect(warmed).toEqual([
      { dspId: 'silent', answered: 0, connected: 0 },
      { dspId: 'refused', answered: 0, connected: 0 },
    ]);
    for (const client of p.clients) {
      expect(client.stats()).toMatchObject({ requests: 0, errors: 0, timeouts: 0, breakerState: 'closed' });
      expect(client.breaker.snapshot()).toMatchObject({ consecutiveFailures: 0, windowRequests: 0, windowFailures: 0 });
    }
  });
});

describe('DspClient breaker counting', () => {
  it('counts a burst of concurrent timeouts as one failure; later timeouts still open the breaker', async () => {
    // Prepare: a DSP that never answers bid requests, breaker opening after 3 consecutive failures
    const server = await httpDsp({ answerPosts: false });
    const p = pool([dsp('slow', server.port, { timeoutMs: 50, breaker: { failureThreshold: 3 } })], { abandonGraceMs: 0 });
    const slow = p.get('slow')!;

    // Act: 3 requests in flight together, all timing out
    const burst = await Promise.all(Array.from({ length: 3 }, () => fanOut(request, p, { deadline: within(5_000) })));

    // Assess: one incident, breaker still closed
    expect(burst.flat().map((r) => r.status)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(slow.breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 1, overlappingFailures: 2 });

    // Act: two more, one after the other, each sent after the previous timed out
    for (let i = 0; i < 2; i++) await fanOut(request, p, { deadline: within(5_000) });

    // Assess
    expect(slow.stats()).toMatchObject({ timeouts: 5, breakerState: 'open', breakerOpened: 1 });
  });
});
