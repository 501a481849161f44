import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readStreamChange } from '../../../shared/adapters/dynamodb/stream-changes.js';
import { dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import { MemoryChangeDeadLetterQueue } from '../../../shared/adapters/memory/memory-change-dead-letters.js';
import { MemoryDomainEventPublisher } from '../../../shared/adapters/memory/memory-domain-event-publisher.js';
import { MemoryHeldDeals } from '../../../shared/adapters/memory/memory-held-deals.js';
import { processChanges, type ChangeProcessorDeps } from '../../../shared/change-capture/process-changes.js';
import { redriveChanges } from '../../../shared/change-capture/redrive.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import { aDeal } from '../domain/fixtures.js';
import { budgetRecord, dealRecord, streamRecord } from './records.js';

function harness() {
  const publisher = new MemoryDomainEventPublisher();
  const deadLetters = new MemoryChangeDeadLetterQueue();
  const heldDeals = new MemoryHeldDeals();
  const delays: number[] = [];
  const deps: ChangeProcessorDeps = {
    publisher,
    deadLetters,
    heldDeals,
    readChange: readStreamChange,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 },
    sleep: async (ms) => void delays.push(ms),
  };
  return { publisher, deadLetters, heldDeals, delays, deps };
}

/** Versions 1..n of one deal, as consecutive stream records. */
function dealHistory(dealId: string, versions: number): ReturnType<typeof dealRecord>[] {
  const states: Deal[] = [];
  for (let version = 1; version <= versions; version++) states.push(aDeal({ id: dealId, name: `${dealId} v${version}`, version }));
  return states.map((state, index) => dealRecord(states[index - 1], state, `${dealId}-e${index + 1}`));
}

describe('the change processor', () => {
  it('publishes one event per deal or campaign change and acknowledges the budget item', async () => {
    // Prepare
    const { deps, publisher } = harness();
    const deal = aDeal();
    // Act
    const batch = await processChanges([dealRecord(undefined, deal, 'e1'), budgetRecord(deal)], deps);
    // Assess
    expect(publisher.published.map((e) => [e.type, e.eventId])).toEqual([['deal.created', 'e1']]);
    expect(batch).toMatchObject({ ignored: 1, deadLettered: [], failedRecords: [] });
  });

  it('gives a redelivered record the same event id, so publishing it again has no second effect', async () => {
    const { deps, publisher } = harness();
    const record = dealRecord(undefined, aDeal(), 'stream-42');
    await processChanges([record], deps);
    await processChanges([record], deps);
    expect(publisher.published.map((e) => e.eventId)).toEqual(['stream-42']);
  });

  it('retries a refused event with growing backoff, then dead-letters the whole record and holds its deal; other deals flow', async () => {
    // Prepare
    const { deps, publisher, deadLetters, heldDeals, delays } = harness();
    const [a1, a2] = dealHistory('deal-a', 2);
    const [b1] = dealHistory('deal-b', 1);
    publisher.refuse = (event) => (event.eventId === 'deal-a-e1' ? new Error('topic refused it') : undefined);
    // Act
    const batch = await processChanges([a1!, b1!, a2!], deps);
    // Assess
    expect(publisher.attempts.get('deal-a-e1')).toBe(3);
    expect(delays).toEqual([100, 400]);
    expect(publisher.published.map((e) => e.eventId)).toEqual(['deal-b-e1']);
    expect(deadLetters.letters.map((l) => [l.eventId, l.reason, l.attempts, l.error.message])).toEqual([
      ['deal-a-e1', 'failed', 3, 'topic refused it'],
      ['deal-a-e2', 'held', 0, 'deal deal-a is held behind a dead-lettered change'],
    ]);
    expect(deadLetters.letters[0]!.record).toEqual(a1);
    expect([...heldDeals.held.get('deal-a')!]).toEqual(['deal-a-e1', 'deal-a-e2']);
    expect(batch.failedRecords).toEqual([]);
  });

  it('does not retry an event the topic refused for good, and does not hold up other deals meanwhile', async () => {
    // Prepare
    const { deps, publisher, deadLetters, delays } = harness();
    const [a1, a2] = dealHistory('deal-a', 2);
    const [b1] = dealHistory('deal-b', 1);
    publisher.refuse = (event) => (event.dealId === 'deal-a' ? { error: new Error('InvalidParameter: message too long'), retryable: false } : undefined);
    // Act
    await processChanges([a1!, a2!, b1!], deps);
    // Assess
    expect(publisher.attempts.get('deal-a-e1')).toBe(1);
    expect(delays).toEqual([]);
    expect(publisher.published.map((e) => e.eventId)).toEqual(['deal-b-e1']);
    expect(deadLetters.letters.map((l) => [l.eventId, l.reason, l.attempts])).toEqual([
      ['deal-a-e1', 'failed', 1],
      ['deal-a-e2', 'held', 0],
    ]);
  });

  it('dead-letters an unreadable record at once and holds every later record of its deal, even in later batches', async () => {
    // Prepare
    const { deps, publisher, deadLetters } = harness();
    const poison = streamRecord(undefined, { ...dealToItem(aDeal({ id: 'deal-p' })), status: 'on_hold' }, 'poison');
    const [later] = dealHistory('deal-p', 1);
    // Act
    await processChanges([poison], deps);
    await processChanges([later!], deps);
    // Assess
    expect(publisher.attempts.has('poison')).toBe(false);
    expect(publisher.published).toEqual([]);
    expect(deadLetters.letters.map((l) => [l.eventId, l.reason, l.attempts])).toEqual([
      ['poison', 'failed', 1],
      ['deal-p-e1', 'held', 0],
    ]);
    expect(deadLetters.letters[0]!.error.message).toMatch(/status "on_hold"/);
  });

  it('reports the records whose dead-lettering failed, so the event source mapping retries them', async () => {
    const { deps, publisher, deadLetters } = harness();
    const [a1] = dealHistory('deal-a', 1);
    publisher.refuse = () => new Error('down');
    deadLetters.failSends = true;
    const batch = await processChanges([a1!], deps);
    expect(batch.failedRecords).toEqual([a1]);
    expect(batch.deadLettered).toEqual([]);
  });
});

