/**
 * WorkerEventPublisher: the bidder's EventSink on Kinesis with the sending done by a worker thread.
 *
 * A CPU profile of the bidder under load put a quarter of its main thread into the event path, most of
 * it in the AWS SDK (PutRecords JSON with every record base64-encoded, SigV4 payload hash, socket
 * writes) and in the garbage of per-event buffers. Here the main thread only encodes: every few
 * milliseconds it packs the events published since into one buffer (record-batch.ts: JSON.stringify +
 * encodeInto, no per-event allocation) and transfers it to the worker (publisher-worker.ts, no copy),
 * which runs the same BufferedEventPublisher as the inline path (batching, retries, limits).
 *
 *   publish(event)  O(1), synchronous, never throws: queues the event; events beyond `capacity` records
 *                   held (queued here, buffered or in flight in the worker) are dropped and counted;
 *                   the last tenth takes only billing notices (admits in buffered-publisher.ts).
 *   hand-off        `handoffMs` after the first queued event, or at once when `handoffRecords` are
 *                   queued: encode, transfer. Events must not be mutated after publish (as before).
 *   stats()         the worker's counters (sent after records settle) plus this side's drops and
 *                   encoding failures.
 *   flush / close   as BufferedEventPublisher's, run in the worker, bounded here by the same deadline;
 *                   close() then ends the worker. Records the worker had not settled when it answered
 *                   (or when it died) are counted as dropped.
 *   worker death    counted (its unsettled records as dropped), reported to onError, and a new worker
 *                   is started after `restartDelayMs`; events queue (up to capacity) meanwhile.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BidderEvent } from '../../events/types.js';
import type { EventSink } from '../../ports/event-sink.js';
import { admits, type PublisherStats } from './buffered-publisher.js';
import { RecordBatchWriter, transferListOf } from './record-batch.js';
import type { FromWorker, PublisherWorkerConfig, ToWorker } from './worker-protocol.js';

export interface WorkerEventPublisherOptions extends Omit<PublisherWorkerConfig, 'client' | 'capacity'> {
  /** Options of the worker's Kinesis client (it cannot be passed in: it lives in the worker). */
  client?: PublisherWorkerConfig['client'];
  /** Records held (queued here + buffered and in flight in the worker) before publish drops. Default 10,000. */
  capacity?: number;
  /** Longest an event waits on the main thread before its hand-off, ms. Default 5. */
  handoffMs?: number;
  /** Queued events that trigger a hand-off at once. Default 500. */
  handoffRecords?: number;
  /** Wait before a dead worker is replaced, ms. Default 1,000. */
  restartDelayMs?: number;
  partitionKey?: (event: BidderEvent) => string;
  /** Told about calls that failed as a whole, records given up on, and worker deaths (for logs). Must not throw. */
  onError?: (error: unknown, info: { records: number; gaveUp: number }) => void;
  /** The worker entry (default: publisher-worker.ts beside this file, or the bundle's kinesis-publisher-worker.mjs). */
  worker?: { url: URL; execArgv?: string[] };
}

const ZERO: PublisherStats = { buffered: 0, inFlight: 0, sent: 0, dropped: 0, failed: 0, retried: 0, batches: 0 };

/**
 * Where the worker's code is: beside this module when it runs from source (tsx, vitest: the .ts file,
 * loaded through tsx in the worker too), else next to the bundle (bidder/Dockerfile builds
 * dist/kinesis-publisher-worker.mjs beside dist/bidder.mjs).
 */
export function defaultWorkerEntry(moduleUrl: string = import.meta.url): { url: URL; execArgv?: string[] } {
  if (moduleUrl.endsWith('.ts')) {
    const inherited = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect'));
    const hasTsx = inherited.some((a, i) => (a === '--import' || a === '--loader') && /(^|\/)tsx(\/|$)/.test(inherited[i + 1] ?? ''));
    return { url: new URL('./publisher-worker.ts', moduleUrl), execArgv: hasTsx ? inherited : [...inherited, '--import', 'tsx'] };
  }
  return { url: new URL('./kinesis-publisher-worker.mjs', moduleUrl) };
}

