/**
 * What an event publisher is given and what it reports: the Kinesis limits it batches within, its
 * options, its counters, and which events a nearly full buffer still takes. Shared by the inline
 * BufferedEventPublisher and the worker-thread one (worker-publisher.ts).
 */
import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { BidderEvent } from '../../events/types.js';

/** Kinesis PutRecords limits. */
export const KINESIS_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 5 * 1024 * 1024,
  maxBytesPerRecord: 1024 * 1024,
} as const;

/** The part of KinesisClient the publisher uses (tests pass a fake). */
export interface PutRecordsClient {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

export interface BufferedEventPublisherOptions {
  client: PutRecordsClient;
  /** One of streamName / streamArn. */
  streamName?: string;
  streamArn?: string;
  /** Records the buffer holds (queued + waiting to retry) before publish drops. Default 10,000. */
  capacity?: number;
  /** Flush a partial batch at least this often, ms. Default 100. */
  flushIntervalMs?: number;
  /** Default and maximum 500. */
  maxBatchRecords?: number;
  /** Default and maximum 5 MiB. */
  maxBatchBytes?: number;
  /** Sends per record, the first included. Default 5. */
  maxAttempts?: number;
  /** Backoff before retry n: between half and all of min(backoffMaxMs, backoffBaseMs * 2^(n-1)). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** PutRecords calls in flight at once. Default 4. */
  maxInFlight?: number;
  partitionKey?: (event: BidderEvent) => string;
  encode?: (event: BidderEvent) => Uint8Array;
  /** Told about calls that failed as a whole, and records given up on (for logs). Must not throw. */
  onError?: (error: unknown, info: { records: number; gaveUp: number }) => void;
  /**
   * Told after records left the publisher (sent, failed or dropped), so an owner that mirrors the
   * counters elsewhere (the publisher worker) can report them. Must not throw.
   */
  onSettled?: () => void;
  /** For tests. */
  random?: () => number;
  now?: () => number;
}

export interface PublisherStats {
  /** Records waiting in the buffer (queued or waiting to retry). */
  buffered: number;
  /** Records in PutRecords calls not yet answered. */
  inFlight: number;
  /** Records Kinesis accepted. */
  sent: number;
  /** Records never sent: buffer full, published after close, or still buffered at close's deadline. */
  dropped: number;
  /** Records given up on: attempts exhausted, not encodable, or larger than 1 MiB. */
  failed: number;
  /** Record re-sends scheduled after a failure. */
  retried: number;
  /** PutRecords calls made. */
  batches: number;
}

/**
 * Whether a buffer holding `held` of `capacity` records takes `event`. The last tenth is kept for
 * billing notices: budgets are rebuilt from their spend after a Redis loss, so a dropped bill is spend
 * the ledger never learns of, while a dropped auction or win event costs only analytics.
 */
export function admits(event: BidderEvent, held: number, capacity: number): boolean {
  return held < (event.type === 'notice.bill' ? capacity : capacity - Math.ceil(capacity / 10));
}
