/**
 * BufferedEventPublisher: the bidder's EventSink on Kinesis, built so the hot path never waits.
 *
 *   publish(event)  O(1), synchronous, never throws: appends to a bounded in-memory buffer; when the
 *                   buffer holds `capacity` records (retries included), the event is dropped and counted.
 *                   The last tenth of the capacity takes only billing notices (see admits).
 *   flusher         a background timer (every `flushIntervalMs`, or at once when a full batch is waiting)
 *                   sends PutRecords batches of ≤ `maxBatchRecords` (500) records and ≤ `maxBatchBytes`
 *                   (5 MiB, data + partition keys, as Kinesis counts) with up to `maxInFlight` calls in
 *                   parallel. Records are JSON-encoded here, off the hot path (so a published event must
 *                   not be mutated afterwards).
 *   failures        PutRecords answers per record: a record with an ErrorCode
 *                   (ProvisionedThroughputExceededException, InternalFailure, KMS throttling …) is retried
 *                   on its own after a jittered exponential backoff, up to `maxAttempts` sends in all; a
 *                   call that fails as a whole retries every record in it the same way. A record that
 *                   exhausts its attempts, cannot be encoded or is larger than 1 MiB is counted as `failed`.
 *   shutdown        close() stops taking events and drains until `deadlineMs`; what is still buffered then
 *                   is counted as `dropped`.
 *
 * The bidder runs this inside a worker thread (worker-publisher.ts / publisher-worker.ts), fed with
 * records encoded on the main thread (publishRecord); publish(event) is the inline form.
 *
 * Ordering: records of one partition key usually arrive in publish order, but a retried record lands
 * after records published later. Consumers of these events do not depend on order (spend is additive and
 * idempotent per event id).
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { encodeEvent, explicitHashKeyOf, partitionKeyOf } from '../../events/codec.js';
import type { BidderEvent } from '../../events/types.js';
import type { EventSink } from '../../ports/event-sink.js';
import { admits, KINESIS_LIMITS, type BufferedEventPublisherOptions, type PublisherStats, type PutRecordsClient } from './publisher-contract.js';
import type { EncodedRecord } from './record-batch.js';

export { admits, KINESIS_LIMITS, type BufferedEventPublisherOptions, type PublisherStats, type PutRecordsClient } from './publisher-contract.js';

interface Pending {
  /** Absent on records handed in already encoded (publishRecord). */
  event?: BidderEvent;
  data?: Uint8Array;
  key?: string;
  /** Pins the record to one shard (heartbeats). */
  hashKey?: string;
  bytes: number;
  attempts: number;
  readyAt: number;
}

const utf8 = new TextEncoder();

export class BufferedEventPublisher implements EventSink {
  private readonly client: PutRecordsClient;
  private readonly target: { StreamName?: string; StreamARN?: string };
  private readonly capacity: number;
  private readonly maxBatchRecords: number;
  private readonly maxBatchBytes: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxInFlight: number;
  private readonly keyOf: (event: BidderEvent) => string;
  private readonly encode: (event: BidderEvent) => Uint8Array;
  private readonly onError: BufferedEventPublisherOptions['onError'];
  private readonly onSettled: BufferedEventPublisherOptions['onSettled'];
  private readonly random: () => number;
  private readonly now: () => number;

  private queue: Pending[] = [];
  private head = 0;
  private retries: Pending[] = [];
  /** The pump for the earliest retry not due yet (at most one armed), and when it is due. */
  private retryTimer: NodeJS.Timeout | undefined;
  private retryTimerDue = 0;
  private inFlightRecords = 0;
  private inFlightCalls = 0;
  private closed = false;
  /** close() returned: calls still in flight then may finish, but nothing is retried any more. */
  private abandoned = false;
  private pumpScheduled = false;
  private draining = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly idleWaiters = new Set<() => void>();
  private readonly counters = { sent: 0, dropped: 0, failed: 0, retried: 0, batches: 0 };

