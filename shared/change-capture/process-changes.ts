/**
 * The change processor's use case: a batch of stream records (one shard, in commit order) → domain
 * events published in per-deal order; whatever cannot be published goes to the dead-letter queue with
 * its whole record, and holds its deal so that none of the deal's later changes overtakes it.
 *
 * Per record, in order:
 *   - items no event describes (the deal's budget, bidding settings) and writes that changed nothing
 *     are acknowledged;
 *   - a record of a held deal is dead-lettered as `held`, never published;
 *   - a record the domain cannot read is dead-lettered as `failed` at once (the same bytes will not read
 *     better on a retry), and holds its deal;
 *   - an event is published; a publication that failed in a way that may pass (throttling, an outage)
 *     is retried with exponential backoff up to `retry.attempts` times in all; one the topic refused
 *     for good (an invalid parameter, too large) is not retried. Either way it ends dead-lettered as
 *     `failed` (its deal's later events as `held`), without holding up the other deals' records.
 * Dead letters are written after their deal is held (so a crash in between at worst holds a deal with
 * nothing in the queue, which the redrive clears). If holding or dead-lettering itself fails, the
 * records concerned are reported as failed: the event source mapping retries from the first of them,
 * and everything replayed is deduplicated by event id.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { domainEventFromChange } from '../domain-events/from-change.js';
import type { DomainEvent } from '../domain-events/types.js';
import type { ChangeDeadLetter, ChangeDeadLetterQueue } from '../ports/change-dead-letters.js';
import type { DomainEventPublisher } from '../ports/domain-events.js';
import type { HeldDeals } from '../ports/held-deals.js';
import type { ReadStreamChange } from './stream-change.js';

export interface RetryPolicy {
  /** Publication attempts per event, the first included. */
  attempts: number;
  /** Backoff before retry n (1-based): min(maxDelayMs, baseDelayMs × 4^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

/** Dead letters without a deal key share this message group. */
export const UNATTRIBUTED_GROUP = 'unattributed';

export interface ChangeProcessorDeps {
  publisher: DomainEventPublisher;
  deadLetters: ChangeDeadLetterQueue;
  heldDeals: HeldDeals;
  readChange: ReadStreamChange;
  retry?: RetryPolicy;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface ProcessedBatch {
  published: DomainEvent[];
  /** Records acknowledged without an event (not an entity, or nothing changed). */
  ignored: number;
  deadLettered: ChangeDeadLetter[];
  /** Records to report to the event source mapping (dead-lettering them failed). */
  failedRecords: DynamoDBRecord[];
}

type Plan =
  | { kind: 'ignore' }
  | { kind: 'publish'; event: DomainEvent }
  | { kind: 'letter'; reason: ChangeDeadLetter['reason']; error: Error; attempts: number };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function backoffDelay(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 4 ** (retry - 1));
}

export async function processChanges(records: readonly DynamoDBRecord[], deps: ChangeProcessorDeps): Promise<ProcessedBatch> {
  const retry = deps.retry ?? DEFAULT_RETRY;
  const read = records.map((record) => ({ record, change: deps.readChange(record) }));
  const dealOf = (index: number) => read[index]!.change.dealId ?? UNATTRIBUTED_GROUP;
  const heldBefore = await deps.heldDeals.heldAmong([...new Set(read.map((_, index) => dealOf(index)))]);
  const held = new Set(heldBefore);

  // 1. Decide per record, in order; a deal stops at its first record that cannot go out.
  const plans: Plan[] = read.map(({ change }, index) => {
    const dealId = dealOf(index);
    if (held.has(dealId)) return { kind: 'letter', reason: 'held', error: new Error(`deal ${dealId} is held behind a dead-lettered change`), attempts: 0 };
    if (change.kind === 'ignored') return { kind: 'ignore' };
    if (change.kind === 'unreadable') {
      held.add(dealId);
      return { kind: 'letter', reason: 'failed', error: change.error, attempts: 1 };
    }
    const event = domainEventFromChange(change.change);
    return event ? { kind: 'publish', event } : { kind: 'ignore' };
  });

  // 2. Publish, retrying what failed; a deal's later events fail with its first failure (port contract).
  const pending = new Map<string, number>(); // event id → record index
  plans.forEach((plan, index) => plan.kind === 'publish' && pending.set(plan.event.eventId, index));
  const published: DomainEvent[] = [];
  const lastError = new Map<number, { error: Error; attempts: number }>();
  // A deal whose event was refused for good is not tried again: its later events wait behind that one.
  const refusedDeals = new Set<string>();
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    const events = [...pending.values()].filter((index) => !refusedDeals.has(dealOf(index))).map((index) => (plans[index] as { event: DomainEvent }).event);
    if (events.length === 0) break;
    if (attempt > 1) await (deps.sleep ?? defaultSleep)(backoffDelay(retry, attempt - 1));
    const outcomes = await deps.publisher.publish(events);
    outcomes.forEach((outcome, position) => {
      const index = pending.get(events[position]!.eventId)!;
      if (outcome.ok) {
        published.push(events[position]!);
        pending.delete(outcome.eventId);
        return;
      }
      lastError.set(index, { error: outcome.error, attempts: attempt });
      if (!outcome.retryable) refusedDeals.add(dealOf(index));
    });
  }
  // A deal's first unpublished event is the failed one; its later ones wait behind it.
  const stopped = new Set(heldBefore);
  plans.forEach((plan, index) => {
    const dealId = dealOf(index);
    if (plan.kind === 'letter') stopped.add(dealId);
    if (plan.kind !== 'publish' || !pending.has(plan.event.eventId)) return;
    plans[index] = stopped.has(dealId)
      ? { kind: 'letter', reason: 'held', error: new Error(`deal ${dealId} is held behind a dead-lettered change`), attempts: 0 }
      : { kind: 'letter', reason: 'failed', error: lastError.get(index)?.error ?? new Error('not published'), attempts: lastError.get(index)?.attempts ?? retry.attempts };
    stopped.add(dealId);
  });

  // 3. Hold, then dead-letter, in record order.
  const now = (deps.clock ?? (() => new Date()))().toISOString();
  const letters: { index: number; letter: ChangeDeadLetter }[] = [];
  plans.forEach((plan, index) => {
    if (plan.kind !== 'letter') return;
    const { record } = read[index]!;
    letters.push({
      index,
      letter: {
        record,
        dealId: dealOf(index),
        eventId: record.eventID ?? `${dealOf(index)}:${record.dynamodb?.SequenceNumber ?? index}`,
        reason: plan.reason,
        error: { name: plan.error.name, message: plan.error.message },
        attempts: plan.attempts,
        firstFailedAt: now,
        lastFailedAt: now,
      },
    });
  });
  let failedRecords: DynamoDBRecord[] = [];
  if (letters.length > 0) {
    try {
      for (const { letter } of letters) await deps.heldDeals.hold(letter.dealId, letter.eventId);
      await deps.deadLetters.send(letters.map(({ letter }) => letter));
    } catch {
      failedRecords = letters.map(({ index }) => read[index]!.record);
    }
  }
  return {
    published,
    ignored: plans.filter((plan) => plan.kind === 'ignore').length,
    deadLettered: failedRecords.length > 0 ? [] : letters.map(({ letter }) => letter),
    failedRecords,
  };
}
