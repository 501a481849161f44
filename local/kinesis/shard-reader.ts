/**
 * Reading a (local) Kinesis stream back the way Lambda's event source mapping hands it to a function:
 * records shaped as `KinesisStreamRecord` (base64 data, eventID `<shardId>:<sequenceNumber>`, …).
 *
 *   readStream(client, name)         every record currently in the stream (TRIM_HORIZON), for tests;
 *   pollStream({ client, streamName, handler })
 *                                    a tiny event source mapping for the local stack: per shard, batches
 *                                    of up to `batchSize`, handled as Lambda does (local/events/stream-batch.ts:
 *                                    ReportBatchItemFailures, a batch retried from its lowest failed
 *                                    sequence number, a thrown error retrying the whole batch), at most
 *                                    `maxRetryAttempts` retries, then the failing records go to
 *                                    `onDiscard` (the DLQ's part) and the shard moves on.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type _Record,
  DescribeStreamSummaryCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { InvokeOutcome } from '../apigw/lambda-runtime.js';
import { deliverStreamBatch } from '../events/stream-batch.js';

export interface LambdaRecordContext {
  shardId: string;
  streamArn: string;
  region?: string;
}

/** One Kinesis record as Lambda delivers it. */
export function toLambdaRecord(record: _Record, context: LambdaRecordContext): KinesisStreamRecord {
  const arrival = record.ApproximateArrivalTimestamp;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber: record.SequenceNumber ?? '',
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrival ? arrival.getTime() / 1000 : Date.now() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${context.shardId}:${record.SequenceNumber ?? ''}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/dealdesk-local',
    awsRegion: context.region ?? 'us-east-1',
    eventSourceARN: context.streamArn,
  };
}

async function streamContext(client: KinesisClient, streamName: string) {
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const streamArn = summary.StreamDescriptionSummary?.StreamARN ?? `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`;
  const shards: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }));
    for (const shard of out.Shards ?? []) if (shard.ShardId) shards.push(shard.ShardId);
    nextToken = out.NextToken;
  } while (nextToken);
  const region = await client.config.region();
  return { streamArn, shards, region };
}

/** Every record in the stream now, shard by shard (each shard in sequence order). */
export async function readStream(
  client: KinesisClient,
  streamName: string,
  options: { limitPerCall?: number } = {},
): Promise<KinesisStreamRecord[]> {
  const { streamArn, shards, region } = await streamContext(client, streamName);
  const out: KinesisStreamRecord[] = [];
  for (const shardId of shards) {
    const it = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    let iterator = it.ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: options.limitPerCall ?? 10_000 }));
      const records = page.Records ?? [];
      for (const r of records) out.push(toLambdaRecord(r, { shardId, streamArn, region }));
      if (records.length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

export interface PollStreamOptions {
  client: KinesisClient;
  streamName: string;
  /** The consumer, e.g. functions/spend/reconcile.ts `handler` (called with a minimal context). */
  handler: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;
  /** Records per invocation (default 100). */
  batchSize?: number;
  /** Poll interval per shard when caught up, ms (default 200). */
  intervalMs?: number;
  /** Retries of a failing batch before its failing records are discarded (default 3). */
  maxRetryAttempts?: number;
  /** The failing records given up on (what the on-failure destination would get). */
  onDiscard?: (records: KinesisStreamRecord[], reason: string) => void;
  onError?: (error: unknown) => void;
}

export interface StreamPoller {
  /** Resolves once every shard has been read to its end and every batch handled (for tests/tools). */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  readonly stats: { invocations: number; records: number; retries: number; discarded: number };
}

/** Starts polling every shard of the stream from TRIM_HORIZON. */
export async function pollStream(options: PollStreamOptions): Promise<StreamPoller> {
  const { client, streamName } = options;
  const batchSize = options.batchSize ?? 100;
  const intervalMs = options.intervalMs ?? 200;
  const maxRetries = options.maxRetryAttempts ?? 3;
  const { streamArn, shards, region } = await streamContext(client, streamName);
  const stats = { invocations: 0, records: 0, retries: 0, discarded: 0 };
  let running = true;
  const idle = new Map<string, boolean>(shards.map((s) => [s, false]));

  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  /** Lambda's handling of one batch (stream-batch.ts), with this poller's counters and callbacks. */
  const deliver = async (records: KinesisStreamRecord[]): Promise<void> => {
    let invocations = 0;
    await deliverStreamBatch(
      records.map((record) => ({ record, sequenceNumber: record.kinesis.sequenceNumber, arrivalMs: record.kinesis.approximateArrivalTimestamp * 1000 })),
      {
        settings: { maxRetryAttempts: maxRetries, maxRecordAgeSeconds: -1, bisectOnFunctionError: false, reportBatchItemFailures: true },
        invoke: async (batch): Promise<InvokeOutcome> => {
          invocations += 1;
          stats.invocations += 1;
          stats.records += batch.length;
          try {
            return { ok: true, result: await options.handler({ Records: batch }), requestId: '' };
          } catch (err) {
            options.onError?.(err);
            const error = err instanceof Error ? err : new Error(String(err));
            return { ok: false, error: { errorType: error.name, errorMessage: error.message }, requestId: '' };
          }
        },
        discard: async ({ entries, lastInvocation }) => {
          stats.discarded += entries.length;
          options.onDiscard?.(entries.map((e) => e.record), lastInvocation?.ok === false ? 'function error' : 'batch item failures');
        },
        running: () => running,
        sleep,
      },
    );
    stats.retries += Math.max(0, invocations - 1);
  };

  const runShard = async (shardId: string) => {
    let iterator: string | undefined;
    const pending: KinesisStreamRecord[] = [];
    while (running) {
      try {
        if (pending.length < batchSize) {
          iterator ??= (
            await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
          ).ShardIterator;
          if (iterator) {
            const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
            iterator = page.NextShardIterator;
            for (const r of page.Records ?? []) pending.push(toLambdaRecord(r, { shardId, streamArn, region }));
          }
        }
        if (pending.length === 0) {
          idle.set(shardId, true);
          await sleep(intervalMs);
          continue;
        }
        idle.set(shardId, false);
        await deliver(pending.splice(0, batchSize));
      } catch (err) {
        options.onError?.(err);
        await sleep(intervalMs);
      }
    }
  };

  const loops = shards.map((s) => runShard(s));
  return {
    stats,
    async caughtUp(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      // Every shard must report idle again, which it does only after a fresh empty read with nothing pending.
      for (const s of shards) idle.set(s, false);
      while (![...idle.values()].every(Boolean)) {
        if (Date.now() > deadline) throw new Error(`stream ${streamName} not caught up within ${timeoutMs} ms`);
        await sleep(Math.min(50, intervalMs));
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
