/**
 * A DynamoDB stream → Lambda event source mapping, the way Lambda runs one: every shard of the
 * stream is read in order (a child shard only once its parent is finished), records are handed to
 * the function in batches of at most BatchSize (waiting up to MaximumBatchingWindowInSeconds to
 * fill one), one batch per shard at a time, and each batch is delivered with Lambda's retry,
 * partial-failure, bisect and record-age rules (stream-batch.ts). An empty shard is polled every
 * `pollIntervalMs` (100 ms: the commit → consumer latency matters more here than Lambda's
 * four polls a second).
 *
 * Shards are read from their start (TRIM_HORIZON) whatever StartingPosition says: the local table
 * is created with the stack, so its whole stream is what a mapping deployed with the table sees.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { InvokeOutcome } from '../apigw/lambda-runtime.js';
import { StreamError, type DynamoDbStreamReader, type StreamRecord } from '../dynamodb/stream.js';
import { Sleeper, type SourcePoller } from './pollers.js';
import { deliverStreamBatch, type DiscardedRecords, type StreamBatchSettings, type StreamEntry } from './stream-batch.js';

export interface DynamoDbStreamMappingOptions {
  name: string;
  reader: DynamoDbStreamReader;
  /** BatchSize (Lambda's default for DynamoDB: 100). */
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, in ms. */
  batchingWindowMs: number;
  settings: StreamBatchSettings;
  invoke(event: DynamoDBStreamEvent): Promise<InvokeOutcome>;
  /** Records given up on, with the shard they came from. */
  discard(discarded: DiscardedRecords<StreamRecord>, shardId: string): Promise<void>;
  log(line: string): void;
  /** @default 100 */
  pollIntervalMs?: number;
  /** How often new shards are looked for. @default 1000 */
  shardDiscoveryMs?: number;
}

interface ShardRun {
  shardId: string;
  parentShardId: string | undefined;
  /** Closed and read to its end: its children may start. */
  finished: boolean;
  /** When a read last found nothing new with nothing buffered; 0 while busy. */
  quietAt: number;
}

function entryOf(record: StreamRecord): StreamEntry<StreamRecord> {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    record,
    sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
    arrivalMs: typeof created === 'number' ? created * 1000 : Date.now(),
  };
}

export async function startDynamoDbStreamMapping(options: DynamoDbStreamMappingOptions): Promise<SourcePoller> {
  const { reader, batchSize, batchingWindowMs, log } = options;
  const interval = options.pollIntervalMs ?? 100;
  const discoveryMs = options.shardDiscoveryMs ?? 1_000;
  const sleeper = new Sleeper();
  const shards = new Map<string, ShardRun>();
  const loops: Promise<void>[] = [];
  let running = true;
  let taken = 0;
  let discoveredAt = 0;

  const runShard = async (run: ShardRun): Promise<void> => {
    // Per-key order across a shard split: the parent's records first.
    const parent = run.parentShardId ? shards.get(run.parentShardId) : undefined;
    while (parent && !parent.finished && running) await sleeper.sleep(interval);
    let iterator: string | undefined;
    let lastSequenceNumber: string | undefined;
    let closed = false;
    let trimmedAgain = false;
    const buffer: StreamEntry<StreamRecord>[] = [];
    let bufferedSince = 0;
    while (running) {
      try {
        if (!closed && iterator === undefined) {
          iterator = lastSequenceNumber
            ? await reader.shardIterator(run.shardId, 'AFTER_SEQUENCE_NUMBER', lastSequenceNumber)
            : await reader.shardIterator(run.shardId, 'TRIM_HORIZON');
        }
        let read = 0;
        if (iterator && buffer.length < batchSize) {
          const page = await reader.getRecords(iterator, Math.min(1_000, batchSize - buffer.length));
          read = page.records.length;
          if (read > 0 && buffer.length === 0) bufferedSince = Date.now();
          for (const record of page.records) buffer.push(entryOf(record));
          taken += read;
          lastSequenceNumber = page.records[read - 1]?.dynamodb?.SequenceNumber ?? lastSequenceNumber;
          iterator = page.nextIterator;
          trimmedAgain = false;
          if (!iterator) closed = true;
        }
        if (buffer.length === 0) {
          if (closed) {
            run.finished = true;
            return;
          }
          run.quietAt = Date.now();
          await sleeper.sleep(interval);
          continue;
        }
        run.quietAt = 0;
        const waited = Date.now() - bufferedSince;
        if (batchingWindowMs > 0 && buffer.length < batchSize && !closed && waited < batchingWindowMs) {
          if (read === 0) await sleeper.sleep(Math.min(interval, batchingWindowMs - waited));
          continue;
        }
        const batch = buffer.splice(0, batchSize);
        const result = await deliverStreamBatch(batch, {
          settings: options.settings,
          invoke: (records) => options.invoke({ Records: records }),
          discard: (discarded) => options.discard(discarded, run.shardId),
          running: () => running,
          sleep: (ms) => sleeper.sleep(ms),
        });
        if (result === 'stopped') return;
      } catch (err) {
        // An expired iterator is replaced on the next pass, after the last record read.
        if (err instanceof StreamError && err.type === 'ExpiredIteratorException') iterator = undefined;
        else if (err instanceof StreamError && err.type === 'TrimmedDataAccessException') {
          // The iterator lies before the shard's oldest record. DynamoDB Local numbers the records of all
          // tables in one sequence, so an iterator taken on an empty shard lies before the first record
          // written to it later. Start again after the last record read or, if that is gone too (past
          // the stream's retention, as Lambda would), at the oldest record.
          iterator = undefined;
          if (trimmedAgain) lastSequenceNumber = undefined;
          trimmedAgain = true;
          continue;
        } else if (running) {
          log(`${options.name}: shard ${run.shardId}: ${(err as Error).message}`);
        }
        await sleeper.sleep(interval);
      }
    }
  };

  const discover = async (): Promise<void> => {
    const started = Date.now();
    for (const shard of await reader.listShards()) {
      if (shards.has(shard.shardId)) continue;
      const run: ShardRun = { shardId: shard.shardId, parentShardId: shard.parentShardId, finished: false, quietAt: 0 };
      shards.set(shard.shardId, run);
      loops.push(runShard(run));
    }
    discoveredAt = started;
  };

  await discover();
  const discovery = (async () => {
    while (running) {
      await sleeper.sleep(discoveryMs);
      if (!running) break;
      await discover().catch((err: Error) => running && log(`${options.name}: listing shards: ${err.message}`));
    }
  })();

  return {
    name: options.name,
    get taken() {
      return taken;
    },
    async quietSince(sinceMs) {
      if (discoveredAt <= sinceMs) await discover();
      return [...shards.values()].every((s) => s.finished || s.quietAt > sinceMs);
    },
    async stop() {
      running = false;
      sleeper.wakeAll();
      await discovery;
      await Promise.all(loops);
    },
  };
}
