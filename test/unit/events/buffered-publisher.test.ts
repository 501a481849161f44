import { afterEach, describe, expect, it } from 'vitest';
import { BufferedEventPublisher, KINESIS_LIMITS, type BufferedEventPublisherOptions } from '../../../shared/adapters/kinesis/buffered-publisher.js';
import { decodeEntry, FakeKinesis } from './fake-kinesis.js';
import { auctionEvent, billEvent, noBidEvent } from './fixtures.js';

const open: BufferedEventPublisher[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close({ deadlineMs: 0 })));
});

function publisher(client: FakeKinesis, options: Partial<BufferedEventPublisherOptions> = {}) {
  const p = new BufferedEventPublisher({ client, streamName: 'bid-events', backoffBaseMs: 1, backoffMaxMs: 4, ...options });
  open.push(p);
  return p;
}

describe('BufferedEventPublisher', () => {
  it('publish returns at once and never throws, even when Kinesis never answers', () => {
    // Prepare
    const client = new FakeKinesis();
    client.hang = true;
    const p = publisher(client, { capacity: 1_000, flushIntervalMs: 1 });
    const events = Array.from({ length: 50_000 }, () => auctionEvent());
    // Act
    const started = performance.now();
    for (const e of events) p.publish(e);
    const elapsed = performance.now() - started;
    // Assess: 50k publishes in well under a second (µs each), the overflow counted, nothing thrown
    expect(elapsed).toBeLessThan(500);
    const s = p.stats();
    expect(s.buffered + s.inFlight + s.dropped).toBe(50_000);
    expect(s.dropped).toBeGreaterThanOrEqual(49_000 - s.inFlight);
  });

  it('drops and counts when the buffer is full; the last tenth is kept for billing notices', () => {
    // Prepare: no timer flush during the test, batches larger than the buffer
    const client = new FakeKinesis();
    const p = publisher(client, { capacity: 10, flushIntervalMs: 60_000 });
    // Act
    for (let i = 0; i < 15; i += 1) p.publish(auctionEvent());
    const afterAuctions = p.stats();
    p.publish(billEvent('b1', { campaignId: 'c1', day: '2026-11-22', costNanos: 1 }));
    p.publish(billEvent('b2', { campaignId: 'c1', day: '2026-11-22', costNanos: 1 }));
    // Assess: 9 auctions taken, 6 dropped; one bill fits in the reserve, the next finds the buffer full
    expect(afterAuctions).toMatchObject({ buffered: 9, dropped: 6, sent: 0, inFlight: 0 });
    expect(p.stats()).toMatchObject({ buffered: 10, dropped: 7 });
  });

  it('counts events published after close as dropped', async () => {
    // Prepare
    const client = new FakeKinesis();
    const p = publisher(client);
    await p.close();
    // Act
    p.publish(auctionEvent());
    // Assess
    expect(p.stats().dropped).toBe(1);
    expect(client.calls).toHaveLength(0);
  });

  it('sends batches of at most 500 records', async () => {
    // Prepare
    const client = new FakeKinesis();
    const p = publisher(client, { capacity: 5_000, flushIntervalMs: 60_000 });
    // Act
    for (let i = 0; i < 1_201; i += 1) p.publish(auctionEvent());
    await p.flush();
    // Assess
    expect(client.calls.map((c) => c.records.length).sort((a, b) => b - a)).toEqual([500, 500, 201]);
    expect(client.calls.every((c) => c.streamName === 'bid-events')).toBe(true);
    expect(p.stats()).toMatchObject({ sent: 1_201, buffered: 0, inFlight: 0, failed: 0, dropped: 0 });
  });

  it('keeps every call under 5 MiB (data + partition keys) and fails records over 1 MiB alone', async () => {
    // Prepare: ~600 KB events; 5 MiB fits 8 of them
    const client = new FakeKinesis();
    const p = publisher(client, { flushIntervalMs: 60_000 });
    const big = () => auctionEvent({ request: { id: 'r', exchange: 'x', imps: [], site: { page: 'x'.repeat(600_000) } } });
    const huge = auctionEvent({ request: { id: 'r', exchange: 'x', imps: [], site: { page: 'y'.repeat(1_100_000) } } });
    // Act
    for (let i = 0; i < 20; i += 1) p.publish(big());
    p.publish(huge);
    await p.flush();
    // Assess
    const callBytes = client.calls.map((c) => c.records.reduce((s, r) => s + r.Data!.byteLength + Buffer.byteLength(r.PartitionKey!), 0));
    expect(Math.max(...callBytes)).toBeLessThanOrEqual(KINESIS_LIMITS.maxBytesPerCall);
    expect(client.calls.length).toBeGreaterThanOrEqual(3);
    expect(p.stats()).toMatchObject({ sent: 20, failed: 1 });
  });

  it('partitions by advertiser; auctions without one spread by auction id', async () => {
    // Prepare
    const client = new FakeKinesis();
    const p = publisher(client);
    const a = auctionEvent({ advertiser: 'shoes.example' });
    const b = billEvent('bid-9', { campaignId: 'cmp-2', day: '2026-11-22', costNanos: 1_000 }, { advertiser: 'acct-42' });
    const none = noBidEvent({ auctionId: 'auc-nobody' });
    // Act
    for (const e of [a, b, none]) p.publish(e);
    await p.flush();
    // Assess
    const keyOf = new Map(client.accepted.map((r) => [decodeEntry(r).eventId, r.PartitionKey]));
    expect(keyOf.get(a.eventId)).toBe('shoes.example');
    expect(keyOf.get(b.eventId)).toBe('acct-42');
    expect(keyOf.get(none.eventId)).toBe('auc-nobody');
  });

  it('retries only the records PutRecords reported as failed, then all arrive', async () => {
    // Prepare: every third record is throttled on its first attempt
    const client = new FakeKinesis();
    let n = 0;
    client.failRecord = (_e, attempt) => (attempt === 0 && n++ % 3 === 0 ? 'ProvisionedThroughputExceededException' : undefined);
    const p = publisher(client);
    const events = Array.from({ length: 30 }, () => auctionEvent());
    // Act
    for (const e of events) p.publish(e);
    await p.flush();
    // Assess
    expect(p.stats()).toMatchObject({ sent: 30, retried: 10, failed: 0, buffered: 0 });
    expect(new Set(client.accepted.map((r) => decodeEntry(r).eventId))).toEqual(new Set(events.map((e) => e.eventId)));
    // the retry call carried only the failed records
    expect(client.calls[0]!.records).toHaveLength(30);
    expect(client.calls.slice(1).reduce((s, c) => s + c.records.length, 0)).toBe(10);
  });

  it('gives up on a record after maxAttempts and counts it as failed; the others are sent', async () => {
    // Prepare
    const client = new FakeKinesis();
    const bad = auctionEvent({ advertiser: 'always-throttled.example' });
    client.failRecord = (e) => (e.PartitionKey === 'always-throttled.example' ? 'InternalFailure' : undefined);
    const errors: number[] = [];
    const p = publisher(client, { maxAttempts: 4, onError: (_err, info) => errors.push(info.gaveUp) });
    // Act
    p.publish(bad);
    for (let i = 0; i < 5; i += 1) p.publish(auctionEvent());
    await p.flush();
    // Assess
    expect(p.stats()).toMatchObject({ sent: 5, failed: 1, retried: 3 });
    expect(client.calls.filter((c) => c.records.some((r) => r.PartitionKey === 'always-throttled.example'))).toHaveLength(4);
    expect(errors).toContain(1);
  });

  it('retries a call that failed as a whole', async () => {
    // Prepare
    const client = new FakeKinesis();
    client.throwOnCall = (i) => (i === 0 ? Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }) : undefined);
    const p = publisher(client);
    // Act
    for (let i = 0; i < 7; i += 1) p.publish(auctionEvent());
    await p.flush();
    // Assess
    expect(p.stats()).toMatchObject({ sent: 7, retried: 7, failed: 0 });
  });

  it('close() sends a retry whose timer fired before the clock reached its due time (a stale loop clock), instead of stalling', async () => {
    // Prepare: when the failed call is handled, the clock reads 50 ms ahead of the timers (libuv measures
    // a timer from the loop's cached time, which lags Date.now() on a busy loop), so the retry's first
    // timer fires while the retry is not due yet.
    let ahead = 0;
    const client = new FakeKinesis();
    client.throwOnCall = (i) => (i === 0 ? ((ahead = 50), Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })) : undefined);
    const p = publisher(client, {
      now: () => {
        const reading = Date.now() + ahead;
        ahead = 0;
        return reading;
      },
    });
    // Act (close: no periodic flush left to pump the retry by chance)
    p.publish(auctionEvent());
    await p.close({ deadlineMs: 2_000 });
    // Assess
    expect(p.stats()).toMatchObject({ sent: 1, retried: 1, failed: 0, dropped: 0 });
  });

  it('counts an event that cannot be encoded as failed without affecting the rest', async () => {
    // Prepare
    const client = new FakeKinesis();
    const cyclic = auctionEvent() as unknown as Record<string, unknown>;
    cyclic.self = cyclic;
    const p = publisher(client);
    // Act
    expect(() => p.publish(cyclic as never)).not.toThrow();
    p.publish(auctionEvent());
    await p.flush();
    // Assess
    expect(p.stats()).toMatchObject({ sent: 1, failed: 1 });
  });

  it('flushes on its own timer', async () => {
    // Prepare
    const client = new FakeKinesis();
    const p = publisher(client, { flushIntervalMs: 5 });
    // Act
    p.publish(auctionEvent());
    await new Promise((r) => setTimeout(r, 50));
    // Assess
    expect(p.stats().sent).toBe(1);
  });

  it('close() drains what is buffered', async () => {
    // Prepare
    const client = new FakeKinesis();
    const p = publisher(client, { flushIntervalMs: 60_000, capacity: 5_000 });
    for (let i = 0; i < 2_000; i += 1) p.publish(auctionEvent());
    // Act
    await p.close();
    // Assess
    expect(p.stats()).toMatchObject({ sent: 2_000, buffered: 0, dropped: 0 });
  });

  it('close() gives up at its deadline and counts what is left as dropped', async () => {
    // Prepare
    const client = new FakeKinesis();
    client.hang = true;
    const p = publisher(client, { flushIntervalMs: 60_000, maxInFlight: 1, maxBatchRecords: 10 });
    for (let i = 0; i < 25; i += 1) p.publish(auctionEvent());
    // Act
    const started = performance.now();
    await p.close({ deadlineMs: 50 });
    // Assess: one call of 10 hangs in flight; 15 never left the buffer
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(p.stats()).toMatchObject({ inFlight: 10, buffered: 0, dropped: 15, sent: 0 });
  });

  it('refuses impossible options', () => {
    const client = new FakeKinesis();
    expect(() => new BufferedEventPublisher({ client })).toThrow(/streamName/);
    expect(() => new BufferedEventPublisher({ client, streamName: 's', capacity: 0 })).toThrow(/capacity/);
  });
});
