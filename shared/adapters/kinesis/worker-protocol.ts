/**
 * Messages between WorkerEventPublisher (the bidder's main thread) and its publisher worker
 * (publisher-worker.ts). Records travel as transferred buffers (record-batch.ts); everything else is
 * small structured-clone data.
 */
import type { KinesisClientOptions } from './client.js';
import type { BufferedEventPublisherOptions, PublisherStats } from './buffered-publisher.js';
import type { RecordBatch } from './record-batch.js';

/** The BufferedEventPublisher options that are plain data (the worker builds the publisher from them). */
type PublisherTuning = Pick<
  BufferedEventPublisherOptions,
  'streamName' | 'streamArn' | 'flushIntervalMs' | 'maxBatchRecords' | 'maxBatchBytes' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'maxInFlight'
>;

/** workerData: what the worker needs to build its own Kinesis client and BufferedEventPublisher. */
export interface PublisherWorkerConfig extends PublisherTuning {
  /** Structured-clonable KinesisClient options (region, endpoint, maxSockets …); credentials from the environment unless given. */
  client: Pick<KinesisClientOptions, 'region' | 'endpoint' | 'maxSockets' | 'requestTimeoutMs' | 'maxAttempts'> & {
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
  capacity: number;
}

export type ToWorker =
  | ({ type: 'records' } & RecordBatch)
  | { type: 'flush'; id: number; deadlineMs: number }
  | { type: 'close'; id: number; deadlineMs: number };

export type FromWorker =
  /** Cumulative counters of the worker's publisher (sent after records settle, throttled). */
  | { type: 'stats'; stats: PublisherStats }
  | { type: 'done'; id: number; stats: PublisherStats }
  | { type: 'error'; message: string; records: number; gaveUp: number };
