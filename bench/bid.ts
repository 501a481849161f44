/**
 * npm run bench:bid — the bidder's throughput and latency on this machine.
 *
 *   1. internal line items only: wrk against the real bidder process (bidder/app.ts with real Redis
 *      leases and the Kinesis publisher on kinesalite; line items from memory), beside a bare node:http
 *      server answering 204, measured in the same run; prints req/s, p50/p99 and the ratio.
 *   2. with 5 simulated DSPs (local/dsp-sim DEFAULT_FLEET: latency spread 10-90 ms, some timeouts) and
 *      tmax 100: req/s, p50/p99/p99.9 end to end, and the share of answers later than tmax.
 *
 *   3. --events-ab: only the internal-line-items run, as an A/B of the event path in one run: three
 *      bidder processes side by side (events published by the worker-thread publisher as in
 *      production, by the inline BufferedEventPublisher on the main thread, and no events at all),
 *      measured in turn for --rounds alternations; prints each variant's median and the ratios.
 *
 *   npx tsx bench/bid.ts [--seconds 10] [--connections 32] [--dsp-connections 64] [--kinesalite]
 *   npx tsx bench/bid.ts --events-ab [--rounds 3] [--seconds 8] [--connections 32] [--kinesalite]
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Campaign } from '../shared/domain/campaign/campaign.js';
import type { Deal } from '../shared/domain/deal/deal.js';
import { startBidder } from '../bidder/app.js';
import { loadConfig } from '../bidder/config.js';
import { EmfMetrics } from '../bidder/metrics.js';
import { BufferedEventPublisher } from '../shared/adapters/kinesis/buffered-publisher.js';
import { createKinesisClient } from '../shared/adapters/kinesis/client.js';
import { MemoryLineItemSource } from '../shared/adapters/memory/memory-line-item-source.js';
import { MemorySpendLedger } from '../shared/adapters/memory/memory-spend-ledger.js';
import { connectBudgetRedis, createBudgetRedis } from '../shared/adapters/redis/client.js';
import { RedisBudgetAllocator } from '../shared/adapters/redis/redis-allocator.js';
import { dayEndUtc } from '../shared/budget/campaign-day.js';
import { DEFAULT_FLEET, startDspFleet } from '../local/dsp-sim/index.js';
import { ensureStream, localKinesisClient, startKinesalite } from '../local/kinesis/launch.js';
import { startRedis } from '../local/redis/launch.js';
import { SAMPLE_REQUEST, runWrk, startChild, type WrkResult } from './http-layer.js';

const KEY = 'bench-exchange-key-0123456789';
const CAMPAIGNS = 20;
const DAILY_BUDGET_MINOR = 100_000_000; // $1M a day each: the benchmark measures speed, not budget exhaustion

function benchDeals(): { deal: Deal; campaigns: Campaign[] } {
  const at = new Date().toISOString();
  const day = at.slice(0, 10);
  const deal: Deal = {
    id: 'bench-deal',
    accountId: 'bench-acct',
    name: 'bench',
    type: 'programmatic',
    totalValue: { amountMinor: 10_000_000_000, currency: 'USD' },
    startDate: '2020-01-01',
    endDate: '2099-12-31',
    ownerId: 'u',
    status: 'active',
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: 'u',
    updatedBy: 'u',
  };
  const campaigns: Campaign[] = [];
  for (let i = 0; i < CAMPAIGNS; i++) {
    const fits = i % 2 === 0; // half bid on 300x250 in the USA, half on other sizes / countries
    campaigns.push({
      id: `bench-camp-${i}`,
      dealId: deal.id,
      accountId: deal.accountId,
      name: `c${i}`,
      type: 'display',
      budget: { amountMinor: DAILY_BUDGET_MINOR * 10, currency: 'USD' },
      dailyBudget: { amountMinor: DAILY_BUDGET_MINOR, currency: 'USD' },
      targeting: { audienceSegments: [], geo: { countries: fits ? ['USA'] : ['FRA'] }, devices: fits ? ['desktop'] : [] },
      schedule: { startDate: day, endDate: '2099-12-31', pacing: 'asap' },
      creativeSpecs: [],
      bidStrategy: 'max_cpm',
      maxBid: { amountMinor: 100 + 17 * i, currency: 'USD' },
      creatives: [{ id: `cr-${i}`, format: 'banner', w: fits ? 300 : 728, h: fits ? 250 : 90, adm: `<div>ad ${i}</div>`, adomain: [`brand${i}.example`], cat: ['IAB22'] }],
      status: 'active',
      version: 1,
      createdAt: at,
      updatedAt: at,
      createdBy: 'u',
      updatedBy: 'u',
    });
  }
  return { deal, campaigns };
}

/** Child process: the bidder itself (the real app wiring; only the line-item source is in memory). */
/** How the child publishes events: the app's own wiring (worker thread), inline on the main thread, or not at all. */
type EventsMode = 'worker' | 'inline' | 'no-events';

