/**
 * StreamShards over Kinesis ListShards (the `kinesis:ListShards` that `stream.grantWrite` grants),
 * cached: shards change only on a reshard, and both callers (heartbeat, rebuild) tolerate a list a
 * minute old — a new shard's watermark is waited for once it is listed, a closed one is dropped.
 */
import { ListShardsCommand, type ListShardsCommandOutput } from '@aws-sdk/client-kinesis';
import { shardKey, type StreamShard, type StreamShards } from '../../ports/stream-shards.js';

export interface ListShardsClient {
  send(command: ListShardsCommand): Promise<ListShardsCommandOutput>;
}

export interface KinesisStreamShardsOptions {
  client: ListShardsClient;
  /** One of streamName / streamArn. */
  streamName?: string;
  streamArn?: string;
  /** How long a listing is reused, ms. Default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

export class KinesisStreamShards implements StreamShards {
  private cached: { at: number; shards: readonly StreamShard[] } | undefined;
  private inFlight: Promise<readonly StreamShard[]> | undefined;
  private readonly now: () => number;
  private readonly stream: string;

  constructor(private readonly options: KinesisStreamShardsOptions) {
    if (!options.streamName === !options.streamArn) throw new Error('KinesisStreamShards needs exactly one of streamName and streamArn');
    this.now = options.now ?? Date.now;
    this.stream = (options.streamArn ?? options.streamName)!;
  }

  async openShards(): Promise<readonly StreamShard[]> {
    const cacheMs = this.options.cacheMs ?? 60_000;
    if (this.cached && this.now() - this.cached.at < cacheMs) return this.cached.shards;
    this.inFlight ??= this.list().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async list(): Promise<readonly StreamShard[]> {
    const shards: StreamShard[] = [];
    let nextToken: string | undefined;
    do {
      // With NextToken, ListShards refuses the stream name (the token carries it).
      const target = nextToken ? { NextToken: nextToken } : this.options.streamArn ? { StreamARN: this.options.streamArn } : { StreamName: this.options.streamName! };
      const out = await this.options.client.send(new ListShardsCommand(target));
      for (const shard of out.Shards ?? []) {
        const open = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
        if (open && shard.ShardId && shard.HashKeyRange?.StartingHashKey) {
          shards.push({ shardId: shard.ShardId, key: shardKey(this.stream, shard.ShardId), startingHashKey: shard.HashKeyRange.StartingHashKey });
        }
      }
      nextToken = out.NextToken;
    } while (nextToken);
    if (shards.length === 0) throw new Error('the bid-event stream lists no open shard');
    this.cached = { at: this.now(), shards };
    return shards;
  }
}
