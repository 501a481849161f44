/**
 * Wiring: builds the bidder from its configuration (real adapters unless overridden), starts the
 * background loops and the HTTP server, and knows how to shut down in order.
 *
 *   start:  line-item feed position -> line items (first load must succeed) -> line-item push loop ->
 *           Redis client -> event publisher + stream
 *           heartbeat -> lease manager loop -> frequency sync -> DSP pool (warmed up) -> metrics timer ->
 *           HTTP listen
 *   stop:   stop accepting + drain in-flight requests -> lease manager stop (returns unspent lease
 *           amounts) -> heartbeat stop -> push loop and catalog stop -> flush/close events -> final
 *           metrics flush -> close clients
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Redis } from 'ioredis';
import { createDocumentClient } from '../shared/adapters/dynamodb/client.js';
import { DynamoLineItemSource } from '../shared/adapters/dynamodb/line-item-source.js';
import { DynamoSpendLedger } from '../shared/adapters/dynamodb/spend-ledger.js';
import { createKinesisClient } from '../shared/adapters/kinesis/client.js';
import { KinesisStreamShards } from '../shared/adapters/kinesis/stream-shards.js';
import { WorkerEventPublisher } from '../shared/adapters/kinesis/worker-publisher.js';
import { connectBudgetRedis, createBudgetRedis } from '../shared/adapters/redis/client.js';
import { createLineItemFeedRedis, RedisLineItemChanges } from '../shared/adapters/redis/line-item-changes.js';
import { RedisNoticeClaims } from '../shared/adapters/redis/notice-claims.js';
import { RedisBudgetAllocator } from '../shared/adapters/redis/redis-allocator.js';
import type { DspConfig } from '../shared/bidding/dsp/config.js';
import { budgetSourceFromLedger } from '../shared/budget/ledger-source.js';
import { LeaseManager, type LeaseEvent } from '../shared/budget/lease-manager.js';
import type { LineItemChangeFeed } from '../shared/ports/line-item-changes.js';
import type { LineItemSource } from '../shared/ports/line-item-source.js';
import type { BudgetLedger } from '../shared/ports/spend-ledger.js';
import type { StreamShards } from '../shared/ports/stream-shards.js';
import type { BidderConfig } from './config.js';
import { DspDemand } from './demand.js';
import { loadDspConfigs } from './dsp/config.js';
import { DspPool } from './dsp/fanout.js';
import { dailyBudgetNanos, leasePlans } from './lease-plans.js';
import { NoticeForwarder } from './dsp/notices.js';
import { RedisFrequencyCounter } from './frequency.js';
import { LineItemPush } from './line-item-push.js';
import { LineItemCatalog } from './line-items.js';
import { EmfMetrics, type MetricsSink } from './metrics.js';
import { BidPipeline } from './pipeline.js';
import type { BudgetLeases, DemandSource, EventSink } from './ports.js';
import { createBidderServer, type BidderServer } from './server.js';
import { StreamHeartbeat } from './stream-heartbeat.js';

export interface BidderOverrides {
  lineItemSource?: LineItemSource;
  /** The line-item feed (default: the Redis stream LINE_ITEM_CHANGES_KEY on its own connection). */
  lineItemChanges?: LineItemChangeFeed;
  events?: EventSink & { stats?: () => { buffered: number; dropped: number; failed: number } };
  demand?: DemandSource;
  dsps?: DspConfig[];
  spendLedger?: BudgetLedger;
  streamShards?: StreamShards;
  metrics?: EmfMetrics;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningBidder {
  port: number;
  config: BidderConfig;
  pipeline: BidPipeline;
  leases: LeaseManager;
  catalog: LineItemCatalog;
  /** Undefined when LINE_ITEM_PUSH is off. */
  lineItemPush: LineItemPush | undefined;
  metrics: MetricsSink & { flush(): number };
  server: BidderServer;
  redis: Redis;
  /** Graceful shutdown (idempotent). */
  stop(): Promise<void>;
}

