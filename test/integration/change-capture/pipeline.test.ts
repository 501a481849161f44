// The change processor with its real adapters: DynamoDB Local's stream (written by the real repository),
// fauxqs for the SNS FIFO topic, a subscribed SQS FIFO consumer queue and the FIFO dead-letter queue.
import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStreamReader } from '../../../local/dynamodb/stream.js';
import { emulatorClients, startEventsEmulator, type EventsEmulator } from '../../../local/events/fauxqs.js';
import { DynamoDealRepository } from '../../../shared/adapters/dynamodb/deal-repository.js';
import { DynamoHeldDeals } from '../../../shared/adapters/dynamodb/held-deals.js';
import { dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import { readStreamChange } from '../../../shared/adapters/dynamodb/stream-changes.js';
import { SnsDomainEventPublisher } from '../../../shared/adapters/sns/domain-event-publisher.js';
import { SqsChangeDeadLetterQueue } from '../../../shared/adapters/sqs/change-dead-letter-queue.js';
import type { ChangeProcessorDeps } from '../../../shared/change-capture/process-changes.js';
import { redriveChanges } from '../../../shared/change-capture/redrive.js';
import { decodeDomainEvent } from '../../../shared/domain-events/codec.js';
import type { DomainEvent } from '../../../shared/domain-events/types.js';
import { makeHandler } from '../../../functions/events/process-changes.js';
import { changeEventsTableName } from '../../support/table-names.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { aDeal, amended, anAudit } from '../dynamodb/deal-repository.contract.js';

const REGION = 'us-east-1';
const ddb = useDynamoDbLocal();
let emulator: EventsEmulator;
let clients: ReturnType<typeof emulatorClients>;
let topicArn: string;
let consumerQueueUrl: string;
let deadLetterQueueUrl: string;

async function createTopicWithConsumer(): Promise<void> {
  topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: 'domain-events.fifo', Attributes: { FifoTopic: 'true' } }))).TopicArn!;
  const queueArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: consumerQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));
}

beforeAll(async () => {
  emulator = await startEventsEmulator({ region: REGION });
  clients = emulatorClients(emulator.endpoint, REGION);
  consumerQueueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'consumer.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
  deadLetterQueueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'change-dead-letters.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
  await createTopicWithConsumer();
});

afterAll(async () => {
  clients?.destroy();
  await emulator?.stop();
});

function processorDeps(): ChangeProcessorDeps {
  return {
    publisher: new SnsDomainEventPublisher({ client: clients.sns, topicArn }),
    deadLetters: new SqsChangeDeadLetterQueue({ client: clients.sqs, queueUrl: deadLetterQueueUrl, visibilityTimeoutSeconds: 5 }),
    heldDeals: new DynamoHeldDeals({ client: ddb.doc, tableName: changeEventsTableName() }),
    readChange: readStreamChange,
    retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
  };
}

