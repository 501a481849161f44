/**
 * Heartbeats on the bid-event stream: every `intervalMs`, one `stream.heartbeat` event per open shard,
 * pinned to it by the shard's starting hash key. Events are partitioned by advertiser, so with few
 * advertisers some shards get no record for hours; the spend consumer's watermark on such a shard
 * would stand still, and a budget rebuild after a Redis loss (which waits for the minimum watermark
 * over all shards) would wait with it. With heartbeats every shard's watermark trails real time by
 * the consumer's lag plus at most one interval.
 *
 * They go through the same buffered sink as every other event (never blocking, dropped when it is
 * full): a lost heartbeat only delays a rebuild, it cannot make one unsafe.
 */
import { eventIds } from '../shared/events/codec.js';
import { EVENT_SCHEMA_VERSION, type StreamHeartbeatEvent } from '../shared/events/types.js';
import type { EventSink } from '../shared/ports/event-sink.js';
import type { StreamShards } from '../shared/ports/stream-shards.js';

export interface StreamHeartbeatOptions {
  shards: StreamShards;
  events: EventSink;
  bidderId: string;
  intervalMs: number;
  /** Listing the shards failed (the next beat tries again). */
  onError?: (error: unknown) => void;
  clock?: () => number;
}

export class StreamHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: StreamHeartbeatOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Publishes one heartbeat per open shard; resolves with how many (0 when listing failed). */
  async beat(): Promise<number> {
    let shards;
    try {
      shards = await this.options.shards.openShards();
    } catch (error) {
      this.options.onError?.(error);
      return 0;
    }
    const now = this.clock();
    const at = new Date(now).toISOString();
    for (const shard of shards) {
      const event: StreamHeartbeatEvent = {
        schemaVersion: EVENT_SCHEMA_VERSION,
        eventId: eventIds.heartbeat(this.options.bidderId, shard.shardId, now),
        type: 'stream.heartbeat',
        at,
        bidderId: this.options.bidderId,
        shardId: shard.shardId,
        hashKey: shard.startingHashKey,
      };
      this.options.events.publish(event);
    }
    return shards.length;
  }
}
