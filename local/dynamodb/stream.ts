/**
 * A minimal DynamoDB Streams reader for the local stack (DynamoDB Local has no event source mapping;
 * the local CDC poller uses this to feed the stream handler the way Lambda would).
 *
 * It speaks the DynamoDB Streams JSON protocol (DescribeStream, GetShardIterator, GetRecords) directly
 * over HTTP instead of depending on @aws-sdk/client-dynamodb-streams: that package's newest release
 * (3.1141.0) lags the pinned client-dynamodb (3.1162.0) and would pull a second copy of the SDK core.
 * Requests are unsigned (a placeholder Authorization header), so this is for emulators only; in AWS,
 * Lambda's event source mapping reads the stream.
 *
 * Records come out in the shape of a Lambda DynamoDB stream event record (`DynamoDBRecord` from
 * @types/aws-lambda): eventID, eventName, dynamodb.{Keys, NewImage, OldImage, SequenceNumber, …},
 * eventSourceARN, in wire (AttributeValue) format, per shard in order: all shards at once with
 * `poll()`/`records()`, or shard by shard with `listShards()`, `shardIterator()` and `getRecords()`
 * (the local event source mapping, local/events/dynamodb-mapping.ts).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type StreamRecord = DynamoDBRecord;

export interface StreamReaderOptions {
  /** e.g. http://127.0.0.1:8000 (the DynamoDB Local endpoint; it also serves the Streams API). */
  endpoint: string;
  streamArn: string;
  region?: string;
  /** Where to start in shards that exist when the reader starts (default TRIM_HORIZON). */
  startAt?: 'TRIM_HORIZON' | 'LATEST';
}

interface ShardState {
  shardId: string;
  parentShardId?: string;
  iterator?: string;
  lastSequenceNumber?: string;
  closed: boolean;
}

export interface StreamShard {
  shardId: string;
  parentShardId?: string;
}

export type ShardIteratorType = 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER';

interface WireShard {
  ShardId: string;
  ParentShardId?: string;
}

export class StreamError extends Error {
  constructor(readonly type: string, message: string) {
    super(`${type}: ${message}`);
    this.name = 'StreamError';
  }
}

export class DynamoDbStreamReader {
  private readonly shards = new Map<string, ShardState>();
  private started = false;

  constructor(private readonly options: StreamReaderOptions) {}

