/**
 * npm run bench:budget — budget safety under failures.
 *
 * 4 bidder processes (the real startBidder wiring) against ONE Redis; 5 campaigns with small daily
 * budgets (asap pacing) and far more demand than budget. The driver plays the exchange: it sends
 * first-price banner requests round-robin to the bidders and, for every bid of ours, the win and the
 * billing notice at the bid price, each to a RANDOM live bidder (as an ALB would: usually not the
 * one that bid; the signed notice URL lets any of them charge the bid's lease in Redis). Billing events
 * flow back like the real stream: each bidder's event sink forwards `notice.bill` spend and its
 * `stream.heartbeat`s onto the driver's one-shard stream, which a spend consumer reads
 * `--consumer-lag-ms` behind (iterator age) into a MemorySpendLedger with its watermark. The bidders'
 * budget source opens each campaign-day there, and after the Redis restart rebuilds from it only once
 * the watermark has passed the loss (the rebuild waits about the lag; the driver prints when each
 * campaign-day is initialised).
 *
 * Failures: bidder #4 is SIGKILLed at 25 % of the run (its leases and reservations are lost with it);
 * Redis is restarted (empty) at 50 %. The run ends when every campaign stopped delivering for a while
 * or at --seconds.
 *
 * Prints per campaign: budget, committed spend (ledger), overspend and delivery as % of budget, and
 * billing notices the bidders refused (impressions the exchange billed that no budget paid for). Ends
 * with one JSON line {"maxOverspendPct", "minDeliveryPct"}.
 *
 *   npx tsx bench/budget.ts [--seconds 60] [--rps 80] [--concurrency 16] [--consumer-lag-ms 5000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import { startBidder } from '../bidder/app.js';
import { loadConfig } from '../bidder/config.js';
import { EmfMetrics } from '../bidder/metrics.js';
import { MemoryLineItemSource } from '../shared/adapters/memory/memory-line-item-source.js';
import { MemorySpendLedger } from '../shared/adapters/memory/memory-spend-ledger.js';
import { substituteMacros } from '../shared/bidding/response.js';
import type { BidResponse } from '../shared/bidding/openrtb/types.js';
import type { Campaign } from '../shared/domain/campaign/campaign.js';
import type { Deal } from '../shared/domain/deal/deal.js';
import type { BidderEvent } from '../shared/events/types.js';
import type { CampaignDayOpening, SpendEntry } from '../shared/ports/spend-ledger.js';
import { startRedis } from '../local/redis/launch.js';

const KEY = 'budget-bench-key-0123456789';
/** Shared by every bidder process (in AWS: a Secrets Manager secret), so any of them can charge a bill. */
const NOTICE_SIGNING_KEY = 'budget-bench-notice-signing-key-0123456789';
const CAMPAIGNS = [
  { id: 'bb-camp-1', dailyMinor: 200, maxBidMinor: 500 }, // $2.00 a day at $5 CPM = 400 impressions
  { id: 'bb-camp-2', dailyMinor: 300, maxBidMinor: 400 },
  { id: 'bb-camp-3', dailyMinor: 150, maxBidMinor: 300 },
  { id: 'bb-camp-4', dailyMinor: 250, maxBidMinor: 250 },
  { id: 'bb-camp-5', dailyMinor: 100, maxBidMinor: 200 },
];
const NANOS_PER_MINOR = 10_000_000;
const BENCH_SHARD = 'shard-0';
/** Clock skew is nil here (one machine), and a record reaches the stream within the 25 ms flush. */
const LEDGER_MARGIN_MS = 1_000;

/** A record on the bench's stream: a bill's spend, or (no bill) a heartbeat; `at` is its event time. */
interface StreamRecord {
  at: number;
  bill?: SpendEntry;
}

