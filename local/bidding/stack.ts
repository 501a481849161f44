/**
 * The bidding half of the local stack: Redis (apt's redis-server on loopback), kinesalite with the
 * bid-events stream, the spend consumer (functions/spend/reconcile.ts) fed by a local event source
 * mapping (pollStream), a fleet of simulated DSPs, and the bidder itself as a child process running
 * bidder/main.ts under tsx (its own event loop, like its container), configured through the same
 * environment variables as its ECS task definition (bidder/config.ts).
 *
 * Stop order: bidder (SIGTERM: drains, returns leases, flushes events) → poller (after catching up
 * with what the bidder flushed) → DSPs → kinesalite → Redis. The caller stops the API side after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoSpendLedger } from '../../shared/adapters/dynamodb/spend-ledger.js';
import type { CfnTemplate } from '../apigw/cfn.js';
import { startDspFleet, DEFAULT_FLEET, type FleetMember } from '../dsp-sim/index.js';
import { localClientConfig } from '../dynamodb/launch.js';
import { ensureStream, localKinesisClient, pollStream, startKinesalite } from '../kinesis/launch.js';
import { freePort, startRedis } from '../redis/launch.js';

/** Stream name when no synthesized template declares an AWS::Kinesis::Stream. */
export const DEFAULT_BID_EVENTS_STREAM = 'dealdesk-bid-events';
/** The header bidder/server.ts reads the exchange key from. */
export const EXCHANGE_KEY_HEADER = 'x-exchange-key';
export const LOCAL_EXCHANGE_ID = 'local-exchange';
export const AUCTION_PATH = '/openrtb2/auction';

export interface DspFleetOptions {
  /** Number of simulated DSPs. @default 5 */
  count?: number;
  /** Latencies spread over this range, ms (DSP i gets the i-th slice). @default 10-90 */
  latencyMs?: { min: number; max: number };
  /** Share of imps each DSP bids on. @default 0.5-0.7 per DSP */
  bidRate?: number;
  /** Share of requests answered 500. @default 0.02 on one DSP */
  errorRate?: number;
  /** Share of requests that time out. @default 0.05/0.1 on the two slowest */
  timeoutRate?: number;
}

export interface StartBiddingOptions {
  templates: { name: string; template: CfnTemplate }[];
  /** Table logical id → local name (from the templates). */
  tables: Record<string, string>;
  dynamodbEndpoint: string;
  region: string;
  /** Bidder port on 127.0.0.1; 0 = a free one. @default 0 */
  bidderPort?: number;
  dsps?: DspFleetOptions;
  /** Bidder output (stderr JSON logs + EMF): a file, 'inherit' or 'ignore'. */
  bidderLogs: string | 'inherit' | 'ignore';
  /** How often the bidder reloads line items, ms. @default 5000 */
  lineItemRefreshMs?: number;
  log?: (line: string) => void;
}

export interface BiddingDescriptor {
  bidderUrl: string;
  bidderEndpoint: string;
  bidderHeaders: Record<string, string>;
  exchangeKeyHeader: string;
  exchangeKey: string;
  redisUrl: string;
  kinesisEndpoint: string;
  bidEventsStream: string;
  spendTable: string;
  dsps: { id: string; endpoint: string; timeoutMs: number; maxQps: number; seat?: string }[];
  bidderLogs: string;
  bidderPid: number;
}