  constructor(options: BufferedEventPublisherOptions) {
    if (!options.streamName === !options.streamArn) throw new Error('BufferedEventPublisher needs exactly one of streamName and streamArn');
    this.client = options.client;
    this.target = options.streamArn ? { StreamARN: options.streamArn } : { StreamName: options.streamName! };
    this.capacity = positiveInt(options.capacity ?? 10_000, 'capacity');
    this.maxBatchRecords = Math.min(positiveInt(options.maxBatchRecords ?? 500, 'maxBatchRecords'), KINESIS_LIMITS.maxRecordsPerCall);
    this.maxBatchBytes = Math.min(positiveInt(options.maxBatchBytes ?? KINESIS_LIMITS.maxBytesPerCall, 'maxBatchBytes'), KINESIS_LIMITS.maxBytesPerCall);
    this.maxAttempts = positiveInt(options.maxAttempts ?? 5, 'maxAttempts');
    this.backoffBaseMs = Math.max(0, options.backoffBaseMs ?? 50);
    this.backoffMaxMs = Math.max(this.backoffBaseMs, options.backoffMaxMs ?? 2_000);
    this.maxInFlight = positiveInt(options.maxInFlight ?? 4, 'maxInFlight');
    this.keyOf = options.partitionKey ?? partitionKeyOf;
    this.encode = options.encode ?? encodeEvent;
    this.onError = options.onError;
    this.onSettled = options.onSettled;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    const interval = positiveInt(options.flushIntervalMs ?? 100, 'flushIntervalMs');
    this.timer = setInterval(() => this.pump(), interval);
    this.timer.unref();
  }

  /** Hot path: O(1), no I/O, never throws. */
  publish(event: BidderEvent): void {
    try {
      if (this.closed || !admits(event, this.bufferedCount(), this.capacity)) {
        this.counters.dropped += 1;
        return;
      }
      this.queue.push({ event, bytes: 0, attempts: 0, readyAt: 0 });
      if (this.queue.length - this.head >= this.maxBatchRecords) this.schedulePump();
    } catch {
      this.counters.dropped += 1;
    }
  }

  /**
   * publish() for a record encoded elsewhere (the publisher worker gets records as bytes): same buffer,
   * batching and retries. A record without a key or over 1 MiB is counted failed.
   */
  publishRecord(record: EncodedRecord): void {
    try {
      if (this.closed || this.bufferedCount() >= this.capacity) {
        this.counters.dropped += 1;
        return;
      }
      const bytes = record.data.byteLength + utf8.encode(record.key).byteLength;
      if (record.key.length === 0 || bytes > KINESIS_LIMITS.maxBytesPerRecord) {
        this.counters.failed += 1;
        this.report(new Error(`record of ${bytes} bytes (key "${record.key}") cannot be sent`), 1, 1);
        return;
      }
      const pending: Pending = { data: record.data, key: record.key, bytes, attempts: 0, readyAt: 0 };
      if (record.hashKey) pending.hashKey = record.hashKey;
      this.queue.push(pending);
      if (this.queue.length - this.head >= this.maxBatchRecords) this.schedulePump();
    } catch {
      this.counters.dropped += 1;
    }
  }

  stats(): PublisherStats {
    return { buffered: this.bufferedCount(), inFlight: this.inFlightRecords, ...this.counters };
  }