function processorHandler() {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const handler = makeHandler({
    ...processorDeps(),
    logger: new Logger({ serviceName: 'change-processor-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'change-processor-test' }),
  });
  const context = { functionName: 'change-processor', awsRequestId: 'test', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
  return (event: DynamoDBStreamEvent) => handler(event, context);
}

/** Feeds everything on the stream since `reader` was positioned to the processor, in batches of 100. */
async function processStream(reader: DynamoDbStreamReader, handle: ReturnType<typeof processorHandler>): Promise<number> {
  let total = 0;
  for (let idle = 0; idle < 3; ) {
    const records = await reader.poll(100);
    if (records.length === 0) {
      idle += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    idle = 0;
    total += records.length;
    const response = await handle({ Records: records });
    expect(response.batchItemFailures).toEqual([]);
  }
  return total;
}

/** Receives (and deletes) everything the consumer queue holds, in delivery order. */
async function drainConsumer(): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  for (let idle = 0; idle < 3; ) {
    const out = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: consumerQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      idle += 1;
      await new Promise((resolve) => setTimeout(resolve, 30));
      continue;
    }
    idle = 0;
    events.push(...messages.map((m) => decodeDomainEvent(m.Body!)));
    await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: consumerQueueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return events;
}

async function positionedReader(): Promise<DynamoDbStreamReader> {
  const reader = await DynamoDbStreamReader.forTable(ddb.client, ddb.tables.deals, { endpoint: ddb.endpoint, startAt: 'LATEST' });
  await reader.poll();
  return reader;
}

describe('change capture with real components', () => {
  it('delivers every change of many deals written concurrently to a consumer once each, in version order per deal', async () => {
    // Prepare
    const repo = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const reader = await positionedReader();
    const handle = processorHandler();
    const dealCount = 25;
    const amendments = 5;
    // Act: each deal's writer runs in sequence, all deals at once
    await Promise.all(
      Array.from({ length: dealCount }, async (_, n) => {
        let deal = aDeal({ name: `deal ${n}` });
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        for (let step = 0; step < amendments; step++) {
          const next = amended(deal, { name: `deal ${n} step ${step}` });
          await repo.saveDeal(next, deal.version, anAudit(next, 'deal.amended'));
          deal = next;
        }
      }),
    );
    await processStream(reader, handle);
    // a redelivered stretch of the stream changes nothing downstream
    const replayReader = await DynamoDbStreamReader.forTable(ddb.client, ddb.tables.deals, { endpoint: ddb.endpoint, startAt: 'TRIM_HORIZON' });
    await processStream(replayReader, handle);
    const delivered = await drainConsumer();
    // Assess
    const byDeal = new Map<string, number[]>();
    for (const event of delivered) byDeal.set(event.dealId, [...(byDeal.get(event.dealId) ?? []), event.version]);
    expect(byDeal.size).toBe(dealCount);
    for (const versions of byDeal.values()) expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(delivered.map((e) => e.eventId)).size).toBe(delivered.length);
  });

  it('dead-letters an unreadable record with its payload and holds its deal while other deals proceed', async () => {
    // Prepare
    const reader = await positionedReader();
    const handle = processorHandler();
    const poisoned = aDeal();
    const healthy = aDeal();
    const poisonItem = { ...dealToItem(poisoned), status: 'on_hold' };
    // Act
    await ddb.doc.send(new (await import('@aws-sdk/lib-dynamodb')).PutCommand({ TableName: ddb.tables.deals, Item: poisonItem }));
    const repo = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    await repo.createDeal(healthy, anAudit(healthy, 'deal.created'));
    await processStream(reader, handle);
    const delivered = await drainConsumer();
    const letters = await new SqsChangeDeadLetterQueue({ client: clients.sqs, queueUrl: deadLetterQueueUrl, visibilityTimeoutSeconds: 1 }).receive({ max: 10 });
    // Assess
    expect(delivered.map((e) => e.dealId)).toEqual([healthy.id]);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.letter).toMatchObject({ dealId: poisoned.id, reason: 'failed', attempts: 1, error: { name: 'UnreadableChangeError' } });
    expect(letters[0]!.letter!.record.dynamodb!.NewImage!.status).toEqual({ S: 'on_hold' });
    expect(await processorDeps().heldDeals.heldAmong([poisoned.id, healthy.id])).toEqual(new Set([poisoned.id]));
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: deadLetterQueueUrl }));
    await processorDeps().heldDeals.release(poisoned.id, letters[0]!.letter!.eventId);
  });

  it('dead-letters every change while the topic is gone, then a redrive delivers each exactly once, in order', async () => {
    // Prepare
    const repo = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const reader = await positionedReader();
    const handle = processorHandler();
    await clients.sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
    let deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    for (let step = 0; step < 3; step++) {
      const next = amended(deal, { name: `outage step ${step}` });
      await repo.saveDeal(next, deal.version, anAudit(next, 'deal.amended'));
      deal = next;
    }
    // Act: the outage, then the topic (and its subscription) back, then two redrives
    await processStream(reader, handle);
    const duringOutage = await drainConsumer();
    await createTopicWithConsumer();
    const first = await redriveChanges({ ...processorDeps(), readChange: readStreamChange });
    const second = await redriveChanges({ ...processorDeps(), readChange: readStreamChange });
    const delivered = await drainConsumer();
    // Assess
    expect(duringOutage).toEqual([]);
    expect(first).toMatchObject({ replayed: 4, stillFailing: [], unreadableMessages: 0 });
    expect(second).toMatchObject({ replayed: 0, stillFailing: [] });
    expect(delivered.map((e) => [e.dealId, e.version])).toEqual([1, 2, 3, 4].map((v) => [deal.id, v]));
    expect(await processorDeps().heldDeals.heldAmong([deal.id])).toEqual(new Set());
  });
});
