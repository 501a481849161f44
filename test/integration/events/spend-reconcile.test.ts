/**
 * Spend reconciliation against DynamoDB Local (the DataStack's spend table, created from its template)
 * and, end to end, from the publisher through kinesalite and a local event source mapping.
 */
import { vi } from 'vitest';

vi.hoisted(() => {
  process.env.SPEND_TABLE_NAME ??= 'set-per-test';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/spend/reconcile.js';
import { DynamoSpendLedger } from '../../../shared/adapters/dynamodb/spend-ledger.js';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { StreamHeartbeat } from '../../../bidder/stream-heartbeat.js';
import { BufferedEventPublisher } from '../../../shared/adapters/kinesis/buffered-publisher.js';
import { KinesisStreamShards } from '../../../shared/adapters/kinesis/stream-shards.js';
import { decodeBase64Event } from '../../../shared/events/index.js';
import type { SpendEntry } from '../../../shared/ports/spend-ledger.js';
import { DataStack } from '../../../infra/stacks/data-stack.js';
import { ensureStream, localKinesisClient, pollStream, readStream, startKinesalite } from '../../../local/kinesis/launch.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { auctionEvent, billEvent, kinesisRecord, lossEvent } from '../../unit/events/fixtures.js';

const ddb = useDynamoDbLocal();
let spendTable: string;

beforeAll(() => {
  const stack = new DataStack(new App(), 'Data');
  // DynamoDB Local tables are named by their logical ids (local/dynamodb/tables.ts).
  spendTable = Stack.of(stack).getLogicalId(stack.spendTable.node.defaultChild as CfnResource);
});

const context = { functionName: 'spend', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
let run = 0;
const uid = () => `${Date.now().toString(36)}-${(run += 1)}`;


function consumer() {
  const ledger = new DynamoSpendLedger({ client: ddb.doc, tableName: spendTable });
  const handler = makeHandler({ ledger, logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 't' }) });
  return { ledger, handler };
}

describe('DynamoSpendLedger', () => {
  it('adds each event once per campaign-day, across calls, chunks and repeats within a call', async () => {
    // Prepare: 250 events for one campaign-day (3 transactions), some of them already recorded
    const { ledger } = consumer();
    const campaignId = `cmp-${uid()}`;
    const day = '2026-11-22';
    const entries: SpendEntry[] = Array.from({ length: 250 }, (_, i) => ({ campaignId, day, amountNanos: 1_000 + i, eventId: `bill:${campaignId}-${i}` }));
    const expected = entries.reduce((s, e) => s + e.amountNanos, 0);
    // Act
    const first = await ledger.recordSpend(entries.filter((_, i) => i % 7 === 0));
    const second = await ledger.recordSpend([...entries, entries[3]!]);
    const replay = await ledger.recordSpend(entries);
    // Assess
    expect(first).toEqual({ recorded: 36, duplicates: 0 });
    expect(second).toEqual({ recorded: 214, duplicates: 37 });
    expect(replay).toEqual({ recorded: 0, duplicates: 250 });
    expect(await ledger.getSpend(campaignId, day)).toEqual({ campaignId, day, amountNanos: expected, events: 250 });
  });

  it('stores the day total at DAY#<day> and one marker per event at EVENT#<id> under CAMPAIGN#<id>', async () => {
    const { ledger } = consumer();
    const campaignId = `cmp-${uid()}`;
    await ledger.recordSpend([
      { campaignId, day: '2026-11-22', amountNanos: 5, eventId: 'bill:x1' },
      { campaignId, day: '2026-11-23', amountNanos: 7, eventId: 'bill:x2' },
    ]);
    const items = await ddb.doc.send(new QueryCommand({ TableName: spendTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}` } }));
    expect(items.Items?.map((i) => i.sk).sort()).toEqual(['DAY#2026-11-22', 'DAY#2026-11-23', 'EVENT#bill:x1', 'EVENT#bill:x2']);
    const marker = items.Items!.find((i) => i.sk === 'EVENT#bill:x1')!;
    expect(marker.expiresAt).toBeGreaterThan(Date.now() / 1000 + 30 * 86_400);
    expect(items.Items!.find((i) => i.sk === 'DAY#2026-11-22')!.expiresAt).toBeUndefined();
    expect(await ledger.getSpend(campaignId, '2026-11-21')).toMatchObject({ amountNanos: 0, events: 0 });
  });

  it('concurrent writers of one campaign-day still count each event once', async () => {
    const { ledger } = consumer();
    const campaignId = `cmp-${uid()}`;
    const day = '2026-11-22';
    const entries: SpendEntry[] = Array.from({ length: 60 }, (_, i) => ({ campaignId, day, amountNanos: 10, eventId: `bill:${campaignId}-${i}` }));
    await Promise.all([ledger.recordSpend(entries), ledger.recordSpend(entries.slice(20)), ledger.recordSpend(entries.slice(0, 40))]);
    expect(await ledger.getSpend(campaignId, day)).toMatchObject({ amountNanos: 600, events: 60 });
  });
});

describe('spend reconciliation handler on DynamoDB Local', () => {
  it('replaying the same Kinesis batch yields the same totals (exactly-once effect)', async () => {
    // Prepare
    const { ledger, handler } = consumer();
    const c1 = `cmp-${uid()}`;
    const c2 = `cmp-${uid()}`;
    const day = '2026-11-22';
    const event: KinesisStreamEvent = {
      Records: [
        kinesisRecord(auctionEvent()),
        ...Array.from({ length: 120 }, (_, i) => kinesisRecord(billEvent(`${c1}-b${i}`, { campaignId: c1, day, costNanos: 2_500 }))),
        kinesisRecord(billEvent(`${c1}-b0`, { campaignId: c1, day, costNanos: 2_500 })), // second burl call for one bid
        kinesisRecord(billEvent(`${c2}-b1`, { campaignId: c2, day, costNanos: 1_000_000 })),
        kinesisRecord(lossEvent(`${c2}-b2`)),
      ],
    };
    // Act
    const first = await handler(event, context);
    const after1 = [await ledger.getSpend(c1, day), await ledger.getSpend(c2, day)];
    const replay = await handler(event, context);
    const after2 = [await ledger.getSpend(c1, day), await ledger.getSpend(c2, day)];
    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(replay.batchItemFailures).toEqual([]);
    expect(after1).toEqual([
      { campaignId: c1, day, amountNanos: 120 * 2_500, events: 120 },
      { campaignId: c2, day, amountNanos: 1_000_000, events: 1 },
    ]);
    expect(after2).toEqual(after1);
  });

  it('reports a poison record in batchItemFailures while the others are recorded', async () => {
    // Prepare
    const { ledger, handler } = consumer();
    const c = `cmp-${uid()}`;
    const day = '2026-11-22';
    const poison = kinesisRecord('\u0000garbage');
    const event: KinesisStreamEvent = {
      Records: [kinesisRecord(billEvent(`${c}-1`, { campaignId: c, day, costNanos: 100 })), poison, kinesisRecord(billEvent(`${c}-2`, { campaignId: c, day, costNanos: 200 }))],
    };
    // Act
    const response = await handler(event, context);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.kinesis.sequenceNumber }]);
    expect(await ledger.getSpend(c, day)).toMatchObject({ amountNanos: 300, events: 2 });
  });

  it('end to end: publisher → kinesalite → local event source mapping → handler → ledger; a poison record is discarded after retries', async () => {
    // Prepare
    const kinesis = await startKinesalite();
    const client = localKinesisClient(kinesis.endpoint);
    try {
      const { streamName } = await ensureStream(client, 'bid-events', 2);
      const { ledger, handler } = consumer();
      const c = `cmp-${uid()}`;
      const day = '2026-11-22';
      const publisher = new BufferedEventPublisher({ client, streamName });
      for (let i = 0; i < 300; i += 1) publisher.publish(billEvent(`${c}-${i}`, { campaignId: c, day, costNanos: 10 }, { advertiser: i % 2 ? 'a.example' : 'b.example' }));
      publisher.publish(billEvent(`${c}-0`, { campaignId: c, day, costNanos: 10 })); // duplicate notice
      for (let i = 0; i < 50; i += 1) publisher.publish(auctionEvent());
      // a poison record, written around the publisher
      const poisonPublisher = new BufferedEventPublisher({
        client,
        streamName,
        encode: () => new TextEncoder().encode('not json'),
        partitionKey: () => 'a.example',
      });
      poisonPublisher.publish(auctionEvent());
      await Promise.all([publisher.close(), poisonPublisher.close()]);
      const discarded: KinesisStreamRecord[] = [];
      // Act
      const poller = await pollStream({
        client,
        streamName,
        handler: (e) => handler(e, context),
        batchSize: 100,
        intervalMs: 20,
        maxRetryAttempts: 2,
        onDiscard: (records) => discarded.push(...records),
      });
      await poller.caughtUp(30_000);
      await poller.stop();
      // Assess
      expect(await ledger.getSpend(c, day)).toMatchObject({ amountNanos: 3_000, events: 300 });
      expect(discarded.map((r) => Buffer.from(r.kinesis.data, 'base64').toString())).toEqual(['not json']);
      expect(poller.stats.retries).toBe(2);
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  });
});

describe('consumer watermark on DynamoDB Local', () => {
  const watermarkOf = async (shard: string) =>
    (await ddb.doc.send(new GetCommand({ TableName: spendTable, Key: { pk: 'CONSUMER#spend', sk: `SHARD#${shard}` }, ConsistentRead: true }))).Item;

  it('recordWatermark is monotonic per shard, and coveredUntil is the minimum over shards', async () => {
    // Prepare
    const { ledger } = consumer();
    const a = `shard-a-${uid()}`;
    const b = `shard-b-${uid()}`;
    // Act
    await ledger.recordWatermark(a, 2_000);
    await ledger.recordWatermark(a, 1_000); // older: ignored
    await ledger.recordWatermark(b, 1_500);
    await ledger.recordWatermark(b, 1_500); // same: ignored
    // Assess
    expect((await watermarkOf(a))?.watermarkMs).toBe(2_000);
    expect((await watermarkOf(b))?.watermarkMs).toBe(1_500);
    expect(await ledger.coveredUntil([a, b])).toBe(1_500);
    expect(await ledger.coveredUntil([a])).toBe(2_000);
    expect(await ledger.coveredUntil([a, b, `shard-never-${uid()}`])).toBeUndefined(); // an unread shard proves nothing
    expect(await ledger.coveredUntil([])).toBeUndefined();
  });

  it('openCampaignDay: exactly one opener among concurrent callers; spend recorded later keeps the opening', async () => {
    // Prepare
    const { ledger } = consumer();
    const campaignId = `cmp-${uid()}`;
    // Act
    const openings = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.openCampaignDay(campaignId, '2026-11-22', `bidder-${i}`)));
    await ledger.recordSpend([{ campaignId, day: '2026-11-22', amountNanos: 7, eventId: `bill:${uid()}` }]);
    // Assess
    expect(openings.filter((o) => o === 'opened')).toHaveLength(1);
    expect(await ledger.openCampaignDay(campaignId, '2026-11-22', 'bidder-x')).toBe('already_open');
    const item = (await ddb.doc.send(new GetCommand({ TableName: spendTable, Key: { pk: `CAMPAIGN#${campaignId}`, sk: 'DAY#2026-11-22' }, ConsistentRead: true }))).Item;
    expect(item).toMatchObject({ openedBy: expect.stringMatching(/^bidder-\d$/), amountNanos: 7, events: 1 });
  });

  it('the handler advances the shard watermark to the newest event time before the first failed record', async () => {
    // Prepare
    const { ledger, handler } = consumer();
    const c1 = `cmp-${uid()}`;
    const day = '2026-11-22';
    const okShard = `shardId-ok-${uid()}`;
    const badShard = `shardId-bad-${uid()}`;
    const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, s)).toISOString();
    const event: KinesisStreamEvent = {
      Records: [
        kinesisRecord(billEvent(`${c1}-b1`, { campaignId: c1, day, costNanos: 100 }, { at: t(1) }), okShard),
        kinesisRecord(auctionEvent({ at: t(5) }), okShard),
        kinesisRecord(billEvent(`${c1}-b2`, { campaignId: c1, day, costNanos: 100 }, { at: t(3) }), okShard),
      ],
    };
    const poisoned: KinesisStreamEvent = {
      Records: [kinesisRecord(auctionEvent({ at: t(10) }), badShard), kinesisRecord('not json', badShard), kinesisRecord(auctionEvent({ at: t(20) }), badShard)],
    };
    // Act
    const r1 = await handler(event, context);
    const r2 = await handler(poisoned, context);
    // Assess
    expect(r1.batchItemFailures).toEqual([]);
    expect(r2.batchItemFailures).toHaveLength(1);
    // Keyed by stream and shard: Kinesis reuses shard ids across streams.
    expect((await watermarkOf(`bid-events/${okShard}`))?.watermarkMs).toBe(Date.parse(t(5)));
    expect((await watermarkOf(`bid-events/${badShard}`))?.watermarkMs).toBe(Date.parse(t(10)));
    expect(await watermarkOf(okShard)).toBeUndefined();
    expect(await ledger.getSpend(c1, day)).toMatchObject({ amountNanos: 200, events: 2 });
  });
});

describe('stream heartbeats keep every shard watermark moving', () => {
  it('one heartbeat per open shard lands on that shard, and the consumer then covers the whole stream', async () => {
    // Prepare: a 3-shard stream on which the only other events share one advertiser (so one shard).
    const kinesis = await startKinesalite();
    const client = localKinesisClient(kinesis.endpoint);
    try {
      const { streamName } = await ensureStream(client, `hb-${uid()}`, 3);
      const { ledger, handler } = consumer();
      const shards = new KinesisStreamShards({ client, streamName });
      const publisher = new BufferedEventPublisher({ client, streamName });
      for (let i = 0; i < 20; i += 1) publisher.publish(auctionEvent({ advertiser: 'only.example' }));
      await publisher.flush();
      const open = (await shards.openShards()).map((s) => s.key);
      const beforeHeartbeats = await consumeAll(client, streamName, handler);
      const withoutHeartbeats = await ledger.coveredUntil(open);
      // Act
      const heartbeat = new StreamHeartbeat({ shards, events: publisher, bidderId: 'task-1', intervalMs: 60_000 });
      const sent = await heartbeat.beat();
      await publisher.close();
      const records = await readStream(client, streamName);
      await consumeAll(client, streamName, handler);
      // Assess
      expect(open).toHaveLength(3);
      expect(beforeHeartbeats).toBeGreaterThan(0);
      expect(withoutHeartbeats).toBeUndefined(); // two shards never saw a record: nothing proven
      expect(sent).toBe(3);
      const beats = records.map((r) => ({ shard: r.eventID.split(':')[0], event: decodeBase64Event(r.kinesis.data) })).filter((r) => r.event.type === 'stream.heartbeat');
      expect(beats.map((b) => `${streamName}/${b.shard}`).sort()).toEqual([...open].sort());
      for (const b of beats) expect(b.event).toMatchObject({ shardId: b.shard });
      const covered = await ledger.coveredUntil(open);
      expect(covered).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  });
});

/** Runs the consumer over everything on the stream so far (as its event source mapping would); the number of records. */
async function consumeAll(client: KinesisClient, streamName: string, handler: ReturnType<typeof consumer>['handler']): Promise<number> {
  let records = 0;
  const poller = await pollStream({
    client,
    streamName,
    handler: async (e) => {
      records += e.Records.length;
      return handler(e, context);
    },
    intervalMs: 20,
  });
  await poller.caughtUp(20_000);
  await poller.stop();
  return records;
}
