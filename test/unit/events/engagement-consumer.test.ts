import { vi } from 'vitest';

vi.hoisted(() => {
  // The module builds its deployed handler at import; nothing is contacted (tests pass their own store).
  process.env.ENGAGEMENT_TABLE_NAME ??= 'unit-engagement';
  process.env.CHANGE_EVENTS_TABLE_NAME ??= 'unit-change-events';
  process.env.EVENT_CONSUMER_NAME ??= 'engagement';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadEngagementConsumerConfig } from '../../../functions/events/engagement-config.js';
import { makeHandler } from '../../../functions/events/engagement.js';
import { InMemoryEngagementStore } from '../../../shared/adapters/memory/memory-engagement-store.js';
import type { AppliedEventRef, ApplyOutcome, EngagementCompute } from '../../../shared/ports/engagement-store.js';
import { at, DealStory } from '../engagement/fixtures.js';
import { consumerContext, sqsEvent, sqsMessage } from './engagement-fixtures.js';

const NOW = new Date('2026-12-01T08:00:00.000Z');

/** The in-memory store, told to fail every update of some deals (a throttled table, say). */
class FlakyStore extends InMemoryEngagementStore {
  readonly failing = new Set<string>();
  override async applyOnce(consumer: string, event: AppliedEventRef, compute: EngagementCompute): Promise<ApplyOutcome> {
    if (this.failing.has(event.dealId)) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    return super.applyOnce(consumer, event, compute);
  }
}

function consumer(store = new FlakyStore()) {
  const handler = makeHandler({ store, consumer: 'engagement', clock: () => NOW });
  return { store, deliver: (...records: Parameters<typeof sqsEvent>) => handler(sqsEvent(...records), consumerContext()) as Promise<SQSBatchResponse> };
}

describe('engagement consumer', () => {
  it('applies a redelivered event once, in the same batch and in a later one', async () => {
    // Prepare
    const { store, deliver } = consumer();
    const story = new DealStory({ dealId: 'deal-dup' });
    const created = story.created(at(0));
    const amended = story.amended(at(1));
    // Act
    const first = await deliver(sqsMessage(created), sqsMessage(created), sqsMessage(amended));
    const afterFirst = await store.get(story.dealId);
    const second = await deliver(sqsMessage(amended));
    // Assess: two changes counted (decayed over the day between them), not three
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(afterFirst!.state.changeCount).toBeCloseTo(1 + 0.5 ** (1 / 15), 10);
    expect(await store.get(story.dealId)).toEqual(afterFirst);
  });

  it("stores exactly the version each deal event carried, and keeps it through campaign events", async () => {
    // Prepare
    const { store, deliver } = consumer();
    const story = new DealStory({ dealId: 'deal-versions' });
    const events = [story.created(at(0)), story.amended(at(1)), story.moved('pending_approval', at(2))];
    // Act
    await deliver(...events.map(sqsMessage));
    const afterDealEvents = await store.get(story.dealId);
    await deliver(sqsMessage(story.campaign('created', at(3))));
    // Assess
    expect(afterDealEvents).toMatchObject({ dealVersion: 3, computedAt: NOW.toISOString() });
    expect(events.at(-1)!.version).toBe(3);
    expect(await store.get(story.dealId)).toMatchObject({ dealVersion: 3, state: { lastActivityAt: at(3) } });
  });

  it("reports a failing deal's messages and goes on with the other deals of the batch", async () => {
    // Prepare: deal A's updates fail; deal B's messages are interleaved with A's
    const { store, deliver } = consumer();
    const a = new DealStory({ dealId: 'deal-a' });
    const b = new DealStory({ dealId: 'deal-b' });
    store.failing.add(a.dealId);
    const messages = [sqsMessage(a.created(at(0))), sqsMessage(b.created(at(0))), sqsMessage(a.amended(at(1))), sqsMessage(b.amended(at(1)))];
    // Act
    const response = await deliver(...messages);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: messages[0]!.messageId }, { itemIdentifier: messages[2]!.messageId }]);
    expect(await store.get(a.dealId)).toBeUndefined();
    expect(await store.get(b.dealId)).toMatchObject({ dealVersion: 2 });
  });

  it('never applies a deal event after a failed one of the same deal: the rest of its group is reported', async () => {
    // Prepare: deal A's second message cannot be read; its third must wait for it
    const { store, deliver } = consumer();
    const a = new DealStory({ dealId: 'deal-order' });
    const b = new DealStory({ dealId: 'deal-other' });
    const created = sqsMessage(a.created(at(0)));
    const poison = sqsMessage({ body: '{"schemaVersion":99}', group: a.dealId });
    const later = sqsMessage(a.amended(at(2)));
    const other = sqsMessage(b.created(at(0)));
    // Act
    const response = await deliver(created, poison, other, later);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }, { itemIdentifier: later.messageId }]);
    expect(await store.get(a.dealId)).toMatchObject({ dealVersion: 1 });
    expect(await store.get(b.dealId)).toMatchObject({ dealVersion: 1 });
  });

  it('reports every message of a batch that fails entirely, without throwing', async () => {
    // Prepare
    const { store, deliver } = consumer();
    const story = new DealStory({ dealId: 'deal-down' });
    store.failing.add(story.dealId);
    const messages = [sqsMessage(story.created(at(0))), sqsMessage(story.amended(at(1)))];
    // Act
    const response = await deliver(...messages);
    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(messages.map((message) => message.messageId));
  });
});

describe('engagement consumer configuration', () => {
  it('reads the two tables and the consumer name', () => {
    // Act
    const config = loadEngagementConsumerConfig({ ENGAGEMENT_TABLE_NAME: 'eng', CHANGE_EVENTS_TABLE_NAME: 'ce', EVENT_CONSUMER_NAME: 'engagement' });
    // Assess
    expect(config).toEqual({ ENGAGEMENT_TABLE_NAME: 'eng', CHANGE_EVENTS_TABLE_NAME: 'ce', EVENT_CONSUMER_NAME: 'engagement' });
  });

  it('fails naming every missing or malformed variable', () => {
    // Act
    const attempt = () => loadEngagementConsumerConfig({ CHANGE_EVENTS_TABLE_NAME: ' ', EVENT_CONSUMER_NAME: 'engage#ment' });
    // Assess
    expect(attempt).toThrow(/ENGAGEMENT_TABLE_NAME is not set/);
    expect(attempt).toThrow(/CHANGE_EVENTS_TABLE_NAME must be set to a non-empty value/);
    expect(attempt).toThrow(/EVENT_CONSUMER_NAME must be letters, digits/);
  });
});
