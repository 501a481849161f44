/**
 * Simulated DSPs for the local stack, tests and benchmarks: node:http servers on 127.0.0.1 that answer
 * OpenRTB 2.6 BidRequests with valid BidResponses (200) or no-bids (204), with configurable latency,
 * bid rate, error rate and timeouts, and that record the win / billing / loss notices they receive.
 *
 *   const dsp = await startSimulatedDsp({ latency: { minMs: 10, maxMs: 30 }, bidRate: 0.8 });
 *   dsp.url         // endpoint to put in the DSP config
 *   dsp.stats       // live counters + received notices
 *   dsp.configure({ errorRate: 1 })   // change behaviour while running (breaker tests)
 *   await dsp.stop()
 *
 * Randomness comes from a seeded PRNG (`seed`), so a run is reproducible.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export type LatencySpec =
  | number
  | { minMs: number; maxMs: number }
  /** Any distribution: called with a uniform [0,1) source, returns ms. */
  | ((random: () => number) => number);

export interface SimulatedDspOptions {
  port?: number;
  /** Answer delay. Default { minMs: 5, maxMs: 15 }. */
  latency?: LatencySpec;
  /** Share of imps bid on. Default 0.8. */
  bidRate?: number;
  /** Share of requests answered 500. Default 0. */
  errorRate?: number;
  /** Share of requests answered with a malformed body (200, not JSON). Default 0. */
  invalidRate?: number;
  /** Share of requests that time out. Default 0. */
  timeoutRate?: number;
  /** 'hang': never answer (until the client gives up); 'late': answer after `lateMs`. Default 'late'. */
  timeoutMode?: 'hang' | 'late';
  /** Delay of a 'late' answer. Default 1000. */
  lateMs?: number;
  /** Bid price range, CPM (never below the imp's bidfloor). Default { min: 0.5, max: 3 }. */
  priceCpm?: { min: number; max: number };
  seat?: string;
  adomain?: string[];
  /** Response currency (absent on the wire when USD). */
  currency?: string;
  seed?: number;
  /** gzip bid responses when the client sends accept-encoding: gzip. Default false. */
  gzip?: boolean;
  /** Keep at most this many received notices (oldest dropped). Default 1000. */
  maxNoticesKept?: number;
}

export interface ReceivedNotice {
  kind: 'win' | 'bill' | 'loss';
  /** Path and query as received. */
  url: string;
  query: Record<string, string>;
  at: number;
}

export interface SimulatedDspStats {
  requests: number;
  bids: number;
  noBids: number;
  errors: number;
  invalid: number;
  timeouts: number;
  badRequests: number;
  /** TCP connections accepted (keep-alive reuse shows as requests >> connections). */
  connections: number;
  /** Requests whose client went away before we answered. */
  clientAborts: number;
  notices: ReceivedNotice[];
  noticeCounts: { win: number; bill: number; loss: number };
  /** tmax values received (last 1000). */
  tmaxSeen: number[];
}

export interface SimulatedDsp {
  readonly url: string;
  readonly port: number;
  readonly stats: SimulatedDspStats;
  configure(changes: Partial<Omit<SimulatedDspOptions, 'port' | 'seed'>>): void;
  resetStats(): void;
  stop(): Promise<void>;
}

