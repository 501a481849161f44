/**
 * Redis loses its data while the spend consumer is stopped: the bidder must not rebuild the
 * campaign-day (and bid) before the consumer has recorded every bill the lost state accepted, and must
 * rebuild from exactly that spend once it has. Real parts throughout: the bidder in-process, redis-server,
 * kinesalite with 2 shards, the spend consumer (functions/spend) over the local event source mapping,
 * and DynamoDB Local's spend table.
 */
import { vi } from 'vitest';

vi.hoisted(() => {
  // functions/spend/reconcile.ts builds its deployed handler at import; ours gets its ledger passed in.
  process.env.SPEND_TABLE_NAME ??= 'set-per-test';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/spend/reconcile.js';
import { pollStream, type StreamPoller } from '../../../local/kinesis/launch.js';
import { DynamoSpendLedger } from '../../../shared/adapters/dynamodb/spend-ledger.js';
import { RedisBudgetAllocator } from '../../../shared/adapters/redis/redis-allocator.js';
import { substituteMacros } from '../../../shared/bidding/response.js';
import type { BidResponse } from '../../../shared/bidding/openrtb/types.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { CAMPAIGN_ID, EXCHANGE_KEY, SEAT, seedTable, startHarness, today, type Harness } from './harness.js';

const ddb = useDynamoDbLocal();
let h: Harness;
let consumer: StreamPoller | undefined;
const context = { functionName: 'spend', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** The spend consumer, fed the way its event source mapping would feed it (from the stream's start: replays are no-ops). */
async function startConsumer(): Promise<StreamPoller> {
  const ledger = new DynamoSpendLedger({ client: ddb.doc, tableName: ddb.tables.spend });
  const handler = makeHandler({ ledger, logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 't' }) });
  return pollStream({ client: h.kinesisClient, streamName: h.streamName, handler: (e) => handler(e, context), intervalMs: 50 });
}

let n = 0;
/** One first-price banner auction; our bid if the seeded campaign won it. */
async function auction(): Promise<{ bid: NonNullable<BidResponse['seatbid']>[number]['bid'][number]; id: string } | undefined> {
  const id = `loss-${process.pid}-${++n}`;
  const res = await fetch(`${h.url}/openrtb2/auction`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-exchange-key': EXCHANGE_KEY },
    body: JSON.stringify({ id, at: 1, tmax: 120, cur: ['USD'], imp: [{ id: '1', bidfloor: 0.2, banner: { w: 300, h: 250 } }], user: { id: `u-${id}` } }),
  });
  const text = await res.text();
  if (res.status !== 200) return undefined;
  const seatbid = (JSON.parse(text) as BidResponse).seatbid?.find((s) => s.seat === SEAT);
  return seatbid ? { bid: seatbid.bid[0]!, id } : undefined;
}

async function bill(won: { bid: { id: string; impid: string; price: number; burl?: string }; id: string }): Promise<void> {
  const url = substituteMacros(won.bid.burl!, { auctionId: won.id, bidId: won.bid.id, impId: won.bid.impid, seatId: SEAT, priceMicros: Math.round(won.bid.price * 1e6), currency: 'USD' });
  const res = await fetch(url.replace('http://bidder.test', h.url));
  await res.arrayBuffer();
}

/** Auctions until our campaign bids (undefined if it did not before the deadline). */
async function untilWeBid(timeoutMs: number): Promise<Awaited<ReturnType<typeof auction>>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const won = await auction();
    if (won) return won;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

async function allocatorState() {
  return new RedisBudgetAllocator(h.bidder.redis).state(`${CAMPAIGN_ID}/${today()}`);
}

async function recordedSpend(): Promise<number> {
  return (await new DynamoSpendLedger({ client: ddb.doc, tableName: ddb.tables.spend }).getSpend(CAMPAIGN_ID, today())).amountNanos;
}

beforeAll(async () => {
  await seedTable(ddb.doc, ddb.tables.deals);
  h = await startHarness(ddb.endpoint, ddb.tables, { LEDGER_MARGIN_MS: '500', STREAM_HEARTBEAT_MS: '200', RESERVATION_TTL_MS: '1500' }, { shards: 2 });
  consumer = await startConsumer();
}, 60_000);

afterAll(async () => {
  await consumer?.stop();
  await h?.stop();
});

describe('Redis loses its data while the spend consumer lags', () => {
  it('no rebuild (no internal bid) until the consumer covers the loss, then a rebuild from exactly the recorded spend', async () => {
    // Prepare: spend before the loss, recorded by the consumer.
    for (let i = 0; i < 5; i++) {
      const won = await untilWeBid(10_000);
      expect(won).toBeDefined();
      await bill(won!);
    }
    const committedBefore = (await allocatorState())!.committed;
    // The bill events reach the stream within the publisher's flush interval, then the consumer.
    await expect.poll(recordedSpend, { timeout: 10_000, interval: 100 }).toBe(committedBefore);
    expect(committedBefore).toBeGreaterThan(0);

    // Act 1: the consumer stops, Redis restarts empty.
    await consumer!.stop();
    consumer = undefined;
    await h.redis.restart();
    // Assess 1: once the leases granted before the loss have expired (LEASE_TTL_MS 3 s in the
    // harness), and well past the margin, the day stays unbuilt and we do not bid (fail closed).
    await new Promise((r) => setTimeout(r, 3_500));
    const whileBehind = await untilWeBid(3_000);
    expect(whileBehind).toBeUndefined();
    expect(await allocatorState()).toBeUndefined();

    // Act 2: the consumer resumes (heartbeats keep both shards' watermarks moving).
    consumer = await startConsumer();
    const after = await untilWeBid(15_000);

    // Assess 2: rebuilt from the recorded spend, and bidding again.
    expect(after).toBeDefined();
    const rebuilt = (await allocatorState())!;
    expect(rebuilt.committed).toBe(committedBefore); // nothing billed since
  }, 60_000);
});
