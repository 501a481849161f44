import { vi } from 'vitest';

vi.hoisted(() => {
  // The module builds its deployed handler at import; the tests build theirs over memory adapters.
  process.env.CHANGE_EVENTS_TABLE_NAME ??= 'unused-change-events';
  process.env.EVENT_CONSUMER_NAME ??= 'line-items';
  process.env.REDIS_HOST ??= 'unused-redis';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/events/line-items.js';
import { loadLineItemConsumerConfig } from '../../../functions/events/line-items-config.js';
import { MemoryAppliedEvents } from '../../../shared/adapters/memory/memory-applied-events.js';
import { MemoryLineItemChanges } from '../../../shared/adapters/memory/memory-line-item-changes.js';
import { LINE_ITEM_EVENT_TYPES, pushLineItemChange } from '../../../shared/bidding/line-item-push.js';
import { CAMPAIGN_EVENT_TYPES, DEAL_EVENT_TYPES } from '../../../shared/domain-events/types.js';
import type { LineItemChange } from '../../../shared/ports/line-item-changes.js';
import { FEED_START } from '../../../shared/ports/line-item-changes.js';
import { aCampaign, aDealIn } from '../domain/fixtures.js';
import { consumerContext, sqsEvent, sqsMessage } from './engagement-fixtures.js';
import { campaignEvent, dealEvent } from './line-item-events.js';

function consumer() {
  const changes = new MemoryLineItemChanges();
  const appliedEvents = new MemoryAppliedEvents();
  const deps = { changes, appliedEvents, consumer: 'line-items' };
  const handler = makeHandler({ deps: async () => deps });
  const deliver = (...records: SQSRecord[]) => handler(sqsEvent(...records), consumerContext()) as Promise<SQSBatchResponse>;
  const appended = async (): Promise<LineItemChange[]> => {
    const read = await changes.readAfter(FEED_START, { maxWaitMs: 1, maxChanges: 1_000 });
    return read.kind === 'changes' ? read.changes : [];
  };
  return { changes, appliedEvents, deps, deliver, appended };
}

const deal = aDealIn('active', { id: 'deal-1', version: 4 });
const campaign = aCampaign(deal, { id: 'camp-1', status: 'active', version: 2, updatedAt: '2026-03-10T12:00:00.000Z' });

describe('line-item consumer', () => {
  it('appends what changed (not the entity) for each event, once per event id', async () => {
    // Prepare
    const { deliver, appended, appliedEvents } = consumer();
    const activated = campaignEvent('campaign.activated', campaign);
    const paused = dealEvent('deal.paused', { ...deal, status: 'paused', version: 5 });
    // Act
    const first = await deliver(sqsMessage(activated), sqsMessage(paused));
    const again = await deliver(sqsMessage(activated));
    // Assess
    expect([...first.batchItemFailures, ...again.batchItemFailures]).toEqual([]);
    expect(await appended()).toEqual([
      { dealId: 'deal-1', entity: 'campaign', entityId: 'camp-1', version: 2, type: 'campaign.activated', eventId: activated.eventId, at: '2026-03-10T12:00:00.000Z' },
      { dealId: 'deal-1', entity: 'deal', entityId: 'deal-1', version: 5, type: 'deal.paused', eventId: paused.eventId, at: deal.updatedAt },
    ]);
    expect(await appliedEvents.hasApplied('line-items', activated.eventId)).toBe(true);
  });

  it('leaves out events that cannot change line items, without marking them', async () => {
    // Prepare
    const { deliver, appended, appliedEvents } = consumer();
    const created = dealEvent('deal.created', { ...deal, status: 'draft', version: 1 });
    // Act
    const response = await deliver(sqsMessage(created));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await appended()).toEqual([]);
    expect(await appliedEvents.hasApplied('line-items', created.eventId)).toBe(false);
  });

  it('fails an unreadable message and the rest of its deal, while another deal goes on', async () => {
    // Prepare
    const { deliver, appended } = consumer();
    const other = aCampaign(aDealIn('active', { id: 'deal-2' }), { id: 'camp-2', status: 'active' });
    const poison = sqsMessage({ body: '{"schemaVersion": 99}', group: 'deal-1' });
    const behind = sqsMessage(campaignEvent('campaign.paused', { ...campaign, status: 'paused', version: 3 }));
    const elsewhere = sqsMessage(campaignEvent('campaign.amended', other));
    // Act
    const response = await deliver(poison, behind, elsewhere);
    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([poison.messageId, behind.messageId]);
    expect((await appended()).map((change) => change.entityId)).toEqual(['camp-2']);
  });
});

describe('pushLineItemChange', () => {
  it('does not mark an event whose append failed, so its redelivery appends it', async () => {
    // Prepare
    const appliedEvents = new MemoryAppliedEvents();
    const changes = new MemoryLineItemChanges();
    const failing = { publish: async () => Promise.reject(new Error('redis down')) };
    const event = campaignEvent('campaign.amended', campaign);
    // Act
    const failed = await pushLineItemChange(event, { changes: failing, appliedEvents, consumer: 'line-items' }).catch((error: Error) => error.message);
    const retried = await pushLineItemChange(event, { changes, appliedEvents, consumer: 'line-items' });
    // Assess
    expect(failed).toBe('redis down');
    expect(retried).toBe('pushed');
  });

  it('takes every campaign event but its creation, and the deal events into or out of a biddable status', () => {
    // Assess
    expect(LINE_ITEM_EVENT_TYPES.filter((type) => type.startsWith('campaign.'))).toEqual(CAMPAIGN_EVENT_TYPES.filter((type) => type !== 'campaign.created'));
    expect(DEAL_EVENT_TYPES.filter((type) => !(LINE_ITEM_EVENT_TYPES as readonly string[]).includes(type))).toEqual([
      'deal.created',
      'deal.amended',
      'deal.submitted',
      'deal.rejected',
      'deal.revised',
    ]);
  });
});

describe('loadLineItemConsumerConfig', () => {
  const env = { CHANGE_EVENTS_TABLE_NAME: 'ChangeEvents', EVENT_CONSUMER_NAME: 'line-items', REDIS_HOST: 'redis.internal' };

  it('defaults to plain Redis on 6379 without AUTH, the bidders\' stream key and 10,000 entries', () => {
    expect(loadLineItemConsumerConfig(env)).toEqual({
      ...env,
      REDIS_PORT: 6379,
      REDIS_TLS: false,
      REDIS_REPLICAS_TO_ACK: 0,
      LINE_ITEM_CHANGES_KEY: 'line-items:changes',
      LINE_ITEM_CHANGES_MAX_LENGTH: 10_000,
    });
  });

  it('names what is missing or malformed', () => {
    expect(() => loadLineItemConsumerConfig({})).toThrow(/CHANGE_EVENTS_TABLE_NAME is not set; EVENT_CONSUMER_NAME is not set; REDIS_HOST is not set/);
    expect(() => loadLineItemConsumerConfig({ ...env, REDIS_TLS: 'maybe' })).toThrow(/REDIS_TLS/);
    expect(() => loadLineItemConsumerConfig({ ...env, REDIS_AUTH_SECRET_ARN: 'token' })).toThrow(/REDIS_AUTH_SECRET_ARN must be a Secrets Manager secret ARN/);
    expect(() => loadLineItemConsumerConfig({ ...env, EVENT_CONSUMER_NAME: 'line#items' })).toThrow(/EVENT_CONSUMER_NAME must be letters/);
    expect(() =>
      loadLineItemConsumerConfig({ ...env, REDIS_AUTH: 'x'.repeat(20), REDIS_AUTH_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:redis' }),
    ).toThrow(/both set/);
  });
});