/** mulberry32: tiny seeded PRNG, good enough for traffic simulation. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function latencyOf(spec: LatencySpec, random: () => number): number {
  if (typeof spec === 'number') return spec;
  if (typeof spec === 'function') return Math.max(0, spec(random));
  return spec.minMs + (spec.maxMs - spec.minMs) * random();
}

function emptyStats(): SimulatedDspStats {
  return {
    requests: 0,
    bids: 0,
    noBids: 0,
    errors: 0,
    invalid: 0,
    timeouts: 0,
    badRequests: 0,
    connections: 0,
    clientAborts: 0,
    notices: [],
    noticeCounts: { win: 0, bill: 0, loss: 0 },
    tmaxSeen: [],
  };
}

type Obj = Record<string, unknown>;

function sizeOf(imp: Obj): { w: number; h: number } {
  const banner = imp.banner as Obj | undefined;
  const format = Array.isArray(banner?.format) ? (banner.format as Obj[])[0] : undefined;
  const w = Number(format?.w ?? banner?.w ?? 300);
  const h = Number(format?.h ?? banner?.h ?? 250);
  return { w: Number.isFinite(w) ? w : 300, h: Number.isFinite(h) ? h : 250 };
}

export async function startSimulatedDsp(options: SimulatedDspOptions = {}): Promise<SimulatedDsp> {
  const o: Required<Omit<SimulatedDspOptions, 'port' | 'currency'>> & { currency?: string } = {
    latency: { minMs: 5, maxMs: 15 },
    bidRate: 0.8,
    errorRate: 0,
    invalidRate: 0,
    timeoutRate: 0,
    timeoutMode: 'late',
    lateMs: 1000,
    priceCpm: { min: 0.5, max: 3 },
    seat: 'sim-seat',
    adomain: ['sim-advertiser.example'],
    seed: 1,
    gzip: false,
    maxNoticesKept: 1000,
    ...options,
  };
  const random = seededRandom(o.seed);
  let stats = emptyStats();
  let base = '';
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const buildResponse = (req: Obj): string | null => {
    const imps = Array.isArray(req.imp) ? (req.imp as Obj[]) : [];
    const bids: Obj[] = [];
    for (const imp of imps) {
      if (random() >= o.bidRate) continue;
      const floor = typeof imp.bidfloor === 'number' && imp.bidfloor > 0 ? imp.bidfloor : 0;
      const raw = o.priceCpm.min + (o.priceCpm.max - o.priceCpm.min) * random();
      const price = Math.round(Math.max(raw, floor) * 10_000) / 10_000;
      const { w, h } = sizeOf(imp);
      const id = `b${++seq}`;
      const q = 'auction=${AUCTION_ID}&imp=${AUCTION_IMP_ID}&bid=${AUCTION_BID_ID}&seat=${AUCTION_SEAT_ID}&price=${AUCTION_PRICE}&cur=${AUCTION_CURRENCY}';
      const bid: Obj = {
        id,
        impid: imp.id,
        price,
        adm: `<a href="https://${o.adomain[0] ?? 'sim.example'}/"><img src="https://cdn.sim.example/${w}x${h}.png" width="${w}" height="${h}"></a>`,
        adomain: o.adomain,
        crid: `crid-${w}x${h}`,
        cat: ['IAB3'],
        w,
        h,
        mtype: 1,
        nurl: `${base}/notice/win?${q}`,
        burl: `${base}/notice/bill?${q}`,
        lurl: `${base}/notice/loss?${q}&loss=\${AUCTION_LOSS}`,
      };
      const deals = (imp.pmp as Obj | undefined)?.deals;
      if (Array.isArray(deals) && deals.length > 0 && typeof (deals[0] as Obj).id === 'string') bid.dealid = (deals[0] as Obj).id;
      bids.push(bid);
    }
    if (bids.length === 0) return null;
    stats.bids += bids.length;
    const res: Obj = { id: req.id, bidid: `resp-${seq}`, seatbid: [{ seat: o.seat, bid: bids }] };
    if (o.currency && o.currency !== 'USD') res.cur = o.currency;
    return JSON.stringify(res);
  };

  const recordNotice = (kind: 'win' | 'bill' | 'loss', url: string): void => {
    const query: Record<string, string> = {};
    const qi = url.indexOf('?');
    if (qi >= 0) for (const [k, v] of new URLSearchParams(url.slice(qi + 1))) query[k] = v;
    stats.noticeCounts[kind]++;
    stats.notices.push({ kind, url, query, at: Date.now() });
    if (stats.notices.length > o.maxNoticesKept) stats.notices.shift();
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.startsWith('/notice/')) {
      const kind = url.slice('/notice/'.length).split('?')[0];
      if (kind === 'win' || kind === 'bill' || kind === 'loss') {
        recordNotice(kind, url);
        res.writeHead(200, { 'content-length': 0 }).end();
      } else res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    if (req.method === 'GET' && url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-length': 0 }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      stats.requests++;
      let body: Obj;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Obj;
        if (typeof body !== 'object' || body === null || typeof body.id !== 'string') throw new Error('not a bid request');
      } catch {
        stats.badRequests++;
        res.writeHead(400, { 'content-length': 0 }).end();
        return;
      }
      if (typeof body.tmax === 'number') {
        stats.tmaxSeen.push(body.tmax);
        if (stats.tmaxSeen.length > 1000) stats.tmaxSeen.shift();
      }
      let aborted = false;
      res.on('close', () => {
        if (!res.writableFinished) {
          aborted = true;
          stats.clientAborts++;
        }
      });
      const roll = random();
      let delay = latencyOf(o.latency, random);
      let answer: () => void;
      if (roll < o.timeoutRate) {
        stats.timeouts++;
        if (o.timeoutMode === 'hang') return; // never answer; the client aborts or stop() closes it
        delay = o.lateMs;
        answer = () => sendBid();
      } else if (roll < o.timeoutRate + o.errorRate) {
        answer = () => {
          stats.errors++;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('simulated error');
        };
      } else if (roll < o.timeoutRate + o.errorRate + o.invalidRate) {
        answer = () => {
          stats.invalid++;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "oops", "seatbid": [');
        };
      } else answer = () => sendBid();
      function sendBid(): void {
        const json = buildResponse(body);
        if (json === null) {
          stats.noBids++;
          res.writeHead(204).end();
        } else if (o.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-openrtb-version': '2.6' }).end(gzipSync(json));
        } else res.writeHead(200, { 'content-type': 'application/json', 'x-openrtb-version': '2.6' }).end(json);
      }
      later(delay, () => {
        if (!aborted && !res.destroyed) answer();
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', () => stats.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: `${base}/openrtb2/bid`,
    port,
    get stats() {
      return stats;
    },
    configure(changes) {
      Object.assign(o, changes);
    },
    resetStats() {
      const connections = stats.connections;
      stats = emptyStats();
      stats.connections = connections;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface FleetMember extends SimulatedDspOptions {
  id: string;
  /** DSP config values for the bidder. Defaults: timeoutMs 100, maxQps 10000. */
  timeoutMs?: number;
  maxQps?: number;
}

