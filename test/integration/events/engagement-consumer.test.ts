import { vi } from 'vitest';

vi.hoisted(() => {
  // The module builds its deployed handler at import; the tests build theirs over DynamoDB Local.
  process.env.ENGAGEMENT_TABLE_NAME ??= 'unused-engagement';
  process.env.CHANGE_EVENTS_TABLE_NAME ??= 'unused-change-events';
  process.env.EVENT_CONSUMER_NAME ??= 'engagement';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/events/engagement.js';
import { appliedEventPk } from '../../../shared/adapters/dynamodb/applied-events.js';
import { DynamoEngagementStore, engagementKeys } from '../../../shared/adapters/dynamodb/engagement-store.js';
import { at, DealStory } from '../../unit/engagement/fixtures.js';
import { consumerContext, sqsEvent, sqsMessage } from '../../unit/events/engagement-fixtures.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { changeEventsTableName, engagementTableName } from '../../support/table-names.js';

const ddb = useDynamoDbLocal();

function consumer() {
  const store = new DynamoEngagementStore({ client: ddb.doc, tableName: engagementTableName(), changeEventsTableName: changeEventsTableName() });
  const handler = makeHandler({ store, consumer: 'engagement' });
  return { store, deliver: (...records: SQSRecord[]) => handler(sqsEvent(...records), consumerContext()) as Promise<SQSBatchResponse> };
}

const storyOf = () => new DealStory({ dealId: `deal-${randomUUID()}`, accountId: `acct-${randomUUID()}` });

describe('engagement consumer on DynamoDB Local', () => {
  it('gives a redelivered event one effect, across batches and concurrent invocations', async () => {
    // Prepare
    const { store, deliver } = consumer();
    const story = storyOf();
    const created = story.created(at(0));
    const amended = story.amended(at(2));
    // Act: the same messages delivered to two invocations at once, then again
    const responses = await Promise.all([deliver(sqsMessage(created), sqsMessage(amended)), deliver(sqsMessage(created), sqsMessage(amended))]);
    const again = await deliver(sqsMessage(amended));
    // Assess
    expect([...responses, again].flatMap((response) => response.batchItemFailures)).toEqual([]);
    const record = await store.get(story.dealId);
    expect(record).toMatchObject({ dealVersion: 2 });
    expect(record!.state.changeCount).toBeCloseTo(1 + 0.5 ** (2 / 15), 10);
    const health = await ddb.doc.send(new GetCommand({ TableName: engagementTableName(), Key: engagementKeys.account(story.accountId), ConsistentRead: true }));
    expect(health.Item?.dealsByStatus).toMatchObject({ draft: 1 });
    for (const event of [created, amended]) {
      const marker = await ddb.doc.send(new GetCommand({ TableName: changeEventsTableName(), Key: { pk: appliedEventPk('engagement', event.eventId) } }));
      expect(marker.Item, event.eventId).toBeDefined();
    }
  });

  it("stores the version of the deal event it applied, whatever campaign events follow", async () => {
    // Prepare
    const { store, deliver } = consumer();
    const story = storyOf();
    // Act
    await deliver(sqsMessage(story.created(at(0))), sqsMessage(story.moved('pending_approval', at(1))), sqsMessage(story.moved('approved', at(1.5))));
    await deliver(sqsMessage(story.campaign('created', at(2))), sqsMessage(story.campaign('amended', at(3))));
    // Assess
    expect(await store.get(story.dealId)).toMatchObject({ dealVersion: 3, state: { status: 'approved', approvalHours: 12 } });
  });

  it("does not let one deal's unreadable message hold back another deal's events in the batch", async () => {
    // Prepare
    const { store, deliver } = consumer();
    const broken = storyOf();
    const healthy = storyOf();
    const poison = sqsMessage({ body: 'not json', group: broken.dealId });
    const messages = [poison, sqsMessage(broken.created(at(0))), sqsMessage(healthy.created(at(0))), sqsMessage(healthy.amended(at(1)))];
    // Act
    const response = await deliver(...messages);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: messages[0]!.messageId }, { itemIdentifier: messages[1]!.messageId }]);
    expect(await store.get(broken.dealId)).toBeUndefined();
    expect(await store.get(healthy.dealId)).toMatchObject({ dealVersion: 2 });
  });
});
