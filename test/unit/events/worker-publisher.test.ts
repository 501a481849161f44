import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkerEventPublisher, type WorkerEventPublisherOptions } from '../../../shared/adapters/kinesis/worker-publisher.js';
import { decodeEvent, EVENT_SCHEMA_VERSION, type BidderEvent, type StreamHeartbeatEvent } from '../../../shared/events/index.js';
import { auctionEvent, billEvent, lossEvent, noBidEvent } from './fixtures.js';
import { HttpKinesis } from './http-kinesis.js';

let kinesis: HttpKinesis;
const open: WorkerEventPublisher[] = [];

beforeEach(async () => {
  kinesis = await new HttpKinesis().start();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close({ deadlineMs: 0 })));
  await kinesis.stop();
});

function publisher(options: Partial<WorkerEventPublisherOptions> = {}) {
  const p = new WorkerEventPublisher({ streamName: 'bid-events', client: kinesis.clientOptions(), backoffBaseMs: 1, backoffMaxMs: 4, flushIntervalMs: 10, ...options });
  open.push(p);
  return p;
}

const heartbeat: StreamHeartbeatEvent = {
  schemaVersion: EVENT_SCHEMA_VERSION,
  eventId: 'heartbeat:b1:shardId-000000000001:1',
  type: 'stream.heartbeat',
  at: '2026-11-22T05:00:00.000Z',
  shardId: 'shardId-000000000001',
  hashKey: '170141183460469231731687303715884105728',
};