/** The default fleet: 5 DSPs with latencies spread over 10-90 ms, the slowest timing out sometimes. */
export const DEFAULT_FLEET: readonly FleetMember[] = Object.freeze([
  { id: 'sim-dsp-a', seat: 'seat-a', latency: { minMs: 8, maxMs: 15 }, bidRate: 0.7, adomain: ['alpha-brand.example'], seed: 11 },
  { id: 'sim-dsp-b', seat: 'seat-b', latency: { minMs: 20, maxMs: 35 }, bidRate: 0.6, adomain: ['bravo-brand.example'], seed: 12 },
  { id: 'sim-dsp-c', seat: 'seat-c', latency: { minMs: 35, maxMs: 55 }, bidRate: 0.6, errorRate: 0.02, adomain: ['charlie-brand.example'], seed: 13 },
  { id: 'sim-dsp-d', seat: 'seat-d', latency: { minMs: 50, maxMs: 75 }, bidRate: 0.5, timeoutRate: 0.05, adomain: ['delta-brand.example'], seed: 14 },
  { id: 'sim-dsp-e', seat: 'seat-e', latency: { minMs: 65, maxMs: 90 }, bidRate: 0.5, timeoutRate: 0.1, timeoutMode: 'hang', adomain: ['echo-brand.example'], seed: 15 },
]);

export interface DspFleet {
  dsps: { id: string; sim: SimulatedDsp }[];
  /** DSP configs for the bidder (the JSON shape of shared/bidding/dsp/config.ts). */
  configs: { id: string; endpoint: string; timeoutMs: number; maxQps: number; seat?: string }[];
  stop(): Promise<void>;
}

export async function startDspFleet(members: readonly FleetMember[] = DEFAULT_FLEET): Promise<DspFleet> {
  const dsps: DspFleet['dsps'] = [];
  try {
    for (const m of members) dsps.push({ id: m.id, sim: await startSimulatedDsp(m) });
  } catch (error) {
    await Promise.all(dsps.map((d) => d.sim.stop()));
    throw error;
  }
  return {
    dsps,
    configs: members.map((m, i) => ({
      id: m.id,
      endpoint: dsps[i]!.sim.url,
      timeoutMs: m.timeoutMs ?? 100,
      maxQps: m.maxQps ?? 10_000,
      ...(m.seat !== undefined ? { seat: m.seat } : {}),
    })),
    async stop() {
      await Promise.all(dsps.map((d) => d.sim.stop()));
    },
  };
}