async function serveBidder(port: number, redisPort: number, kinesisEndpoint: string, dsps: string, mode: EventsMode): Promise<void> {
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_KINESIS: kinesisEndpoint });
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DEALS_TABLE_NAME: 'unused-in-bench',
    SPEND_TABLE_NAME: 'unused-in-bench',
    BID_EVENTS_STREAM: 'bench-events',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    EXCHANGE_KEYS: JSON.stringify({ bench: KEY }),
    BIDDER_ID: `bench-${process.pid}`,
    LEASE_BASIS_POINTS: '100',
    ...(process.env.EVENT_MAX_LOSERS_PER_IMP ? { EVENT_MAX_LOSERS_PER_IMP: process.env.EVENT_MAX_LOSERS_PER_IMP } : {}),
  });
  const seeded = benchDeals();
  const metricsLines: string[] = [];
  const bidder = await startBidder(config, {
    lineItemSource: new MemoryLineItemSource({ deals: [seeded.deal], campaigns: seeded.campaigns }),
    dsps: JSON.parse(dsps),
    // Today is initialised up front (preInitialise); the ledger only answers lookups.
    spendLedger: new MemorySpendLedger(),
    ...(mode === 'no-events' ? { events: { publish: () => {}, flush: async () => {}, close: async () => {} } } : {}),
    ...(mode === 'inline' ? { events: new BufferedEventPublisher({ client: createKinesisClient({}), streamName: config.BID_EVENTS_STREAM }) } : {}),
    metrics: new EmfMetrics({ write: (l) => metricsLines.push(l) }),
    log: () => {},
  });
  process.on('message', async (m) => {
    if (m === 'stats') {
      bidder.metrics.flush();
      process.send?.({ metrics: metricsLines.splice(0) });
    }
  });
  process.on('SIGTERM', () => void bidder.stop().then(() => process.exit(0)));
  process.send?.('ready');
}

async function preInitialise(url: string): Promise<void> {
  const client = createBudgetRedis(url);
  await connectBudgetRedis(client);
  const alloc = new RedisBudgetAllocator(client);
  const now = Date.now();
  const day = new Date(now).toISOString().slice(0, 10);
  for (let i = 0; i < CAMPAIGNS; i++) {
    await alloc.initCampaignDay({ campaignDay: `bench-camp-${i}/${day}`, dailyBudget: DAILY_BUDGET_MINOR * 10_000_000, committed: 0, outstanding: 0, holdUntil: now, dayEnd: dayEndUtc(day), now });
  }
  client.disconnect();
}

/** A Kinesis stand-in that accepts every PutRecords (awsJson1_1) and counts the records. */
async function startNullKinesis(): Promise<{ endpoint: string; stop(): Promise<void>; records(): number }> {
  let records = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Records?: unknown[] };
      const n = body.Records?.length ?? 0;
      records += n;
      const out = JSON.stringify({ FailedRecordCount: 0, Records: Array.from({ length: n }, (_, i) => ({ SequenceNumber: String(records + i), ShardId: 'shardId-000000000000' })) });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records: () => records,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function sumMetric(lines: string[], name: string, dim?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const o = JSON.parse(l) as Record<string, unknown>;
    if (typeof o[name] !== 'number') continue;
    const key = dim ? String(o[dim] ?? '') : '';
    if (dim && !(dim in o)) continue;
    out[key] = (out[key] ?? 0) + (o[name] as number);
  }
  return out;
}

function stats(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { metrics: string[] }).metrics));
    child.send('stats');
  });
}