  /** A reader for a table's current stream (LatestStreamArn from DescribeTable). */
  static async forTable(
    client: DynamoDBClient,
    tableName: string,
    options: Omit<StreamReaderOptions, 'streamArn'>,
  ): Promise<DynamoDbStreamReader> {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = out.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${tableName} has no stream`);
    return new DynamoDbStreamReader({ ...options, streamArn });
  }

  get streamArn(): string {
    return this.options.streamArn;
  }

  /**
   * One pass: discovers shards, then reads every open shard (parents before children) until it has
   * nothing more right now. Returns the records seen since the previous poll, in per-shard order.
   */
  async poll(maxRecords = 1000): Promise<StreamRecord[]> {
    await this.discoverShards();
    const out: StreamRecord[] = [];
    for (const shard of this.shards.values()) {
      if (shard.closed) continue;
      const parent = shard.parentShardId ? this.shards.get(shard.parentShardId) : undefined;
      if (parent && !parent.closed) continue; // keep per-key order: finish the parent first
      while (out.length < maxRecords && !shard.closed) {
        const records = await this.readShard(shard, Math.min(1000, maxRecords - out.length));
        out.push(...records);
        if (records.length === 0) break;
      }
    }
    return out;
  }

  /** Polls until `signal` aborts, yielding records as they appear. */
  async *records(options: { signal?: AbortSignal; intervalMs?: number } = {}): AsyncGenerator<StreamRecord> {
    const interval = options.intervalMs ?? 200;
    while (!options.signal?.aborted) {
      const batch = await this.poll();
      for (const record of batch) yield record;
      if (batch.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, interval);
          options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }

  /** Every shard of the stream (DescribeStream, all pages), parents listed before their children. */
  async listShards(): Promise<StreamShard[]> {
    const shards: StreamShard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = (await this.call('DescribeStream', {
        StreamArn: this.options.streamArn,
        ...(exclusiveStartShardId ? { ExclusiveStartShardId: exclusiveStartShardId } : {}),
      })) as { StreamDescription: { Shards?: WireShard[]; LastEvaluatedShardId?: string } };
      for (const s of out.StreamDescription.Shards ?? []) {
        shards.push({ shardId: s.ShardId, ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}) });
      }
      exclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  /** A shard iterator; AT_/AFTER_SEQUENCE_NUMBER need `sequenceNumber`. */
  async shardIterator(shardId: string, type: ShardIteratorType, sequenceNumber?: string): Promise<string> {
    const out = (await this.call('GetShardIterator', {
      StreamArn: this.options.streamArn,
      ShardId: shardId,
      ShardIteratorType: type,
      ...(sequenceNumber ? { SequenceNumber: sequenceNumber } : {}),
    })) as { ShardIterator: string };
    return out.ShardIterator;
  }

  /**
   * One GetRecords call: up to `limit` records (Lambda-shaped, eventSourceARN set) and the next
   * iterator, undefined once the shard is closed and read to its end. Throws StreamError
   * (e.g. ExpiredIteratorException) as the API reports it.
   */
  async getRecords(iterator: string, limit: number): Promise<{ records: StreamRecord[]; nextIterator: string | undefined }> {
    const out = (await this.call('GetRecords', { ShardIterator: iterator, Limit: limit })) as {
      Records?: StreamRecord[];
      NextShardIterator?: string | null;
    };
    const records = (out.Records ?? []).map((r) => ({ ...r, eventSourceARN: this.options.streamArn }));
    return { records, nextIterator: out.NextShardIterator ?? undefined };
  }

  private async discoverShards(): Promise<void> {
    const firstDiscovery = !this.started;
    this.started = true;
    for (const s of await this.listShards()) {
      if (this.shards.has(s.shardId)) continue;
      const state: ShardState = { shardId: s.shardId, parentShardId: s.parentShardId, closed: false };
      // Shards that appear later are read from their start so nothing between polls is missed.
      const type = firstDiscovery ? (this.options.startAt ?? 'TRIM_HORIZON') : 'TRIM_HORIZON';
      state.iterator = await this.shardIterator(s.shardId, type);
      this.shards.set(s.shardId, state);
    }
  }

  private async readShard(shard: ShardState, limit: number): Promise<StreamRecord[]> {
    if (!shard.iterator) {
      shard.closed = true;
      return [];
    }
    let out: { records: StreamRecord[]; nextIterator: string | undefined };
    try {
      out = await this.getRecords(shard.iterator, limit);
    } catch (err) {
      if (err instanceof StreamError && err.type === 'ExpiredIteratorException') {
        shard.iterator = shard.lastSequenceNumber
          ? await this.shardIterator(shard.shardId, 'AFTER_SEQUENCE_NUMBER', shard.lastSequenceNumber)
          : await this.shardIterator(shard.shardId, 'TRIM_HORIZON');
        return [];
      }
      // DynamoDB Local numbers the records of all tables in one sequence: an iterator taken on an empty
      // shard lies before the first record written to it later, which reads as trimmed data.
      if (err instanceof StreamError && err.type === 'TrimmedDataAccessException' && !shard.lastSequenceNumber) {
        shard.iterator = await this.shardIterator(shard.shardId, 'TRIM_HORIZON');
        return [];
      }
      throw err;
    }
    const last = out.records[out.records.length - 1];
    if (last?.dynamodb?.SequenceNumber) shard.lastSequenceNumber = last.dynamodb.SequenceNumber;
    if (out.nextIterator) shard.iterator = out.nextIterator;
    else {
      shard.iterator = undefined;
      shard.closed = true;
    }
    return out.records;
  }

  private async call(operation: string, body: object): Promise<unknown> {
    const region = this.options.region ?? 'us-east-1';
    const response = await fetch(this.options.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDBStreams_20120810.${operation}`,
        // DynamoDB Local reads the access key from here and does not check the signature.
        authorization: `AWS4-HMAC-SHA256 Credential=local/20200101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=local`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      const type = String(parsed.__type ?? `HTTP${response.status}`).split('#').pop()!;
      throw new StreamError(type, String(parsed.message ?? parsed.Message ?? text));
    }
    return parsed;
  }
}