describe('WorkerEventPublisher (PutRecords in a worker thread)', () => {
  it('delivers every event intact, with its partition key and explicit hash key', async () => {
    // Prepare
    const p = publisher();
    const events: BidderEvent[] = [
      auctionEvent({ advertiser: 'shoes.example', request: { id: 'r-ü', exchange: 'exchänge-€', imps: [] } }),
      noBidEvent({ auctionId: 'auc-nobody' }),
      billEvent('bid-1', { campaignId: 'cmp-1', day: '2026-11-22', costNanos: 2_000 }, { advertiser: 'shoes.example' }),
      lossEvent('bid-2'),
      heartbeat,
    ];
    // Act
    for (const e of events) p.publish(e);
    await p.flush({ deadlineMs: 5_000 });
    // Assess
    expect(p.stats()).toMatchObject({ sent: events.length, buffered: 0, inFlight: 0, dropped: 0, failed: 0 });
    const byId = new Map(kinesis.accepted.map((r) => [decodeEvent(r.data).eventId, r]));
    for (const e of events) expect(decodeEvent(byId.get(e.eventId)!.data)).toEqual(e);
    expect(byId.get(events[0]!.eventId)!.partitionKey).toBe('shoes.example');
    expect(byId.get(events[1]!.eventId)!.partitionKey).toBe('auc-nobody');
    expect(byId.get(heartbeat.eventId)).toMatchObject({ partitionKey: 'heartbeat:shardId-000000000001', explicitHashKey: heartbeat.hashKey });
    expect(byId.get(events[0]!.eventId)!.explicitHashKey).toBeUndefined();
  });

  it('publish returns at once and never throws while Kinesis hangs; the overflow is counted as dropped', async () => {
    // Prepare
    kinesis.hang = true;
    const p = publisher({ capacity: 1_000 });
    const events = Array.from({ length: 50_000 }, () => auctionEvent());
    // Act
    const started = performance.now();
    for (const e of events) p.publish(e);
    const elapsed = performance.now() - started;
    // Assess: µs per publish (encoding happens later, in the hand-off), nothing thrown, capacity held
    // (all but the tenth kept for billing notices, which still get in)
    expect(elapsed).toBeLessThan(500);
    const s = p.stats();
    expect(s.dropped).toBe(49_100);
    expect(s.buffered + s.inFlight + s.dropped + s.sent).toBe(50_000);
    for (let i = 0; i < 100; i++) p.publish(billEvent(`b${i}`, { campaignId: 'c1', day: '2026-11-22', costNanos: 1 }));
    p.publish(billEvent('one-too-many', { campaignId: 'c1', day: '2026-11-22', costNanos: 1 }));
    expect(p.stats().dropped).toBe(49_101);
  });

  it('retries records Kinesis refused and sends 5,000 events in batches of ≤ 500', async () => {
    // Prepare: every record is throttled on its first attempt
    kinesis.failRecord = (_entry, attempt) => (attempt === 0 ? 'ProvisionedThroughputExceededException' : undefined);
    const p = publisher({ capacity: 10_000 });
    const events = Array.from({ length: 5_000 }, (_, i) => auctionEvent({ advertiser: `adv-${i % 7}.example` }));
    // Act
    for (const e of events) p.publish(e);
    await p.flush({ deadlineMs: 10_000 });
    // Assess
    expect(p.stats()).toMatchObject({ sent: 5_000, retried: 5_000, failed: 0, dropped: 0, buffered: 0 });
    expect(p.stats().batches).toBeGreaterThanOrEqual(20);
    expect(new Set(kinesis.accepted.map((r) => decodeEvent(r.data).eventId)).size).toBe(5_000);
  });

  it('counts records given up on as failed, and an unencodable event as failed without losing the others', async () => {
    // Prepare: one advertiser's records always fail
    kinesis.failRecord = (entry) => (entry.partitionKey === 'doomed.example' ? 'InternalFailure' : undefined);
    const errors: string[] = [];
    const p = publisher({ maxAttempts: 2, onError: (e) => errors.push(String(e)) });
    const unencodable = { ...auctionEvent(), timings: { receivedAt: 'x', totalMs: 10n } } as unknown as BidderEvent;
    // Act
    p.publish(auctionEvent({ advertiser: 'doomed.example' }));
    p.publish(unencodable);
    p.publish(auctionEvent({ advertiser: 'fine.example' }));
    await p.flush({ deadlineMs: 5_000 });
    // Assess
    expect(p.stats()).toMatchObject({ sent: 1, failed: 2, dropped: 0, buffered: 0 });
    expect(errors.some((e) => e.includes('cannot be encoded'))).toBe(true);
    expect(errors.some((e) => e.includes('gave up'))).toBe(true);
  });

  it('close drains what was published, then drops (and counts) what comes after; twice is fine', async () => {
    // Prepare
    const p = publisher({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 300; i += 1) p.publish(auctionEvent());
    // Act
    await p.close({ deadlineMs: 5_000 });
    p.publish(auctionEvent());
    await p.close();
    // Assess
    expect(p.stats()).toMatchObject({ sent: 300, dropped: 1, buffered: 0, inFlight: 0 });
    expect(kinesis.accepted).toHaveLength(300);
  });

  it('close gives up at its deadline when Kinesis hangs and counts what was not sent as dropped', async () => {
    // Prepare
    kinesis.hang = true;
    const p = publisher();
    for (let i = 0; i < 20; i += 1) p.publish(auctionEvent());
    // Act
    const started = performance.now();
    await p.close({ deadlineMs: 300 });
    // Assess: bounded by the deadline (plus the hand-over margin), every record accounted for
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(p.stats()).toMatchObject({ sent: 0, dropped: 20, buffered: 0 });
  });

  it('replaces a worker that died: its unsettled records are counted as dropped, later events still arrive', async () => {
    // Prepare: the first worker holds 10 records it cannot send
    kinesis.hang = true;
    const errors: string[] = [];
    const p = publisher({ restartDelayMs: 10, onError: (e) => errors.push(String(e)) });
    for (let i = 0; i < 10; i += 1) p.publish(auctionEvent());
    await p.flush({ deadlineMs: 200 });
    // Act: the worker dies; Kinesis recovers
    await (p as unknown as { worker: Worker }).worker.terminate();
    kinesis.hang = false;
    const later = auctionEvent({ advertiser: 'after.example' });
    p.publish(later);
    await new Promise((r) => setTimeout(r, 300));
    await p.flush({ deadlineMs: 5_000 });
    // Assess
    expect(p.stats()).toMatchObject({ sent: 1, dropped: 10, buffered: 0 });
    expect(kinesis.accepted.map((r) => decodeEvent(r.data).eventId)).toEqual([later.eventId]);
    expect(errors.some((e) => e.includes('worker exited'))).toBe(true);
  });
});