describe('redrive', () => {
  it('replays dead letters in order once the cause is fixed, releases the deal, and a second run changes nothing', async () => {
    // Prepare
    const { deps, publisher, deadLetters, heldDeals } = harness();
    const history = dealHistory('deal-a', 3);
    publisher.refuse = (event) => (event.eventId === 'deal-a-e2' ? new Error('refused') : undefined);
    await processChanges(history, deps);
    // Act: still failing, then fixed
    const stillBroken = await redriveChanges(deps);
    publisher.refuse = () => undefined;
    const fixed = await redriveChanges(deps);
    const again = await redriveChanges(deps);
    // Assess
    expect(stillBroken).toMatchObject({ replayed: 0, stillFailing: [{ eventId: 'deal-a-e2', dealId: 'deal-a', attempts: 4 }] });
    expect(fixed).toMatchObject({ replayed: 2, stillFailing: [] });
    expect(again).toMatchObject({ replayed: 0, stillFailing: [], unreadableMessages: 0 });
    expect(publisher.published.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(heldDeals.held.size).toBe(0);
    expect(deadLetters.letters).toEqual([]);
  });

  it('leaves a message that is not a dead letter in the queue and says so', async () => {
    const { deps, deadLetters } = harness();
    deadLetters.sendRaw('{"requestContext":{"condition":"RetryAttemptsExhausted"}}');
    const report = await redriveChanges(deps);
    expect(report.unreadableMessages).toBe(1);
    expect(deadLetters.letters).toHaveLength(1);
  });

  it('keeps every deal in version order and publishes each change exactly once, whatever is refused and replayed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('d1', 'd2', 'd3', 'd4'), { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        async (writers, refusals, batchSize) => {
          // Prepare: interleaved commits of four deals, cut into batches; some events refused at first
          const { deps, publisher } = harness();
          const versions = new Map<string, Deal>();
          const records = writers.map((dealId) => {
            const previous = versions.get(dealId);
            const next = aDeal({ id: dealId, version: (previous?.version ?? 0) + 1, name: `${dealId}-${(previous?.version ?? 0) + 1}` });
            versions.set(dealId, next);
            return dealRecord(previous, next, `${dealId}-v${next.version}`);
          });
          const refused = new Set(records.filter((_, index) => refusals[index]).map((r) => r.eventID));
          publisher.refuse = (event) => (refused.has(event.eventId) ? new Error('refused') : undefined);
          // Act
          for (let i = 0; i < records.length; i += batchSize) await processChanges(records.slice(i, i + batchSize), deps);
          publisher.refuse = () => undefined;
          await redriveChanges(deps);
          // Assess
          const publishedIds = publisher.published.map((e) => e.eventId);
          expect(new Set(publishedIds).size).toBe(publishedIds.length);
          expect(publishedIds.length).toBe(records.length);
          for (const dealId of versions.keys()) {
            const order = publisher.published.filter((e) => e.dealId === dealId).map((e) => e.version);
            expect(order).toEqual([...order].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