function jsonLog(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level: 'info', msg, ...fields, at: new Date().toISOString() })}\n`);
}

export async function startBidder(config: BidderConfig, overrides: BidderOverrides = {}): Promise<RunningBidder> {
  const log = overrides.log ?? jsonLog;
  const metrics = overrides.metrics ?? new EmfMetrics({ service: 'bidder' });

  const ddb = new DynamoDBClient({});
  const doc = createDocumentClient({});
  const source = overrides.lineItemSource ?? new DynamoLineItemSource({ doc, tableName: config.DEALS_TABLE_NAME });
  const spend = overrides.spendLedger ?? new DynamoSpendLedger({ client: doc, tableName: config.SPEND_TABLE_NAME });

  const catalog = new LineItemCatalog({ source, seat: config.SEAT, metrics, onError: (e) => log('line item refresh failed', { error: String(e) }) });
  // Pushed changes (docs/bidder.md, "Line items by push"): the feed's position is taken before the
  // first load, so nothing committed in between is missed.
  let lineItemPush: LineItemPush | undefined;
  if (config.LINE_ITEM_PUSH) {
    let feed = overrides.lineItemChanges;
    if (!feed) {
      // A connection of its own: a blocking read holds it.
      const feedRedis = createLineItemFeedRedis(config.redisUrl, { maxWaitMs: config.LINE_ITEM_PUSH_WAIT_MS });
      feedRedis.on('error', () => {});
      await connectBudgetRedis(feedRedis, 3_000).catch(() => {});
      feed = new RedisLineItemChanges({ redis: feedRedis, key: config.LINE_ITEM_CHANGES_KEY });
    }
    lineItemPush = new LineItemPush({ feed, catalog, source, metrics, maxWaitMs: config.LINE_ITEM_PUSH_WAIT_MS, log });
    await lineItemPush.markStart();
  }
  await catalog.refresh();
  catalog.start(config.LINE_ITEM_REFRESH_MS);
  lineItemPush?.start();
  log('line items loaded', { count: catalog.snapshot.lineItems.length, campaigns: catalog.snapshot.budgets.size, push: config.LINE_ITEM_PUSH });

  // Budget: Redis allocator + local leases. Fail closed: if Redis is down at start we still serve DSP demand.
  const redis = createBudgetRedis(config.redisUrl);
  redis.on('error', () => {});
  await connectBudgetRedis(redis, 3_000).catch((e) => log('redis not reachable at start; internal line items stay off until it is', { error: String(e) }));
  const allocator = new RedisBudgetAllocator(redis, { replicasToAck: config.REDIS_REPLICAS_TO_ACK });

  const kinesis = createKinesisClient({});
  const stream = config.BID_EVENTS_STREAM.startsWith('arn:') ? { streamArn: config.BID_EVENTS_STREAM } : { streamName: config.BID_EVENTS_STREAM };
  // PutRecords (SDK serialization, signing, socket writes, retries) runs in a worker thread: the main
  // thread only encodes events (shared/adapters/kinesis/worker-publisher.ts). The worker builds its own
  // client from the same SDK environment (region, endpoint, credentials).
  const events =
    overrides.events ?? new WorkerEventPublisher({ ...stream, onError: (error, info) => log('event publish failed', { error: String(error), ...info }) });
  const shards = overrides.streamShards ?? new KinesisStreamShards({ client: kinesis, ...stream });
  const heartbeat = new StreamHeartbeat({
    shards,
    events,
    bidderId: config.bidderId,
    intervalMs: config.STREAM_HEARTBEAT_MS,
    onError: (e) => log('listing stream shards failed', { error: String(e) }),
  });
  heartbeat.start();

  // A campaign-day is (re)initialised from the spend ledger; after a Redis loss only once the spend
  // consumer has caught up with the loss (docs/budget-leases.md, "Restart").
  const budgetSource = budgetSourceFromLedger(
    spend,
    (campaignId) => {
      const b = catalog.snapshot.budgets.get(campaignId);
      return b && { dailyBudget: dailyBudgetNanos(b), pacing: b.pacing };
    },
    { shards, openedBy: config.bidderId, marginMs: config.LEDGER_MARGIN_MS },
  );
  const onLeaseEvent = (e: LeaseEvent) => {
    if (e.type === 'granted') metrics.count('LeaseRefreshes');
    else if (e.type === 'allocator_error') metrics.count('BudgetStoreErrors', 1, { name: 'Operation', value: e.operation });
    else if (e.type === 'exhausted') metrics.count('LeaseExhausted');
    else if (e.type === 'commit_refused') metrics.count('CommitRefusedByAllocator');
    else if (e.type === 'reservations_expired') metrics.count('ReservationsExpired', e.count);
    else if (e.type === 'committed_elsewhere') metrics.count('ReservationsCommittedElsewhere', e.count);
    else if (e.type === 'ledger_behind') metrics.count('RebuildWaitingForLedger');
    else if (e.type === 'budget_amended') metrics.count('BudgetAmended');
    if (process.env.DEBUG_BIDDER) log('lease event', e as unknown as Record<string, unknown>);
    if (e.type === 'initialised') log('campaign-day initialised', { campaignDay: e.campaignDay, committed: e.committed, outstanding: e.outstanding });
    if (e.type === 'budget_amended') log('campaign budget amended', { campaignDay: e.campaignDay, from: e.from, to: e.to, withdrawn: e.withdrawn });
  };
  // Once per campaign and reason: the plans are made on every lease refresh (every 200 ms).
  const reported = new Set<string>();
  const reportUnplannable = (campaignId: string, error: unknown) => {
    const key = `${campaignId}:${String(error)}`;
    if (reported.has(key)) return;
    if (reported.size > 10_000) reported.clear();
    reported.add(key);
    log('campaign skipped: its budget cannot be planned', { campaignId, error: String(error) });
  };
  const leases = new LeaseManager({
    allocator,
    source: budgetSource,
    bidderId: config.bidderId,
    leaseTtlMs: config.LEASE_TTL_MS,
    refreshIntervalMs: config.LEASE_REFRESH_MS,
    reservationTtlMs: config.RESERVATION_TTL_MS,
    campaigns: () => leasePlans(catalog.snapshot.budgets.values(), config.LEASE_BASIS_POINTS, metrics, reportUnplannable),
    onEvent: onLeaseEvent,
  });
  leases.start();

  const frequency = new RedisFrequencyCounter(redis, { metrics });
  frequency.start();

  let pool: DspPool | undefined;
  let demand = overrides.demand;
  if (!demand) {
    pool = new DspPool(overrides.dsps ?? loadDspConfigs());
    demand = new DspDemand(pool, new NoticeForwarder());
    log('dsps configured', { dsps: pool.clients.map((c) => c.id) });
    // Kept-alive connections before the first bid request: a cold burst would time out together.
    log('dsps warmed up', { dsps: await pool.warmUp() });
  }

  // Fail closed: internal line items bid only while the budget store is connected and answering.
  const budget: BudgetLeases = {
    tryReserve: (campaignId, cost, bidId) => leases.tryReserve(campaignId, cost, bidId),
    release: (bidId) => leases.release(bidId),
    commit: (bidId, amount, signed) => leases.commit(bidId, amount, signed),
    reservationOf: (bidId) => leases.reservationOf(bidId),
    get allocatorReachable() {
      return redis.status === 'ready' && leases.allocatorReachable;
    },
  };

  const pipeline = new BidPipeline({
    catalog,
    budget,
    demand,
    events,
    frequency,
    metrics,
    noticeBaseUrl: config.noticeBaseUrl,
    bidderId: config.bidderId,
    ...(config.NOTICE_SIGNING_KEY ? { noticeSigningKey: config.NOTICE_SIGNING_KEY } : {}),
    // Shared by every task: a notice is acted on once whichever tasks it reaches.
    noticeClaims: new RedisNoticeClaims(redis),
    noticeTtlMs: config.NOTICE_TTL_MS,
    defaultTmaxMs: config.DEFAULT_TMAX_MS,
    marginMs: config.TMAX_MARGIN_MS,
    ...(config.EVENT_MAX_LOSERS_PER_IMP !== undefined ? { eventMaxLosersPerImp: config.EVENT_MAX_LOSERS_PER_IMP } : {}),
  });

  let lastDrops = 0;
  const sample = () => {
    const stats = events.stats?.();
    if (stats) {
      metrics.gauge('EventBufferDepth', stats.buffered);
      const drops = stats.dropped + stats.failed;
      if (drops > lastDrops) metrics.count('EventBufferDrops', drops - lastDrops);
      lastDrops = drops;
    }
    if (pool) for (const s of pool.stats()) metrics.gauge(`DspBreakerState_${s.dspId}`, s.breakerStateCode);
    metrics.gauge('BudgetStoreReachable', leases.allocatorReachable ? 1 : 0);
    metrics.gauge('PendingBids', pipeline.pendingCount);
  };
  const metricsTimer = setInterval(() => {
    sample();
    metrics.flush();
  }, config.METRICS_FLUSH_MS);
  metricsTimer.unref();

  const server = createBidderServer({ pipeline, metrics, exchangeKeys: config.EXCHANGE_KEYS, maxBodyBytes: config.MAX_BODY_BYTES, log });
  const port = await server.listen(config.PORT, config.HOST);
  log('bidder listening', { port, bidderId: config.bidderId });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log('shutting down: draining');
      await server.drain(Math.min(config.SHUTDOWN_TIMEOUT_MS, 10_000));
      const { returned } = await leases.stop().catch((e) => {
        log('lease return failed', { error: String(e) });
        return { returned: 0 };
      });
      log('leases returned', { nanos: returned });
      frequency.stop();
      heartbeat.stop();
      await lineItemPush?.stop();
      await catalog.stop();
      await events.close({ deadlineMs: Math.min(5_000, config.SHUTDOWN_TIMEOUT_MS) }).catch(() => {});
      clearInterval(metricsTimer);
      sample();
      metrics.flush();
      await demand.close?.().catch(() => {});
      kinesis.destroy();
      ddb.destroy();
      doc.destroy();
      redis.disconnect();
      log('stopped');
    })());

  return { port, config, pipeline, leases, catalog, lineItemPush, metrics, server, redis, stop };
}
