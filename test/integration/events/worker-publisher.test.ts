/**
 * WorkerEventPublisher (PutRecords in a worker thread) against kinesalite: what the bidder publishes
 * arrives intact (decodeEvent gives back the same event), under the same partition keys as the inline
 * publisher's; 10k events flush; close() drains; a missing stream ends in counted failures.
 */
import { describe, expect, it } from 'vitest';
import { WorkerEventPublisher } from '../../../shared/adapters/kinesis/worker-publisher.js';
import { decodeBase64Event, type BidderEvent } from '../../../shared/events/index.js';
import { readStream } from '../../../local/kinesis/launch.js';
import { useKinesalite } from '../../support/kinesalite.js';
import { auctionEvent, billEvent, lossEvent, noBidEvent } from '../../unit/events/fixtures.js';

const kinesis = useKinesalite('worker-events');
const freshStream = (shards?: number) => kinesis.freshStream(shards);

const workerClient = () => ({ endpoint: kinesis.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

describe('WorkerEventPublisher → kinesalite', () => {
  it('delivers each event once and intact, partitioned by advertiser', async () => {
    // Prepare
    const streamName = await freshStream();
    const publisher = new WorkerEventPublisher({ client: workerClient(), streamName });
    const events: BidderEvent[] = [
      auctionEvent({ advertiser: 'shoes.example' }),
      auctionEvent({ advertiser: 'cars.example' }),
      billEvent('bid-1', { campaignId: 'cmp-1', day: '2026-11-22', costNanos: 2_000 }, { advertiser: 'shoes.example' }),
      lossEvent('bid-2'),
      noBidEvent({ auctionId: 'auc-nobody' }),
    ];
    // Act
    for (const e of events) publisher.publish(e);
    await publisher.close();
    const records = await readStream(kinesis.client, streamName);
    // Assess
    expect(publisher.stats()).toMatchObject({ sent: events.length, failed: 0, dropped: 0 });
    expect(records).toHaveLength(events.length);
    const byId = new Map(records.map((r) => [decodeBase64Event(r.kinesis.data).eventId, r]));
    for (const e of events) expect(decodeBase64Event(byId.get(e.eventId)!.kinesis.data)).toEqual(e);
    expect(byId.get(events[0]!.eventId)!.kinesis.partitionKey).toBe('shoes.example');
    expect(byId.get(events[4]!.eventId)!.kinesis.partitionKey).toBe('auc-nobody');
  });

  it('flushes 10,000 events, none lost, and close() drains a further 1,234', async () => {
    // Prepare
    const streamName = await freshStream(4);
    const publisher = new WorkerEventPublisher({ client: workerClient(), streamName, capacity: 20_000 });
    // Act
    for (let i = 0; i < 10_000; i += 1) publisher.publish(auctionEvent({ advertiser: `adv-${i % 50}.example` }));
    await publisher.flush({ deadlineMs: 20_000 });
    const afterFlush = publisher.stats();
    for (let i = 0; i < 1_234; i += 1) publisher.publish(auctionEvent());
    await publisher.close({ deadlineMs: 20_000 });
    // Assess
    expect(afterFlush).toMatchObject({ sent: 10_000, buffered: 0, inFlight: 0, dropped: 0, failed: 0 });
    expect(publisher.stats()).toMatchObject({ sent: 11_234, buffered: 0, dropped: 0, failed: 0 });
    expect(await readStream(kinesis.client, streamName)).toHaveLength(11_234);
  });

  it('counts records for a stream that does not exist as failed after bounded retries', async () => {
    const errors: unknown[] = [];
    const publisher = new WorkerEventPublisher({ client: { ...workerClient(), maxAttempts: 1 }, streamName: 'no-such-stream', maxAttempts: 2, backoffBaseMs: 1, onError: (e) => errors.push(e) });
    publisher.publish(auctionEvent());
    await publisher.close({ deadlineMs: 10_000 });
    expect(publisher.stats()).toMatchObject({ sent: 0, failed: 1, retried: 1 });
    expect(errors.length).toBeGreaterThan(0);
  });
});
