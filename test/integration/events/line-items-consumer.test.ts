import { vi } from 'vitest';

vi.hoisted(() => {
  // The module builds its deployed handler at import; the tests build theirs once Redis is up.
  process.env.CHANGE_EVENTS_TABLE_NAME ??= 'unused-change-events';
  process.env.EVENT_CONSUMER_NAME ??= 'line-items';
  process.env.REDIS_HOST ??= 'unused-redis';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

/**
 * The line-item consumer with its deployed adapters (functions/events/line-items-deps.ts: the Redis
 * stream and the applied-event markers), against redis-server and DynamoDB Local.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/events/line-items.js';
import { productionLineItemDeps } from '../../../functions/events/line-items-deps.js';
import { startRedis, type LocalRedis } from '../../../local/redis/launch.js';
import { appliedEventPk } from '../../../shared/adapters/dynamodb/applied-events.js';
import { changeOfFields } from '../../../shared/adapters/redis/line-item-changes.js';
import { aCampaign, aDealIn } from '../../unit/domain/fixtures.js';
import { consumerContext, sqsEvent, sqsMessage } from '../../unit/events/engagement-fixtures.js';
import { campaignEvent, dealEvent } from '../../unit/events/line-item-events.js';
import { changeEventsTableName } from '../../support/table-names.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';

const ddb = useDynamoDbLocal();
const KEY = 'line-items:changes';
let redisServer: LocalRedis;
let inspect: Redis;
let deliver: (...records: SQSRecord[]) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  redisServer = await startRedis({ port: 0 });
  inspect = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  inspect.on('error', () => {});
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    CHANGE_EVENTS_TABLE_NAME: changeEventsTableName(),
    EVENT_CONSUMER_NAME: 'line-items',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisServer.port),
  });
  const handler = makeHandler({ deps: productionLineItemDeps() });
  deliver = (...records) => handler(sqsEvent(...records), consumerContext()) as Promise<SQSBatchResponse>;
});

afterAll(async () => {
  inspect?.disconnect();
  await redisServer?.stop();
});

const entries = async () => (await inspect.xrange(KEY, '-', '+')).map(([, fields]) => changeOfFields(fields));
const marked = async (eventId: string) =>
  (await ddb.doc.send(new GetCommand({ TableName: changeEventsTableName(), Key: { pk: appliedEventPk('line-items', eventId) }, ConsistentRead: true }))).Item !== undefined;

describe('line-item consumer on redis-server and DynamoDB Local', () => {
  it('appends a redelivered event once: one XADD per event id, across batches', async () => {
    // Prepare
    await inspect.del(KEY);
    const deal = aDealIn('active', { id: 'deal-dup' });
    const activated = campaignEvent('campaign.activated', aCampaign(deal, { id: 'camp-dup', status: 'active', version: 2 }));
    const paused = dealEvent('deal.paused', { ...deal, status: 'paused', version: 2 });
    // Act
    const first = await deliver(sqsMessage(activated), sqsMessage(paused));
    const redelivered = await deliver(sqsMessage(activated), sqsMessage(paused));
    const again = await deliver(sqsMessage(paused));
    // Assess
    expect([first, redelivered, again].flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect((await entries()).map((change) => [change?.eventId, change?.type])).toEqual([
      [activated.eventId, 'campaign.activated'],
      [paused.eventId, 'deal.paused'],
    ]);
    expect([await marked(activated.eventId), await marked(paused.eventId)]).toEqual([true, true]);
  });

  it('while Redis is down: reports the messages failed and marks nothing; their redelivery appends them', async () => {
    // Prepare
    await inspect.del(KEY);
    const deal = aDealIn('active', { id: 'deal-outage' });
    const amended = campaignEvent('campaign.amended', aCampaign(deal, { id: 'camp-outage', status: 'active', version: 3 }));
    const message = sqsMessage(amended);
    await redisServer.kill();
    // Act
    const duringOutage = await deliver(message);
    await redisServer.restart();
    await expect.poll(async () => (await deliver(message)).batchItemFailures, { timeout: 15_000, interval: 250 }).toEqual([]);
    // Assess
    expect(duringOutage.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect((await entries()).map((change) => change?.eventId)).toEqual([amended.eventId]);
    expect(await marked(amended.eventId)).toBe(true);
  });
});
