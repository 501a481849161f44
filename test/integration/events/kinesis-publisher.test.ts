/**
 * BufferedEventPublisher against kinesalite (the local Kinesis): what is published arrives, decodable,
 * under the advertiser's partition key; 10k events flush within bounds; close() drains.
 */
import { describe, expect, it } from 'vitest';
import { BufferedEventPublisher } from '../../../shared/adapters/kinesis/buffered-publisher.js';
import { decodeBase64Event, type BidderEvent } from '../../../shared/events/index.js';
import { ensureStream, localKinesisClient, readStream } from '../../../local/kinesis/launch.js';
import { useKinesalite } from '../../support/kinesalite.js';
import { auctionEvent, billEvent, noBidEvent } from '../../unit/events/fixtures.js';

const kinesis = useKinesalite('bid-events');
const freshStream = (shards?: number) => kinesis.freshStream(shards);

describe('BufferedEventPublisher → kinesalite', () => {
  it('ensureStream creates an ACTIVE provisioned stream and is idempotent', async () => {
    const name = await freshStream(3);
    const again = await ensureStream(kinesis.client, name, 3);
    expect(again.streamArn).toMatch(new RegExp(`stream/${name}$`));
  });

  it('delivers each event once, decodable, partitioned by advertiser, in Lambda record shape', async () => {
    // Prepare
    const streamName = await freshStream();
    const publisher = new BufferedEventPublisher({ client: kinesis.client, streamName });
    const events: BidderEvent[] = [
      auctionEvent({ advertiser: 'shoes.example' }),
      auctionEvent({ advertiser: 'cars.example' }),
      billEvent('bid-1', { campaignId: 'cmp-1', day: '2026-11-22', costNanos: 2_000 }, { advertiser: 'shoes.example' }),
      noBidEvent({ auctionId: 'auc-nobody' }),
    ];
    // Act
    for (const e of events) publisher.publish(e);
    await publisher.close();
    const records = await readStream(kinesis.client, streamName);
    // Assess
    expect(publisher.stats()).toMatchObject({ sent: 4, failed: 0, dropped: 0 });
    expect(records).toHaveLength(4);
    const byId = new Map(records.map((r) => [decodeBase64Event(r.kinesis.data).eventId, r]));
    for (const e of events) {
      const r = byId.get(e.eventId)!;
      expect(decodeBase64Event(r.kinesis.data)).toEqual(e);
      expect(r.kinesis.partitionKey).toBe(e.advertiser ?? 'auc-nobody');
      expect(r).toMatchObject({ eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record' });
      expect(r.eventID).toBe(`${r.eventID.split(':')[0]}:${r.kinesis.sequenceNumber}`);
    }
    // one advertiser's events share a shard
    const shardOf = (id: string) => byId.get(id)!.eventID.split(':')[0];
    expect(shardOf(events[0]!.eventId)).toBe(shardOf(events[2]!.eventId));
  });

  it('flushes 10,000 events within 10 s, none lost', async () => {
    // Prepare
    const streamName = await freshStream(4);
    const publisher = new BufferedEventPublisher({ client: kinesis.client, streamName, capacity: 20_000 });
    const advertisers = Array.from({ length: 50 }, (_, i) => `adv-${i}.example`);
    // Act
    const started = performance.now();
    for (let i = 0; i < 10_000; i += 1) publisher.publish(auctionEvent({ advertiser: advertisers[i % 50] }));
    const publishMs = performance.now() - started;
    await publisher.flush({ deadlineMs: 10_000 });
    const flushMs = performance.now() - started;
    // Assess
    expect(publishMs).toBeLessThan(1_000);
    expect(flushMs).toBeLessThan(10_000);
    expect(publisher.stats()).toMatchObject({ sent: 10_000, buffered: 0, inFlight: 0, dropped: 0, failed: 0 });
    const records = await readStream(kinesis.client, streamName);
    expect(records).toHaveLength(10_000);
    expect(new Set(records.map((r) => r.kinesis.partitionKey))).toEqual(new Set(advertisers));
    await publisher.close();
    console.log(`10k events: publish ${publishMs.toFixed(1)} ms, flushed after ${flushMs.toFixed(0)} ms`);
  });

  it('close() drains what is buffered before it resolves', async () => {
    // Prepare: a flush interval far longer than the test
    const streamName = await freshStream();
    const publisher = new BufferedEventPublisher({ client: kinesis.client, streamName, flushIntervalMs: 60_000, capacity: 5_000 });
    for (let i = 0; i < 1_234; i += 1) publisher.publish(auctionEvent());
    expect(publisher.stats().sent).toBe(0);
    // Act
    await publisher.close({ deadlineMs: 10_000 });
    // Assess
    expect(publisher.stats()).toMatchObject({ sent: 1_234, buffered: 0, dropped: 0 });
    expect(await readStream(kinesis.client, streamName)).toHaveLength(1_234);
  });

  it('counts records for a stream that does not exist as failed after bounded retries, and never throws', async () => {
    // Prepare: the SDK itself makes one attempt per call, so the publisher's attempts are the only ones.
    const client = localKinesisClient(kinesis.endpoint, { maxAttempts: 1 });
    const publisher = new BufferedEventPublisher({ client, streamName: 'no-such-stream', maxAttempts: 2, backoffBaseMs: 1 });
    // Act
    publisher.publish(auctionEvent());
    await publisher.close({ deadlineMs: 10_000 });
    client.destroy();
    // Assess
    expect(publisher.stats()).toMatchObject({ sent: 0, failed: 1, retried: 1 });
  });
});