export class WorkerEventPublisher implements EventSink {
  private readonly config: PublisherWorkerConfig;
  private readonly entry: { url: URL; execArgv?: string[] };
  private readonly capacity: number;
  private readonly handoffMs: number;
  private readonly handoffRecords: number;
  private readonly restartDelayMs: number;
  private readonly onError: WorkerEventPublisherOptions['onError'];
  private readonly writer: RecordBatchWriter;

  private worker: Worker | undefined;
  private queue: BidderEvent[] = [];
  private handoffTimer: NodeJS.Timeout | undefined;
  private handoffImmediate: NodeJS.Immediate | undefined;
  /** Records given to the current worker, and its last reported counters. */
  private handedOff = 0;
  private remote: PublisherStats = ZERO;
  /** Counters of this side and of workers that are gone. */
  private readonly local = { sent: 0, dropped: 0, failed: 0, retried: 0, batches: 0 };
  private closed = false;
  private closing: Promise<void> | undefined;
  private nextRequest = 1;
  private readonly replies = new Map<number, () => void>();

  constructor(options: WorkerEventPublisherOptions) {
    if (!options.streamName === !options.streamArn) throw new Error('WorkerEventPublisher needs exactly one of streamName and streamArn');
    const { client, capacity, handoffMs, handoffRecords, restartDelayMs, partitionKey, onError, worker, ...tuning } = options;
    this.capacity = positiveInt(capacity ?? 10_000, 'capacity');
    this.config = { ...tuning, client: client ?? {}, capacity: this.capacity };
    this.handoffMs = Math.max(0, handoffMs ?? 5);
    this.handoffRecords = positiveInt(handoffRecords ?? 500, 'handoffRecords');
    this.restartDelayMs = Math.max(0, restartDelayMs ?? 1_000);
    this.onError = onError;
    this.writer = new RecordBatchWriter(partitionKey);
    this.entry = worker ?? defaultWorkerEntry();
    // Fail at start, not with silently dropped events: a bundle without its worker file is a build bug.
    if (this.entry.url.protocol === 'file:' && !existsSync(fileURLToPath(this.entry.url))) {
      throw new Error(`WorkerEventPublisher: worker entry ${this.entry.url.href} not found`);
    }
    this.start();
  }

  /** Hot path: O(1), no I/O, never throws. */
  publish(event: BidderEvent): void {
    try {
      if (this.closed || !admits(event, this.held(), this.capacity)) {
        this.local.dropped += 1;
        return;
      }
      this.queue.push(event);
      if (this.queue.length >= this.handoffRecords) this.handoffSoon();
      else this.handoffTimer ??= unrefd(setTimeout(() => this.handoff(), this.handoffMs));
    } catch {
      this.local.dropped += 1;
    }
  }

  stats(): PublisherStats {
    const r = this.remote;
    return {
      buffered: this.queue.length + Math.max(0, this.unsettled() - r.inFlight),
      inFlight: r.inFlight,
      sent: this.local.sent + r.sent,
      dropped: this.local.dropped + r.dropped,
      failed: this.local.failed + r.failed,
      retried: this.local.retried + r.retried,
      batches: this.local.batches + r.batches,
    };
  }

  /** Hands everything over and waits for the worker's flush (same deadline semantics, default 30 s). */
  async flush(options: { deadlineMs?: number } = {}): Promise<void> {
    const deadlineMs = options.deadlineMs ?? 30_000;
    this.handoff();
    if (this.unsettled() === 0 && this.queue.length === 0) return;
    await this.request('flush', deadlineMs);
  }