// kinesalite throws on a client that disconnects mid-request (a bidder child being stopped).
process.on('uncaughtException', (error) => {
  if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') return;
  throw error;
});

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--serve-bidder') return serveBidder(Number(argv[1]), Number(argv[2]), argv[3]!, argv[4]!, (argv[5] as EventsMode | undefined) ?? 'worker');
  const arg = (name: string, d: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const seconds = arg('--seconds', 10);
  const connections = arg('--connections', 32);
  const dspConnections = arg('--dsp-connections', 64);
  const self = new URL(import.meta.url).pathname;
  const httpLayer = new URL('./http-layer.ts', import.meta.url).pathname;

  const redis = await startRedis({ port: 0 });
  // Events: kinesalite cannot take 10k+ records/s on this 2-core box (and would steal the CPU the
  // bidder is measured on), so by default the bidder's real publisher talks to a null Kinesis that
  // accepts every PutRecords at once. --kinesalite uses kinesalite instead.
  const useKinesalite = argv.includes('--kinesalite');
  const kinesis = useKinesalite ? await startKinesalite({ port: 0 }) : await startNullKinesis();
  const kc = localKinesisClient(kinesis.endpoint);
  if (useKinesalite) await ensureStream(kc, 'bench-events', 2);
  const fleet = await startDspFleet(DEFAULT_FLEET);
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const c of children) c.kill('SIGKILL');
    await fleet.stop();
    kc.destroy();
    await kinesis.stop();
    await redis.stop();
  };
  try {
    await preInitialise(redis.url);
    const basePort = 48_000 + (process.pid % 1000) * 3;
    const body = JSON.stringify(SAMPLE_REQUEST);
    if (argv.includes('--events-ab')) {
      await eventsAb({ self, redisPort: redis.port, kinesisEndpoint: kinesis.endpoint, basePort, body, seconds, connections, rounds: arg('--rounds', 3), children });
      return;
    }
    console.log(`bench:bid — ${CAMPAIGNS} line items (${CAMPAIGNS / 2} eligible for the request), body ${Buffer.byteLength(body)} B, ${seconds}s per run, ${connections} connections, wrk 1 thread`);

    // Baseline: bare node:http answering 204.
    const bare = await startChild([httpLayer, '--serve', 'bare-204', String(basePort)]);
    children.push(bare);
    await runWrk(`http://127.0.0.1:${basePort}/openrtb2/auction`, body, {}, 2, connections);
    const b = await runWrk(`http://127.0.0.1:${basePort}/openrtb2/auction`, body, {}, seconds, connections);
    bare.kill('SIGKILL');
    console.log(`bare node:http 204      ${b.rps.toFixed(0).padStart(7)} req/s  p50 ${b.p50.toFixed(2)} ms  p99 ${b.p99.toFixed(2)} ms`);

    // 1. Internal line items only.
    const internal = await startChild([self, '--serve-bidder', String(basePort + 1), String(redis.port), kinesis.endpoint, '[]']);
    children.push(internal);
    const url1 = `http://127.0.0.1:${basePort + 1}/openrtb2/auction`;
    await runWrk(url1, body, { 'x-exchange-key': KEY }, 2, connections);
    await stats(internal);
    const r1 = await runWrk(url1, body, { 'x-exchange-key': KEY }, seconds, connections);
    const m1 = await stats(internal);
    const bids1 = sumMetric(m1, 'Bids')[''] ?? 0;
    const req1 = sumMetric(m1, 'Requests')[''] ?? 0;
    console.log(`bidder, internal only   ${r1.rps.toFixed(0).padStart(7)} req/s  p50 ${r1.p50.toFixed(2)} ms  p99 ${r1.p99.toFixed(2)} ms  bids ${bids1}/${req1} requests  ratio to bare ${(r1.rps / b.rps).toFixed(3)}  event drops ${sumMetric(m1, 'EventBufferDrops')[''] ?? 0}`);
    internal.kill('SIGTERM');

    // 1b. The same without publishing events (what the event path costs on this box).
    const quiet = await startChild([self, '--serve-bidder', String(basePort + 3), String(redis.port), kinesis.endpoint, '[]', 'no-events']);
    children.push(quiet);
    const url1b = `http://127.0.0.1:${basePort + 3}/openrtb2/auction`;
    await runWrk(url1b, body, { 'x-exchange-key': KEY }, 2, connections);
    const r1b = await runWrk(url1b, body, { 'x-exchange-key': KEY }, seconds, connections);
    console.log(`  same, events off       ${r1b.rps.toFixed(0).padStart(7)} req/s  p50 ${r1b.p50.toFixed(2)} ms  p99 ${r1b.p99.toFixed(2)} ms  ratio to bare ${(r1b.rps / b.rps).toFixed(3)}`);
    quiet.kill('SIGTERM');

    // 2. With 5 simulated DSPs, tmax 100.
    const dsps = JSON.stringify(fleet.configs);
    const withDsps = await startChild([self, '--serve-bidder', String(basePort + 2), String(redis.port), kinesis.endpoint, dsps]);
    children.push(withDsps);
    const body2 = JSON.stringify({ ...SAMPLE_REQUEST, tmax: 100 });
    const url2 = `http://127.0.0.1:${basePort + 2}/openrtb2/auction`;
    await runWrk(url2, body2, { 'x-exchange-key': KEY }, 2, dspConnections);
    await stats(withDsps);
    const r2: WrkResult & { lateShare?: number } = await runWrk(url2, body2, { 'x-exchange-key': KEY }, seconds, dspConnections, 1, 100);
    const m2 = await stats(withDsps);
    const timeouts = sumMetric(m2, 'DspTimeouts', 'Dsp');
    console.log(
      `bidder, 5 DSPs, tmax 100, ${dspConnections} conns ${r2.rps.toFixed(0).padStart(6)} req/s  p50 ${r2.p50.toFixed(2)} ms  p99 ${r2.p99.toFixed(2)} ms  p99.9 ${r2.p999!.toFixed(2)} ms  later than tmax ${(100 * (r2.lateShare ?? 0)).toFixed(3)}%  DSP timeouts ${JSON.stringify(timeouts)}`,
    );
    withDsps.kill('SIGTERM');
    const sims = Object.fromEntries(fleet.dsps.map((d) => [d.id, d.sim.stats.requests]));
    console.log(`  DSP requests received ${JSON.stringify(sims)}; breaker-open skips ${JSON.stringify(sumMetric(m2, 'DspBreakerOpen', 'Dsp'))}; no-bid reasons ${JSON.stringify(sumMetric(m2, 'NoBid', 'Reason'))}`);
    console.log(
      JSON.stringify({
        bare204: { rps: Math.round(b.rps), p50: b.p50, p99: b.p99 },
        internalOnlyEventsOff: { rps: Math.round(r1b.rps), p50: r1b.p50, p99: r1b.p99, ratioToBare: Number((r1b.rps / b.rps).toFixed(3)) },
        internalOnly: { rps: Math.round(r1.rps), p50: r1.p50, p99: r1.p99, ratioToBare: Number((r1.rps / b.rps).toFixed(3)), bidShare: req1 ? Number((bids1 / req1).toFixed(3)) : 0 },
        fiveDsps: { rps: Math.round(r2.rps), p50: r2.p50, p99: r2.p99, p999: r2.p999, lateShare: r2.lateShare, dspTimeouts: timeouts },
      }),
    );
  } finally {
    await cleanup();
  }
}

