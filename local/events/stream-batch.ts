/**
 * What Lambda's event source mapping does with one batch of a stream shard (DynamoDB Streams,
 * Kinesis), independent of where the records come from:
 *
 * - the function succeeds → the batch is done;
 * - with ReportBatchItemFailures, a response naming failed items → everything before the lowest
 *   failed sequence number is done, the rest is retried; an empty or null list is success; an item
 *   without an identifier, or one not in the batch, fails the whole batch;
 * - the function throws (or times out) → the whole batch is retried; with BisectBatchOnFunctionError
 *   it is split in two halves first, each handled like a batch (splitting uses no retry);
 * - after MaximumRetryAttempts retries (-1: no limit) the records still failing are discarded (the
 *   on-failure destination's part) with condition RetryAttemptsExhausted, and the shard moves on;
 * - records older than MaximumRecordAgeInSeconds (-1: no limit) are discarded before an invocation,
 *   with condition RecordAgeExceeded.
 */
import type { InvokeOutcome } from '../apigw/lambda-runtime.js';

export interface StreamBatchSettings {
  /** MaximumRetryAttempts; -1 = until the records expire. */
  maxRetryAttempts: number;
  /** MaximumRecordAgeInSeconds; -1 = no limit. */
  maxRecordAgeSeconds: number;
  bisectOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
}

export interface StreamEntry<R> {
  record: R;
  /** The record's sequence number: what a batch item failure names. */
  sequenceNumber: string;
  /** When the record reached the stream (ms since the epoch). */
  arrivalMs: number;
}

export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface DiscardedRecords<R> {
  entries: StreamEntry<R>[];
  condition: DiscardCondition;
  /** Invocations these records were part of (0: they aged out before any). */
  invokeCount: number;
  /** The last of those invocations. */
  lastInvocation: InvokeOutcome | undefined;
}

export interface DeliverBatchOptions<R> {
  settings: StreamBatchSettings;
  invoke(records: R[]): Promise<InvokeOutcome>;
  /** Hands records given up on to the on-failure destination (or logs them). */
  discard(discarded: DiscardedRecords<R>): Promise<void>;
  /** False once the mapping is stopping: the batch is left as it is. */
  running(): boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Pause before the n-th retry (1-based). @default 50 ms doubling, at most 1 s */
  retryDelayMs?: (retry: number) => number;
}

export type DeliverResult = 'done' | 'stopped';

type Verdict = { kind: 'done' } | { kind: 'retryFrom'; index: number } | { kind: 'functionError' };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const defaultRetryDelay = (retry: number) => Math.min(1_000, 50 * 2 ** (retry - 1));

/** How an invocation's outcome decides the batch's fate. */
export function verdictOf<R>(outcome: InvokeOutcome, entries: StreamEntry<R>[], reportBatchItemFailures: boolean): Verdict {
  if (!outcome.ok) return { kind: 'functionError' };
  if (!reportBatchItemFailures) return { kind: 'done' };
  const result = outcome.result as { batchItemFailures?: unknown } | null | undefined;
  const failures = result && typeof result === 'object' ? result.batchItemFailures : undefined;
  if (failures === undefined || failures === null) return { kind: 'done' };
  if (!Array.isArray(failures)) return { kind: 'retryFrom', index: 0 };
  if (failures.length === 0) return { kind: 'done' };
  let lowest = Infinity;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? entries.findIndex((e) => e.sequenceNumber === id) : -1;
    if (index < 0) return { kind: 'retryFrom', index: 0 };
    lowest = Math.min(lowest, index);
  }
  return { kind: 'retryFrom', index: lowest };
}

/**
 * Delivers one batch with Lambda's semantics (see above). Resolves 'done' once every record was
 * processed or discarded, 'stopped' when the mapping stopped first.
 */
export async function deliverStreamBatch<R>(entries: StreamEntry<R>[], options: DeliverBatchOptions<R>): Promise<DeliverResult> {
  return deliver(entries, options, { retries: 0, invokeCount: 0, lastInvocation: undefined });
}

interface Progress {
  retries: number;
  invokeCount: number;
  lastInvocation: InvokeOutcome | undefined;
}

async function deliver<R>(batch: StreamEntry<R>[], options: DeliverBatchOptions<R>, inherited: Progress): Promise<DeliverResult> {
  const { settings } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const retryDelay = options.retryDelayMs ?? defaultRetryDelay;
  const progress = { ...inherited };
  let pending = batch;
  while (pending.length > 0) {
    if (!options.running()) return 'stopped';
    if (settings.maxRecordAgeSeconds >= 0) {
      const limit = now() - settings.maxRecordAgeSeconds * 1000;
      const expired = pending.filter((e) => e.arrivalMs < limit);
      if (expired.length > 0) {
        await options.discard({ entries: expired, condition: 'RecordAgeExceeded', invokeCount: progress.invokeCount, lastInvocation: progress.lastInvocation });
        pending = pending.filter((e) => e.arrivalMs >= limit);
        continue;
      }
    }
    const outcome = await options.invoke(pending.map((e) => e.record));
    progress.invokeCount += 1;
    progress.lastInvocation = outcome;
    const verdict = verdictOf(outcome, pending, settings.reportBatchItemFailures);
    if (verdict.kind === 'done') return 'done';
    if (verdict.kind === 'functionError' && settings.bisectOnFunctionError && pending.length > 1) {
      const half = Math.ceil(pending.length / 2);
      if ((await deliver(pending.slice(0, half), options, progress)) === 'stopped') return 'stopped';
      return deliver(pending.slice(half), options, progress);
    }
    if (verdict.kind === 'retryFrom') pending = pending.slice(verdict.index);
    if (settings.maxRetryAttempts >= 0 && progress.retries >= settings.maxRetryAttempts) {
      await options.discard({ entries: pending, condition: 'RetryAttemptsExhausted', invokeCount: progress.invokeCount, lastInvocation: progress.lastInvocation });
      return 'done';
    }
    progress.retries += 1;
    await sleep(retryDelay(progress.retries));
  }
  return 'done';
}