  /** Stops taking events, drains within the deadline (default 5 s), ends the worker. Safe to call twice. */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    this.closed = true;
    return (this.closing ??= this.shutDown(options.deadlineMs ?? 5_000));
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    this.handoff();
    const worker = this.worker;
    if (worker) await this.request('close', deadlineMs);
    this.retire();
    // What never reached a worker (none was running) is lost too.
    this.local.dropped += this.queue.length;
    this.queue = [];
    if (worker) await worker.terminate();
  }

  /** Records given to the current worker that it has not reported sent, failed or dropped. */
  private unsettled(): number {
    return this.handedOff - (this.remote.sent + this.remote.failed + this.remote.dropped);
  }

  private held(): number {
    return this.queue.length + this.unsettled();
  }

  private handoffSoon(): void {
    this.handoffImmediate ??= setImmediate(() => this.handoff());
  }

  /** Encodes the queued events into one batch and transfers it to the worker. */
  private handoff(): void {
    if (this.handoffTimer) clearTimeout(this.handoffTimer);
    if (this.handoffImmediate) clearImmediate(this.handoffImmediate);
    this.handoffTimer = undefined;
    this.handoffImmediate = undefined;
    const worker = this.worker;
    if (!worker || this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      try {
        this.writer.write(event);
      } catch (err) {
        this.local.failed += 1;
        this.report(err, 1, 1);
      }
    }
    const count = this.writer.count;
    if (count === 0) return;
    const batch = this.writer.take();
    this.handedOff += count;
    try {
      worker.postMessage({ type: 'records', ...batch } satisfies ToWorker, transferListOf(batch));
    } catch (err) {
      // Not cloneable / worker gone: these records are lost.
      this.handedOff -= count;
      this.local.dropped += count;
      this.report(err, count, 0);
    }
  }

  private request(type: 'flush' | 'close', deadlineMs: number): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    const id = this.nextRequest++;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.replies.delete(id);
        resolve();
      };
      // Ref'd on purpose (like the inline publisher's drain): keeps the process alive while draining.
      // A little past the worker's own deadline, so a healthy worker's answer (and counters) arrive first.
      const timer = setTimeout(done, Math.max(0, deadlineMs) + 250);
      this.replies.set(id, done);
      worker.postMessage({ type, id, deadlineMs } satisfies ToWorker);
    });
  }

  private start(): void {
    const worker = new Worker(this.entry.url, {
      workerData: this.config,
      ...(this.entry.execArgv ? { execArgv: this.entry.execArgv } : {}),
    });
    // The worker alone must not keep the process alive (as the inline publisher's timers do not).
    worker.unref();
    worker.on('message', (message: FromWorker) => this.onMessage(worker, message));
    worker.on('error', (err) => this.report(err, 0, 0));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.retire();
      if (this.closed) return;
      this.report(new Error(`event publisher worker exited (code ${code}); restarting in ${this.restartDelayMs} ms`), 0, 0);
      unrefd(setTimeout(() => !this.closed && !this.worker && this.start(), this.restartDelayMs));
    });
    this.worker = worker;
    this.handedOff = 0;
    this.remote = ZERO;
    if (this.queue.length > 0) this.handoffSoon();
  }

  /** Folds the current worker's counters into ours; what it had not settled is dropped. */
  private retire(): void {
    if (!this.worker) return;
    const r = this.remote;
    this.local.sent += r.sent;
    this.local.failed += r.failed;
    this.local.retried += r.retried;
    this.local.batches += r.batches;
    this.local.dropped += r.dropped + Math.max(0, this.unsettled());
    this.worker = undefined;
    this.handedOff = 0;
    this.remote = ZERO;
    for (const done of [...this.replies.values()]) done();
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    if (this.worker !== worker) return;
    switch (message.type) {
      case 'stats':
        this.remote = message.stats;
        return;
      case 'done':
        this.remote = message.stats;
        this.replies.get(message.id)?.();
        return;
      case 'error':
        this.report(new Error(message.message), message.records, message.gaveUp);
        return;
    }
  }

  private report(error: unknown, records: number, gaveUp: number): void {
    try {
      this.onError?.(error, { records, gaveUp });
    } catch {
      // never let a logging hook break publishing
    }
  }
}

function unrefd<T extends { unref(): T }>(timer: T): T {
  return timer.unref();
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