  /** Sends everything buffered; resolves when nothing is buffered or in flight, or at the deadline (default 30 s). */
  async flush(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.isIdle()) return;
    this.draining += 1;
    try {
      this.pump();
      await this.waitIdle(options.deadlineMs ?? 30_000);
    } finally {
      this.draining -= 1;
    }
  }

  /** Stops taking events, drains until the deadline (default 5 s), counts what is left as dropped. Safe to call twice. */
  async close(options: { deadlineMs?: number } = {}): Promise<void> {
    const first = !this.closed;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush({ deadlineMs: options.deadlineMs ?? 5_000 });
    if (first || this.bufferedCount() > 0) {
      this.counters.dropped += this.bufferedCount();
      this.queue = [];
      this.head = 0;
      this.retries = [];
    }
    this.abandoned = true;
    this.settled();
  }

  private bufferedCount(): number {
    return this.queue.length - this.head + this.retries.length;
  }

  private isIdle(): boolean {
    return this.bufferedCount() === 0 && this.inFlightRecords === 0;
  }

  private waitIdle(deadlineMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      // Ref'd on purpose: keeps the process alive while draining (the flusher's own timers are unref'd).
      const timer = setTimeout(done, Math.max(0, deadlineMs));
      this.idleWaiters.add(done);
      if (this.isIdle()) done();
    });
  }

  private notifyIfIdle(): void {
    if (this.isIdle()) for (const waiter of [...this.idleWaiters]) waiter();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    }).unref();
  }

  /** Starts as many PutRecords calls as allowed and ready. */
  private pump(): void {
    while (this.inFlightCalls < this.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      void this.send(batch);
    }
    this.armRetryTimer();
    this.notifyIfIdle();
  }

  /**
   * Makes sure a retry that is not due yet gets a pump when it is. A timer can fire before Date.now()
   * reaches the due time (libuv measures it from the loop's cached clock), and a retry left waiting
   * with no timer would sit until the next publish, or for ever while draining.
   */
  private armRetryTimer(): void {
    if (this.retries.length === 0) return;
    const due = this.retries.reduce((earliest, record) => Math.min(earliest, record.readyAt), Number.POSITIVE_INFINITY);
    if (this.retryTimer && this.retryTimerDue <= due) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimerDue = due;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(due - this.now())));
    this.retryTimer.unref();
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    const now = this.now();
    const fits = (record: Pending): boolean | 'skip' => {
      if (!this.prepare(record)) return 'skip';
      if (batch.length >= this.maxBatchRecords || bytes + record.bytes > this.maxBatchBytes) return false;
      return true;
    };
    if (this.retries.length > 0) {
      const waiting: Pending[] = [];
      for (const record of this.retries) {
        if (record.readyAt > now) {
          waiting.push(record);
          continue;
        }
        const ok = fits(record);
        if (ok === 'skip') continue;
        if (!ok) {
          waiting.push(record);
          continue;
        }
        batch.push(record);
        bytes += record.bytes;
      }
      this.retries = waiting;
    }
    while (this.head < this.queue.length) {
      const record = this.queue[this.head]!;
      const ok = fits(record);
      if (ok === false) break;
      this.head += 1;
      if (ok === 'skip') continue;
      batch.push(record);
      bytes += record.bytes;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** Encodes a record once; false (and counted failed) when it cannot be sent at all. */
  private prepare(record: Pending): boolean {
    if (record.data) return true;
    try {
      const event = record.event!;
      const data = this.encode(event);
      const key = this.keyOf(event);
      const bytes = data.byteLength + utf8.encode(key).byteLength;
      if (key.length === 0 || bytes > KINESIS_LIMITS.maxBytesPerRecord) throw new Error(`record of ${bytes} bytes (key "${key}") cannot be sent`);
      record.data = data;
      record.key = key;
      record.hashKey = explicitHashKeyOf(event);
      record.bytes = bytes;
      return true;
    } catch (err) {
      this.counters.failed += 1;
      this.report(err, 1, 1);
      return false;
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    this.inFlightCalls += 1;
    this.inFlightRecords += batch.length;
    this.counters.batches += 1;
    const failed: Pending[] = [];
    try {
      const out = await this.client.send(
        new PutRecordsCommand({ ...this.target, Records: batch.map((r) => ({ Data: r.data!, PartitionKey: r.key!, ...(r.hashKey ? { ExplicitHashKey: r.hashKey } : {}) })) }),
      );
      const results = out.Records ?? [];
      batch.forEach((record, i) => {
        const result = results[i];
        // A missing entry cannot be confirmed: resend it (at-least-once; consumers dedupe by event id).
        if (!result || result.ErrorCode || !result.SequenceNumber) failed.push(record);
        else this.counters.sent += 1;
      });
    } catch (err) {
      failed.push(...batch);
      this.report(err, batch.length, 0);
    } finally {
      this.inFlightCalls -= 1;
      this.inFlightRecords -= batch.length;
    }
    if (failed.length > 0) this.retryOrGiveUp(failed);
    this.settled();
    if (this.draining > 0 || this.queue.length - this.head >= this.maxBatchRecords) this.pump();
    else this.notifyIfIdle();
  }

  private retryOrGiveUp(records: Pending[]): void {
    if (this.abandoned) {
      this.counters.dropped += records.length;
      return;
    }
    const now = this.now();
    let gaveUp = 0;
    for (const record of records) {
      record.attempts += 1;
      if (record.attempts >= this.maxAttempts) {
        gaveUp += 1;
        continue;
      }
      const cap = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (record.attempts - 1));
      record.readyAt = now + cap / 2 + this.random() * (cap / 2);
      this.retries.push(record);
      this.counters.retried += 1;
    }
    if (gaveUp > 0) {
      this.counters.failed += gaveUp;
      this.report(new Error(`gave up on ${gaveUp} record(s) after ${this.maxAttempts} attempts`), records.length, gaveUp);
    }
    this.armRetryTimer();
  }

  private settled(): void {
    try {
      this.onSettled?.();
    } catch {
      // a reporting hook must not break the flusher either
    }
  }

  private report(error: unknown, records: number, gaveUp: number): void {
    try {
      this.onError?.(error, { records, gaveUp });
    } catch {
      // never let a logging hook break the flusher
    }
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