export interface LocalBidding {
  descriptor: BiddingDescriptor;
  /** Resolves once the spend poller has read every shard to its end (tests). */
  spendCaughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The bid-events stream: name and shard count from the synthesized template, else the default. */
export function bidEventsStreamFrom(templates: { name: string; template: CfnTemplate }[]): { name: string; shards: number } {
  for (const { name: stackName, template } of templates) {
    for (const [logicalId, res] of Object.entries(template.Resources ?? {})) {
      if (res.Type !== 'AWS::Kinesis::Stream') continue;
      const props = (res.Properties ?? {}) as { Name?: unknown; ShardCount?: unknown };
      const shards = typeof props.ShardCount === 'number' && props.ShardCount > 0 ? Math.min(props.ShardCount, 4) : 2;
      // An unnamed stream gets a generated physical name in AWS; locally <stack>-<logicalId>.
      return { name: typeof props.Name === 'string' ? props.Name : `${stackName}-${logicalId}`, shards };
    }
  }
  return { name: DEFAULT_BID_EVENTS_STREAM, shards: 2 };
}

function tableOf(tables: Record<string, string>, prefix: string): string | undefined {
  return Object.entries(tables).find(([id]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id))?.[1];
}

/** The DSP fleet: DEFAULT_FLEET unless options ask for another shape. */
export function fleetMembers(o: DspFleetOptions = {}): FleetMember[] {
  if (o.count === undefined && !o.latencyMs && o.bidRate === undefined && o.errorRate === undefined && o.timeoutRate === undefined) {
    return [...DEFAULT_FLEET];
  }
  const count = o.count ?? 5;
  const { min, max } = o.latencyMs ?? { min: 10, max: 90 };
  const step = count > 0 ? (max - min) / count : 0;
  return Array.from({ length: count }, (_, i) => {
    const letter = String.fromCharCode(97 + (i % 26));
    const suffix = i >= 26 ? String(Math.floor(i / 26)) : '';
    const base = DEFAULT_FLEET[i % DEFAULT_FLEET.length]!;
    const m: FleetMember = {
      id: `sim-dsp-${letter}${suffix}`,
      seat: `seat-${letter}${suffix}`,
      latency: { minMs: Math.round(min + i * step), maxMs: Math.round(min + (i + 1) * step) },
      bidRate: o.bidRate ?? base.bidRate ?? 0.6,
      errorRate: o.errorRate ?? base.errorRate ?? 0,
      timeoutRate: o.timeoutRate ?? base.timeoutRate ?? 0,
      adomain: [`${letter}${suffix}-brand.example`],
      seed: 11 + i,
    };
    if (base.timeoutMode) m.timeoutMode = base.timeoutMode;
    return m;
  });
}

export async function startBidding(options: StartBiddingOptions): Promise<LocalBidding> {
  const log = options.log ?? (() => {});
  const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
  const stopAll = async (): Promise<void> => {
    while (cleanups.length) {
      const { name, fn } = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        log(`stopping ${name} failed: ${(err as Error).message}`);
      }
    }
  };
  try {
    const t0 = Date.now();
    const stream = bidEventsStreamFrom(options.templates);
    const dealsTable = tableOf(options.tables, 'Deals');
    if (!dealsTable) throw new Error(`no Deals table among ${Object.keys(options.tables).join(', ')}`);
    const spendTable = tableOf(options.tables, 'Spend');
    if (!spendTable) throw new Error(`no Spend table among ${Object.keys(options.tables).join(', ')}`);

    // Redis, kinesalite and the DSP fleet are independent: start them together.
    const [r, k, f] = await Promise.allSettled([
      startRedis({ port: 0 }),
      startKinesalite({ port: 0 }),
      startDspFleet(fleetMembers(options.dsps)),
    ]);
    if (r.status === 'fulfilled') cleanups.push({ name: 'Redis', fn: () => r.value.stop() });
    if (k.status === 'fulfilled') cleanups.push({ name: 'kinesalite', fn: () => k.value.stop() });
    if (f.status === 'fulfilled') cleanups.push({ name: 'DSPs', fn: () => f.value.stop() });
    for (const s of [r, k, f]) if (s.status === 'rejected') throw s.reason;
    const redis = (r as PromiseFulfilledResult<Awaited<ReturnType<typeof startRedis>>>).value;
    const kinesis = (k as PromiseFulfilledResult<Awaited<ReturnType<typeof startKinesalite>>>).value;
    const fleet = (f as PromiseFulfilledResult<Awaited<ReturnType<typeof startDspFleet>>>).value;
    const kinesisClient = localKinesisClient(kinesis.endpoint);
    cleanups.push({ name: 'kinesis client', fn: () => kinesisClient.destroy() });
    await ensureStream(kinesisClient, stream.name, stream.shards);
    log(`Redis ${redis.url}, kinesalite ${kinesis.endpoint} (stream ${stream.name}, ${stream.shards} shards), ${fleet.dsps.length} DSPs (${Date.now() - t0} ms)`);

    // The spend consumer, fed the way its event source mapping would feed it.
    const doc = createDocumentClient(localClientConfig(options.dynamodbEndpoint));
    cleanups.push({ name: 'spend ledger client', fn: () => doc.destroy() });
    const ledger = new DynamoSpendLedger({ client: doc, tableName: spendTable });
    const previous = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = new Metrics({ namespace: 'dealdesk-local', serviceName: 'spend-reconcile' });
    if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previous;
    const { makeHandler } = await importSpendConsumer(spendTable);
    const handler = makeHandler({ ledger, logger: new Logger({ serviceName: 'spend-reconcile', logLevel: 'SILENT' }), metrics });
    const context = {
      functionName: 'spend-reconcile-local',
      functionVersion: '$LATEST',
      awsRequestId: 'local',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;
    const poller = await pollStream({
      client: kinesisClient,
      streamName: stream.name,
      handler: (event) => handler(event, context),
      intervalMs: 200,
      onError: (e) => log(`spend consumer: ${String(e)}`),
      onDiscard: (records, reason) => log(`spend consumer discarded ${records.length} record(s): ${reason}`),
    });
    cleanups.push({
      name: 'spend poller',
      fn: async () => {
        await poller.caughtUp(3_000).catch(() => {});
        await poller.stop();
      },
    });
    const spendCaughtUp = (timeoutMs?: number) => poller.caughtUp(timeoutMs);

    // The bidder, as its container would run it.
    const exchangeKey = `local-${randomBytes(18).toString('base64url')}`;
    const port = options.bidderPort || (await freePort());
    const bidderUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'development',
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: options.dynamodbEndpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
      PORT: String(port),
      HOST: '127.0.0.1',
      NOTICE_BASE_URL: bidderUrl,
      BIDDER_ID: `local-${port}`,
      DEALS_TABLE_NAME: dealsTable,
      SPEND_TABLE_NAME: spendTable,
      BID_EVENTS_STREAM: stream.name,
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      EXCHANGE_KEYS: JSON.stringify({ [LOCAL_EXCHANGE_ID]: exchangeKey }),
      DEALDESK_DSPS: JSON.stringify(fleet.configs),
      LINE_ITEM_REFRESH_MS: String(options.lineItemRefreshMs ?? 5_000),
      METRICS_FLUSH_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: '5000',
    };
    const t1 = Date.now();
    const bidder = await spawnBidder(env, options.bidderLogs);
    cleanups.push({ name: 'bidder', fn: () => bidder.stop() });
    log(`bidder at ${bidderUrl} (pid ${bidder.pid}, ${Date.now() - t1} ms)`);

    return {
      descriptor: {
        bidderUrl,
        bidderEndpoint: `${bidderUrl}${AUCTION_PATH}`,
        bidderHeaders: { 'content-type': 'application/json', 'x-openrtb-version': '2.6', [EXCHANGE_KEY_HEADER]: exchangeKey },
        exchangeKeyHeader: EXCHANGE_KEY_HEADER,
        exchangeKey,
        redisUrl: redis.url,
        kinesisEndpoint: kinesis.endpoint,
        bidEventsStream: stream.name,
        spendTable,
        dsps: fleet.configs,
        bidderLogs: bidder.logs,
        bidderPid: bidder.pid,
      },
      spendCaughtUp: (timeoutMs) => spendCaughtUp(timeoutMs),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * functions/spend/reconcile.ts builds its deployed handler at import time from SPEND_TABLE_NAME (the
 * Lambda's environment); give it the local table name for the import. Only makeHandler is used here.
 */
async function importSpendConsumer(spendTable: string): Promise<typeof import('../../functions/spend/reconcile.js')> {
  const previous = process.env.SPEND_TABLE_NAME;
  process.env.SPEND_TABLE_NAME ??= spendTable;
  try {
    return await import('../../functions/spend/reconcile.js');
  } finally {
    if (previous === undefined) delete process.env.SPEND_TABLE_NAME;
  }
}

const BIDDER_MAIN = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'bidder', 'main.ts');
const liveBidders = new Set<ChildProcess>();
let exitHook = false;

async function spawnBidder(env: Record<string, string>, logs: string | 'inherit' | 'ignore'): Promise<{ pid: number; logs: string; stop(): Promise<void> }> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of liveBidders) c.kill('SIGKILL');
    });
  }
  let sink: WriteStream | undefined;
  const label = logs;
  if (logs !== 'inherit' && logs !== 'ignore') {
    mkdirSync(dirname(logs), { recursive: true });
    sink = createWriteStream(logs, { flags: 'w' });
  }
  const repoRoot = join(dirname(BIDDER_MAIN), '..');
  const child = spawn(process.execPath, ['--import', 'tsx', BIDDER_MAIN], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveBidders.add(child);
  // Watchdog: if this process dies, even by SIGKILL, the pipe closes and the bidder is killed, so no
  // orphaned bidder keeps the port (same trick as local/redis/launch.ts).
  const watchdog = spawn('sh', ['-c', `cat >/dev/null; kill -9 ${child.pid} 2>/dev/null`], { stdio: ['pipe', 'ignore', 'ignore'] });
  liveBidders.add(watchdog);
  const tail: string[] = [];
  let onLine: ((line: string) => void) | undefined;
  const handle = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (sink) sink.write(`${line}\n`);
    else if (logs === 'inherit') console.log(`[bidder] ${line}`);
    onLine?.(line);
  };
  createInterface({ input: child.stdout! }).on('line', handle);
  createInterface({ input: child.stderr! }).on('line', handle);
  let exited = false;
  const exitedP = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      liveBidders.delete(child);
      watchdog.kill('SIGKILL'); // before its `cat` sees EOF and runs its kill
      watchdog.stdin?.destroy();
      liveBidders.delete(watchdog);
      resolve(code);
    }),
  );
  const closeSink = () => (sink ? new Promise<void>((r) => sink!.end(() => r())) : Promise.resolve());
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bidder did not start within 60 s:\n${tail.join('\n')}`)), 60_000);
      onLine = (line) => {
        if (line.includes('"bidder listening"')) {
          clearTimeout(timer);
          onLine = undefined;
          resolve();
        }
      };
      void exitedP.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the bidder exited (${code}) on start:\n${tail.join('\n')}`));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    await closeSink();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    logs: label,
    stop: () =>
      (stopping ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exitedP;
          clearTimeout(hard);
        }
        await closeSink();
      })()),
  };
}