function deals(): { deal: Deal; campaigns: Campaign[] } {
  const at = new Date().toISOString();
  const day = at.slice(0, 10);
  const deal: Deal = {
    id: 'bb-deal', accountId: 'bb-acct', name: 'budget bench', type: 'programmatic', totalValue: { amountMinor: 1_000_000, currency: 'USD' },
    startDate: '2020-01-01', endDate: '2099-12-31', ownerId: 'u', status: 'active', version: 1, createdAt: at, updatedAt: at, createdBy: 'u', updatedBy: 'u',
  };
  const campaigns = CAMPAIGNS.map((c, i): Campaign => ({
    id: c.id, dealId: deal.id, accountId: deal.accountId, name: c.id, type: 'display',
    budget: { amountMinor: c.dailyMinor * 10, currency: 'USD' }, dailyBudget: { amountMinor: c.dailyMinor, currency: 'USD' },
    targeting: { audienceSegments: [], geo: { countries: [] }, devices: [] },
    schedule: { startDate: day, endDate: '2099-12-31', pacing: 'asap' }, creativeSpecs: [], bidStrategy: 'fixed_cpm',
    maxBid: { amountMinor: c.maxBidMinor, currency: 'USD' },
    creatives: [{ id: `cr-${i}`, format: 'banner', w: 300, h: 250, adm: `<div>${i}</div>`, adomain: [`b${i}.example`], cat: ['IAB22'] }],
    status: 'active', version: 1, createdAt: at, updatedAt: at, createdBy: 'u', updatedBy: 'u',
  }));
  return { deal, campaigns };
}

// ---------------------------------------------------------------------------------------------------
// Child: one bidder process.

async function serveBidder(port: number, redisPort: number, ledgerUrl: string, index: number): Promise<void> {
  const config = loadConfig({
    PORT: String(port), HOST: '127.0.0.1', DEALS_TABLE_NAME: 'unused', SPEND_TABLE_NAME: 'unused', BID_EVENTS_STREAM: 'unused',
    REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisPort), EXCHANGE_KEYS: JSON.stringify({ bench: KEY }),
    NOTICE_SIGNING_KEY: NOTICE_SIGNING_KEY,
    BIDDER_ID: `budget-bidder-${index}`, LEASE_TTL_MS: '2000', LEASE_REFRESH_MS: '50', RESERVATION_TTL_MS: '2000', METRICS_FLUSH_MS: '300000',
    STREAM_HEARTBEAT_MS: '500', LEDGER_MARGIN_MS: String(LEDGER_MARGIN_MS),
  });
  const seeded = deals();
  const agent = new Agent({ connections: 4 });
  // The bidder's side of the stream: bills and heartbeats, batched like the Kinesis publisher.
  let pending: StreamRecord[] = [];
  const flushStream = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    try {
      const r = await undiciRequest(`${ledgerUrl}/records`, { method: 'POST', body: JSON.stringify(batch), dispatcher: agent });
      await r.body.dump();
    } catch {
      pending.unshift(...batch); // at least once, like the publisher's retries
    }
  };
  const timer = setInterval(() => void flushStream(), 25);
  const ask = async <T>(path: string, method: 'GET' | 'POST' = 'GET'): Promise<T> => {
    const r = await undiciRequest(`${ledgerUrl}${path}`, { method, dispatcher: agent });
    return (await r.body.json()) as T;
  };
  const q = encodeURIComponent;
  const bidder = await startBidder(config, {
    lineItemSource: new MemoryLineItemSource({ deals: [seeded.deal], campaigns: seeded.campaigns }),
    dsps: [],
    events: {
      publish: (e: BidderEvent) => {
        if (e.type === 'notice.bill' && e.spend) pending.push({ at: Date.parse(e.at), bill: { eventId: e.eventId, campaignId: e.spend.campaignId, day: e.spend.day, amountNanos: e.spend.costNanos } });
        else if (e.type === 'stream.heartbeat') pending.push({ at: Date.parse(e.at) });
      },
      flush: async () => flushStream(),
      close: async () => {
        clearInterval(timer);
        await flushStream();
      },
    },
    streamShards: { openShards: async () => [{ shardId: BENCH_SHARD, key: BENCH_SHARD, startingHashKey: '0' }] },
    spendLedger: {
      getSpend: (campaignId, day) => ask(`/spend?campaign=${q(campaignId)}&day=${q(day)}`),
      coveredUntil: async () => (await ask<{ coveredUntil: number | null }>('/covered')).coveredUntil ?? undefined,
      openCampaignDay: async (campaignId, day, by) =>
        (await ask<{ opening: CampaignDayOpening }>(`/open?campaign=${q(campaignId)}&day=${q(day)}&by=${q(by)}`, 'POST')).opening,
    },
    metrics: new EmfMetrics({ write: () => {} }),
    log: (msg, fields) => {
      if (msg === 'campaign-day initialised') process.send?.({ initialised: fields });
    },
  });
  process.on('SIGTERM', () => void bidder.stop().then(() => process.exit(0)));
  process.send?.('ready');
}

