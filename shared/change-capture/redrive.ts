/**
 * Redrive: replays dead-lettered stream records through the same path as the change processor, once
 * their cause is fixed. Idempotent: an event published again is deduplicated by its id (by the topic,
 * then by each consumer's applied-event marker), and a letter is removed only after its event went out.
 *
 * Order: the queue hands out a deal's letters in the order they were written (FIFO message group =
 * deal id, one in flight per group). A letter whose record still fails stays at the head of its group
 * (returned to the queue when the run ends), so the deal's later letters wait for it; other deals go
 * on. A deal is released from being held event by event, as its letters are replayed.
 */
import { domainEventFromChange } from '../domain-events/from-change.js';
import type { ChangeDeadLetterQueue, ReceivedDeadLetter } from '../ports/change-dead-letters.js';
import type { DomainEventPublisher } from '../ports/domain-events.js';
import type { HeldDeals } from '../ports/held-deals.js';
import type { ReadStreamChange } from './stream-change.js';

export interface RedriveDeps {
  deadLetters: ChangeDeadLetterQueue;
  publisher: DomainEventPublisher;
  heldDeals: HeldDeals;
  readChange: ReadStreamChange;
  /** Stop after this many letters (a Lambda's time is bounded). @default no limit */
  maxLetters?: number;
  /** Stop when this returns true (e.g. the Lambda's remaining time runs low). */
  shouldStop?: () => boolean;
}

export interface StillFailing {
  eventId: string;
  dealId: string;
  error: string;
  /** Processing attempts so far, this redrive's included. */
  attempts: number;
}

export interface RedriveReport {
  /** Letters whose event was published now (or had been already). */
  replayed: number;
  /** Letters whose record holds nothing to publish (e.g. a budget item): removed. */
  acknowledged: number;
  stillFailing: StillFailing[];
  /** Messages that are not dead letters of this processor: left in the queue for a person. */
  unreadableMessages: number;
}

export async function redriveChanges(deps: RedriveDeps): Promise<RedriveReport> {
  const report: RedriveReport = { replayed: 0, acknowledged: 0, stillFailing: [], unreadableMessages: 0 };
  const keepInQueue: string[] = [];
  let handled = 0;
  try {
    while (!deps.shouldStop?.() && handled < (deps.maxLetters ?? Number.POSITIVE_INFINITY)) {
      const received = await deps.deadLetters.receive({ max: 10 });
      if (received.length === 0) break;
      // A batch may hold several letters of one deal, in order: stop a deal at its first failure.
      const failedDeals = new Set<string>();
      for (const message of received) {
        handled += 1;
        const dealId = message.letter?.dealId;
        if (!message.letter || !dealId) {
          report.unreadableMessages += 1;
          keepInQueue.push(message.receipt);
          continue;
        }
        if (failedDeals.has(dealId)) {
          keepInQueue.push(message.receipt);
          continue;
        }
        const failure = await replay(message, deps);
        if (failure === 'published' || failure === 'acknowledged') {
          await deps.heldDeals.release(dealId, message.letter.eventId);
          await deps.deadLetters.remove([message.receipt]);
          if (failure === 'published') report.replayed += 1;
          else report.acknowledged += 1;
          continue;
        }
        failedDeals.add(dealId);
        keepInQueue.push(message.receipt);
        report.stillFailing.push({
          eventId: message.letter.eventId,
          dealId,
          error: failure.message,
          attempts: message.letter.attempts + message.receiveCount,
        });
      }
    }
  } finally {
    // Failed and skipped letters become visible again at once, at the head of their groups.
    if (keepInQueue.length > 0) await deps.deadLetters.returnToQueue(keepInQueue);
  }
  return report;
}

async function replay(message: ReceivedDeadLetter, deps: RedriveDeps): Promise<'published' | 'acknowledged' | Error> {
  const change = deps.readChange(message.letter!.record);
  if (change.kind === 'unreadable') return change.error;
  if (change.kind === 'ignored') return 'acknowledged';
  const event = domainEventFromChange(change.change);
  if (!event) return 'acknowledged';
  const [outcome] = await deps.publisher.publish([event]);
  return outcome?.ok ? 'published' : (outcome?.error ?? new Error('not published'));
}
