/**
 * Heartbeats on the bid-event stream: one per open shard, pinned to it by its starting hash key, so
 * the spend consumer's watermark moves on shards no advertiser's events reach.
 */
import type { ListShardsCommand, ListShardsCommandOutput, Shard } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { StreamHeartbeat } from '../../../bidder/stream-heartbeat.js';
import { MemoryEventSink } from '../../../bidder/ports.js';
import { BufferedEventPublisher } from '../../../shared/adapters/kinesis/buffered-publisher.js';
import { KinesisStreamShards } from '../../../shared/adapters/kinesis/stream-shards.js';
import { decodeEvent, encodeEvent, explicitHashKeyOf, partitionKeyOf } from '../../../shared/events/codec.js';
import type { StreamHeartbeatEvent } from '../../../shared/events/types.js';
import { shardKey, type StreamShards } from '../../../shared/ports/stream-shards.js';
import { FakeKinesis } from './fake-kinesis.js';

const shard = (id: number, start: string, closed = false): Shard => ({
  ShardId: `shardId-00000000000${id}`,
  HashKeyRange: { StartingHashKey: start, EndingHashKey: '0' },
  SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '9' } : {}) },
});

/** ListShards answering `pages` one after another (NextToken between them), counting calls. */
function listing(pages: Shard[][]) {
  const calls: ListShardsCommand['input'][] = [];
  return {
    calls,
    client: {
      async send(command: ListShardsCommand): Promise<ListShardsCommandOutput> {
        calls.push(command.input);
        const page = command.input.NextToken ? Number(command.input.NextToken) : 0;
        return { Shards: pages[page], ...(page + 1 < pages.length ? { NextToken: String(page + 1) } : {}), $metadata: {} };
      },
    },
  };
}

describe('KinesisStreamShards', () => {
  it('lists the open shards across pages, keyed by stream and shard, and leaves closed parents out', async () => {
    // Prepare
    const { client, calls } = listing([[shard(0, '0', true), shard(1, '0')], [shard(2, '170141183460469231731687303715884105728')]]);
    const shards = new KinesisStreamShards({ client, streamArn: 'arn:aws:kinesis:us-east-1:1:stream/bid-events' });
    // Act
    const open = await shards.openShards();
    // Assess
    expect(open).toEqual([
      { shardId: 'shardId-000000000001', key: 'bid-events/shardId-000000000001', startingHashKey: '0' },
      { shardId: 'shardId-000000000002', key: 'bid-events/shardId-000000000002', startingHashKey: '170141183460469231731687303715884105728' },
    ]);
    expect(calls).toEqual([{ StreamARN: 'arn:aws:kinesis:us-east-1:1:stream/bid-events' }, { NextToken: '1' }]);
  });

  it('reuses a listing for cacheMs, then lists again', async () => {
    // Prepare
    const clock = { now: 0 };
    const { client, calls } = listing([[shard(0, '0')]]);
    const shards = new KinesisStreamShards({ client, streamName: 'bid-events', cacheMs: 1_000, now: () => clock.now });
    // Act
    await Promise.all([shards.openShards(), shards.openShards()]);
    clock.now = 999;
    await shards.openShards();
    clock.now = 1_000;
    await shards.openShards();
    // Assess
    expect(calls).toHaveLength(2);
  });

  it('a stream with no open shard is an error, not an empty list that would prove nothing silently', async () => {
    const { client } = listing([[shard(0, '0', true)]]);
    await expect(new KinesisStreamShards({ client, streamName: 's' }).openShards()).rejects.toThrow(/no open shard/);
  });
});

describe('shardKey', () => {
  it('is the stream name and the shard id, from a name or an ARN', () => {
    expect(shardKey('bid-events', 'shardId-000000000000')).toBe('bid-events/shardId-000000000000');
    expect(shardKey('arn:aws:kinesis:eu-west-1:123:stream/bid-events', 'shardId-000000000000')).toBe('bid-events/shardId-000000000000');
  });
});

describe('StreamHeartbeat', () => {
  const twoShards: StreamShards = {
    openShards: async () => [
      { shardId: 'shardId-000000000000', key: 's/shardId-000000000000', startingHashKey: '0' },
      { shardId: 'shardId-000000000001', key: 's/shardId-000000000001', startingHashKey: '170141183460469231731687303715884105728' },
    ],
  };

  it('publishes one heartbeat per open shard, carrying the shard and its starting hash key', async () => {
    // Prepare
    const sink = new MemoryEventSink();
    const heartbeat = new StreamHeartbeat({ shards: twoShards, events: sink, bidderId: 'task-1', intervalMs: 1_000, clock: () => Date.UTC(2026, 10, 22, 12) });
    // Act
    const sent = await heartbeat.beat();
    // Assess
    expect(sent).toBe(2);
    expect(sink.events).toEqual([
      expect.objectContaining({ type: 'stream.heartbeat', at: '2026-11-22T12:00:00.000Z', bidderId: 'task-1', shardId: 'shardId-000000000000', hashKey: '0' }),
      expect.objectContaining({ type: 'stream.heartbeat', shardId: 'shardId-000000000001', hashKey: '170141183460469231731687303715884105728' }),
    ]);
    expect(new Set(sink.events.map((e) => e.eventId)).size).toBe(2);
  });

  it('a failed listing publishes nothing and is reported; the next beat tries again', async () => {
    // Prepare
    let fail = true;
    const errors: unknown[] = [];
    const shards: StreamShards = { openShards: async () => (fail ? Promise.reject(new Error('throttled')) : twoShards.openShards()) };
    const sink = new MemoryEventSink();
    const heartbeat = new StreamHeartbeat({ shards, events: sink, bidderId: 't', intervalMs: 1_000, onError: (e) => errors.push(e) });
    // Act
    const first = await heartbeat.beat();
    fail = false;
    const second = await heartbeat.beat();
    // Assess
    expect([first, second]).toEqual([0, 2]);
    expect(errors).toHaveLength(1);
    expect(sink.events).toHaveLength(2);
  });

  it('on the wire: decodes as a v1 event, and the publisher pins it to its shard with ExplicitHashKey', async () => {
    // Prepare
    const client = new FakeKinesis();
    const publisher = new BufferedEventPublisher({ client, streamName: 's', flushIntervalMs: 1 });
    const sink = new MemoryEventSink();
    await new StreamHeartbeat({ shards: twoShards, events: sink, bidderId: 't', intervalMs: 1_000 }).beat();
    // Act
    for (const e of sink.events) publisher.publish(e);
    await publisher.close();
    // Assess
    const beat = sink.events[1] as StreamHeartbeatEvent;
    expect(decodeEvent(encodeEvent(beat))).toEqual(beat);
    expect(explicitHashKeyOf(beat)).toBe(beat.hashKey);
    expect(partitionKeyOf(beat)).toBe('heartbeat:shardId-000000000001');
    expect(client.accepted.map((r) => r.ExplicitHashKey)).toEqual(['0', '170141183460469231731687303715884105728']);
    expect(client.accepted.map((r) => decodeEvent(r.Data!).type)).toEqual(['stream.heartbeat', 'stream.heartbeat']);
  });
});
