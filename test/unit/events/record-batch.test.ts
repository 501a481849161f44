import { describe, expect, it } from 'vitest';
import { readRecordBatch, RecordBatchWriter, transferListOf, UnsendableRecordError } from '../../../shared/adapters/kinesis/record-batch.js';
import { decodeEvent, encodeEvent, EVENT_SCHEMA_VERSION, explicitHashKeyOf, partitionKeyOf, type BidderEvent } from '../../../shared/events/index.js';
import { auctionEvent, billEvent, noBidEvent } from './fixtures.js';

describe('RecordBatchWriter / readRecordBatch', () => {
  it('round-trips records byte for byte as encodeEvent writes them, keys and hash keys included, across chunk growth', () => {
    // Prepare: enough events to outgrow the first chunk, some non-ASCII, one heartbeat
    const events: BidderEvent[] = [
      ...Array.from({ length: 400 }, (_, i) => auctionEvent({ advertiser: `adv-${i % 9}.example`, request: { id: `r-${i}-ü€𝄞`, exchange: 'x', imps: [] } })),
      noBidEvent({ auctionId: 'auc-nobody' }),
      billEvent('bid-1', { campaignId: 'cmp-1', day: '2026-11-22', costNanos: 5 }),
      { schemaVersion: EVENT_SCHEMA_VERSION, eventId: 'heartbeat:b:s:1', type: 'stream.heartbeat', at: '2026-11-22T05:00:00.000Z', shardId: 's', hashKey: '42' },
    ];
    const writer = new RecordBatchWriter();
    // Act
    for (const e of events) writer.write(e);
    const batch = writer.take();
    const records = readRecordBatch(batch);
    // Assess
    expect(records).toHaveLength(events.length);
    records.forEach((r, i) => {
      const e = events[i]!;
      expect(Buffer.from(r.data).equals(Buffer.from(encodeEvent(e)))).toBe(true);
      expect(decodeEvent(r.data)).toEqual(e);
      expect(r.key).toBe(partitionKeyOf(e));
      expect(r.hashKey).toBe(explicitHashKeyOf(e));
    });
    expect(transferListOf(batch)).toHaveLength(2);
    expect(writer.count).toBe(0);
  });

  it('refuses records over 1 MiB and unencodable events without writing anything', () => {
    // Prepare
    const writer = new RecordBatchWriter();
    const huge = auctionEvent({ request: { id: 'x'.repeat(1024 * 1024), exchange: 'x', imps: [] } });
    const cyclic = auctionEvent() as unknown as Record<string, unknown>;
    cyclic.self = cyclic;
    // Act / Assess
    expect(() => writer.write(huge)).toThrow(UnsendableRecordError);
    expect(() => writer.write(cyclic as unknown as BidderEvent)).toThrow(UnsendableRecordError);
    writer.write(auctionEvent());
    expect(readRecordBatch(writer.take())).toHaveLength(1);
  });
});