// ---------------------------------------------------------------------------------------------------
// Driver.

function startChild(args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bidder exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--serve-bidder') return serveBidder(Number(argv[1]), Number(argv[2]), argv[3]!, Number(argv[4]));
  const arg = (name: string, d: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : d);
  const seconds = arg('--seconds', 60);
  const concurrency = arg('--concurrency', 16);
  // Demand is paced so the budgets (3,150 impressions in all) last past both failures yet are far
  // exceeded by the end: 80 req/s x 60 s = 4,800 requests, all of which our campaigns would take.
  const rps = arg('--rps', 80);
  let nextAt = Date.now();

  // The bid-event stream (one shard) and the spend consumer, reading it `lag` ms behind, into the ledger.
  const consumerLagMs = arg('--consumer-lag-ms', 5_000);
  const spendLedger = new MemorySpendLedger();
  const stream: Array<StreamRecord & { arrivedAt: number }> = [];
  let consumed = 0;
  const consume = async (lagMs: number) => {
    const until = Date.now() - lagMs;
    let newest: number | undefined;
    const bills: SpendEntry[] = [];
    for (; consumed < stream.length && stream[consumed]!.arrivedAt <= until; consumed++) {
      const record = stream[consumed]!;
      if (record.bill) bills.push(record.bill);
      newest = Math.max(newest ?? record.at, record.at);
    }
    await spendLedger.recordSpend(bills);
    if (newest !== undefined) await spendLedger.recordWatermark(BENCH_SHARD, newest);
  };
  const consumerTimer = setInterval(() => void consume(consumerLagMs), 50);
  const ledger = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const p = (name: string) => url.searchParams.get(name) ?? '';
      const answer = (body: unknown) => res.end(JSON.stringify(body));
      if (url.pathname === '/records') {
        const arrivedAt = Date.now();
        for (const r of JSON.parse(Buffer.concat(chunks).toString()) as StreamRecord[]) stream.push({ ...r, arrivedAt });
        answer({});
      } else if (url.pathname === '/spend') void spendLedger.getSpend(p('campaign'), p('day')).then(answer);
      else if (url.pathname === '/covered') void spendLedger.coveredUntil([BENCH_SHARD]).then((t) => answer({ coveredUntil: t ?? null }));
      else if (url.pathname === '/open') void spendLedger.openCampaignDay(p('campaign'), p('day'), p('by')).then((opening) => answer({ opening }));
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => ledger.listen(0, '127.0.0.1', r));
  const ledgerUrl = `http://127.0.0.1:${(ledger.address() as AddressInfo).port}`;

  const redis = await startRedis({ port: 0 });
  const day = new Date().toISOString().slice(0, 10);
  const start = Date.now();
  const onBidderMessage = (m: unknown) => {
    const init = (m as { initialised?: { campaignDay: string; committed: number } }).initialised;
    if (init) console.log(`  t=${((Date.now() - start) / 1000).toFixed(1)}s ${init.campaignDay} initialised, committed $${(init.committed / 1e9).toFixed(4)}`);
  };

  const basePort = 51_000 + (process.pid % 1000) * 4;
  const bidders: Array<{ port: number; child: ChildProcess; alive: boolean }> = [];
  for (let i = 0; i < 4; i++) {
    const child = await startChild(['--serve-bidder', String(basePort + i), String(redis.port), ledgerUrl, String(i)]);
    child.on('message', onBidderMessage);
    bidders.push({ port: basePort + i, child, alive: true });
  }
  console.log(
    `bench:budget — 4 bidders, ${CAMPAIGNS.length} campaigns, ${seconds}s max, ${rps} req/s; spend consumer ${consumerLagMs} ms behind; SIGKILL bidder 4 at ${seconds / 4}s, Redis restart at ${seconds / 2}s`,
  );

  const agent = new Agent({ connections: 64 });
  let seq = 0;
  let bills = 0;
  let billsElsewhere = 0;
  let requests = 0;
  let lastBillAt = Date.now();
  const end = start + seconds * 1000;
  let killed = false;
  let restarted = false;

  const one = async (): Promise<void> => {
    const alive = bidders.filter((b) => b.alive);
    const b = alive[seq % alive.length]!;
    const id = `r${++seq}`;
    const body = JSON.stringify({ id, at: 1, tmax: 200, cur: ['USD'], imp: [{ id: '1', bidfloor: 0.1, banner: { w: 300, h: 250 } }], site: { domain: 'pub.example' }, user: { id: `u${seq}` } });
    requests++;
    try {
      const res = await undiciRequest(`http://127.0.0.1:${b.port}/openrtb2/auction`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-exchange-key': KEY }, dispatcher: agent });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return;
      }
      const response = (await res.body.json()) as BidResponse;
      for (const sb of response.seatbid ?? []) {
        for (const bid of sb.bid) {
          const values = { auctionId: id, bidId: bid.id, impId: bid.impid, seatId: sb.seat ?? '', priceMicros: Math.round(bid.price * 1e6), currency: 'USD' };
          for (const url of [bid.nurl!, bid.burl!]) {
            // As behind an ALB: each notice lands on a random (live) bidder, usually not the one that bid.
            const live = bidders.filter((x) => x.alive);
            const to = live[Math.floor(Math.random() * live.length)] ?? b;
            if (url === bid.burl && to !== b) billsElsewhere++;
            const u = substituteMacros(url, values).replace(/^http:\/\/localhost:\d+/, `http://127.0.0.1:${to.port}`);
            const r = await undiciRequest(u, { dispatcher: agent });
            await r.body.dump();
          }
          bills++;
          lastBillAt = Date.now();
        }
      }
    } catch {
      // a killed bidder: the exchange just gets no answer
    }
  };

  const workers = Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      const t = Date.now() - start;
      if (!killed && t > (seconds * 1000) / 4) {
        killed = true;
        bidders[3]!.alive = false;
        bidders[3]!.child.kill('SIGKILL');
        console.log(`  t=${(t / 1000).toFixed(1)}s SIGKILL bidder 4 (bills so far ${bills})`);
      }
      if (!restarted && t > (seconds * 1000) / 2) {
        restarted = true;
        console.log(`  t=${(t / 1000).toFixed(1)}s restarting Redis (bills so far ${bills})`);
        await redis.restart();
      }
      // Stop early once nothing has been billed for a while after both failures (the rebuild after the
      // restart waits for the consumer's lag first).
      if (restarted && Date.now() - lastBillAt > 15_000 + consumerLagMs) return;
      const at = (nextAt += 1000 / rps);
      const wait = at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await one();
    }
  });
  await Promise.all(workers);
  console.log(`  done after ${((Date.now() - start) / 1000).toFixed(1)}s: ${requests} requests, ${bills} billing notices sent (${billsElsewhere} to a bidder other than the one that bid)`);

  for (const b of bidders.filter((x) => x.alive)) b.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  // The consumer catches up: every bill that reached the stream is in the ledger.
  clearInterval(consumerTimer);
  await consume(0);
  let maxOverspendPct = 0;
  let minDeliveryPct = Infinity;
  console.log('campaign     budget($)  committed($)  overspend%  delivery%');
  for (const c of CAMPAIGNS) {
    const budget = c.dailyMinor * NANOS_PER_MINOR;
    const committed = (await spendLedger.getSpend(c.id, day)).amountNanos;
    const over = Math.max(0, ((committed - budget) / budget) * 100);
    const delivery = (committed / budget) * 100;
    maxOverspendPct = Math.max(maxOverspendPct, over);
    minDeliveryPct = Math.min(minDeliveryPct, delivery);
    console.log(`${c.id.padEnd(12)} ${(budget / 1e9).toFixed(4).padStart(9)}  ${(committed / 1e9).toFixed(4).padStart(12)}  ${over.toFixed(3).padStart(10)}  ${delivery.toFixed(3).padStart(9)}`);
  }
  let charged = 0;
  // One impression at a CPM of p micros costs p nanos.
  for (const c of CAMPAIGNS) charged += (await spendLedger.getSpend(c.id, day)).amountNanos / (c.maxBidMinor * 10_000);
  console.log(`  impressions charged to budgets ${charged}; billing notices the exchange sent ${bills}; billed but not charged (refused commits: house cost, never advertiser overspend) ${bills - charged}`);
  ledger.close();
  await redis.stop();
  await agent.close();
  console.log(JSON.stringify({ maxOverspendPct: Number(maxOverspendPct.toFixed(4)), minDeliveryPct: Number(minDeliveryPct.toFixed(4)) }));
  process.exit(0);
}

await main();