/**
 * The event path's cost, A/B in one run: the variants run side by side (idle while not measured) and are
 * measured in turn, `rounds` times, so drift of the shared machine hits them alike.
 */
async function eventsAb(o: { self: string; redisPort: number; kinesisEndpoint: string; basePort: number; body: string; seconds: number; connections: number; rounds: number; children: ChildProcess[] }): Promise<void> {
  const modes: EventsMode[] = ['worker', 'inline', 'no-events'];
  const urls = new Map<EventsMode, string>();
  const procs = new Map<EventsMode, ChildProcess>();
  for (const [i, mode] of modes.entries()) {
    const port = o.basePort + 1 + i;
    const child = await startChild([o.self, '--serve-bidder', String(port), String(o.redisPort), o.kinesisEndpoint, '[]', mode]);
    o.children.push(child);
    procs.set(mode, child);
    urls.set(mode, `http://127.0.0.1:${port}/openrtb2/auction`);
    await runWrk(urls.get(mode)!, o.body, { 'x-exchange-key': KEY }, 2, o.connections);
  }
  console.log(`bench:bid --events-ab — ${o.rounds} rounds × ${modes.join(' / ')}, ${o.seconds}s each, ${o.connections} connections`);
  const rps = new Map<EventsMode, number[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < o.rounds; round++) {
    // Alternate the order too: the first run of a round is not always the same variant.
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      await stats(procs.get(mode)!);
      const r = await runWrk(urls.get(mode)!, o.body, { 'x-exchange-key': KEY }, o.seconds, o.connections);
      const m = await stats(procs.get(mode)!);
      const drops = sumMetric(m, 'EventBufferDrops')[''] ?? 0;
      rps.get(mode)!.push(r.rps);
      console.log(`  round ${round + 1} ${mode.padEnd(9)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  event drops ${drops}`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const med = Object.fromEntries(modes.map((m) => [m, Math.round(median(rps.get(m)!))])) as Record<EventsMode, number>;
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  console.log(
    JSON.stringify({
      medianRps: med,
      workerToNoEvents: ratio(med.worker, med['no-events']),
      inlineToNoEvents: ratio(med.inline, med['no-events']),
      workerToInline: ratio(med.worker, med.inline),
    }),
  );
  // A graceful stop (the bidders flush their events; --cpu-prof profiles get written) before cleanup kills.
  await Promise.all(
    [...procs.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10_000);
          child.once('exit', () => (clearTimeout(timer), resolve()));
          child.kill('SIGTERM');
        }),
    ),
  );
}

await main();
