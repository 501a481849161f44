import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import { appliedEventMarkerPut, DynamoAppliedEvents } from '../../../shared/adapters/dynamodb/applied-events.js';
import { APPLIED_EVENTS_GRANT } from '../../../shared/adapters/dynamodb/iam-grants.js';
import { APPLIED_EVENT_RETENTION_SECONDS } from '../../../shared/ports/applied-events.js';
import { changeEventsTableName } from '../../support/table-names.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';

const ddb = useDynamoDbLocal();
const table = changeEventsTableName();
const NOW = Date.parse('2031-05-04T10:00:00.500Z');
const appliedEvents = () => new DynamoAppliedEvents({ client: ddb.doc, tableName: table, clock: () => NOW });
const eventId = () => `evt-${randomUUID()}`;

/** A document client that records the DynamoDB action of every request it sends. */
function recordingClient(): { doc: DynamoDBDocumentClient; actions: Set<string> } {
  const actions = new Set<string>();
  const client = new DynamoDBClient(localClientConfig(ddb.endpoint));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      actions.add(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'recordActions' },
  );
  clients.push(client);
  return { doc: DynamoDBDocumentClient.from(client), actions };
}
const clients: DynamoDBClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

describe('DynamoAppliedEvents on DynamoDB Local', () => {
  it('records an event once per consumer: the first mark wins, a repeat is refused, another consumer is independent', async () => {
    // Prepare
    const events = appliedEvents();
    const id = eventId();
    // Act
    const before = await events.hasApplied('line-items', id);
    const first = await events.markApplied('line-items', id);
    const repeat = await events.markApplied('line-items', id);
    const other = await events.markApplied('engagement', id);
    // Assess
    expect([before, first, repeat, other]).toEqual([false, true, false, true]);
    expect(await events.hasApplied('line-items', id)).toBe(true);
    expect(await events.hasApplied('approvals', id)).toBe(false);
  });

  it('stores the marker under APPLIED#<consumer>#<eventId> with a TTL of the retention period', async () => {
    // Prepare
    const id = eventId();
    // Act
    await appliedEvents().markApplied('line-items', id);
    // Assess
    const item = (await ddb.doc.send(new GetCommand({ TableName: table, Key: { pk: `APPLIED#line-items#${id}` }, ConsistentRead: true }))).Item;
    expect(item).toEqual({
      pk: `APPLIED#line-items#${id}`,
      consumer: 'line-items',
      eventId: id,
      appliedAt: '2031-05-04T10:00:00.500Z',
      expiresAt: Math.floor(NOW / 1000) + APPLIED_EVENT_RETENTION_SECONDS,
    });
  });

  it('marks exactly one of many concurrent deliveries of the same event', async () => {
    // Prepare
    const events = appliedEvents();
    const id = eventId();
    // Act
    const answers = await Promise.all(Array.from({ length: 8 }, () => events.markApplied('line-items', id)));
    // Assess
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('appliedEventMarkerPut in a transaction cancels the effect of a redelivered event', async () => {
    // Prepare
    const id = eventId();
    const effect = (value: number) =>
      ddb.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            appliedEventMarkerPut(table, 'counter', id, NOW),
            { Put: { TableName: table, Item: { pk: `EFFECT#${id}`, value } } },
          ],
        }),
      );
    // Act
    await effect(1);
    const redelivery = await effect(2).then(
      () => 'committed',
      (error: Error) => error.name,
    );
    // Assess
    expect(redelivery).toBe('TransactionCanceledException');
    const item = (await ddb.doc.send(new GetCommand({ TableName: table, Key: { pk: `EFFECT#${id}` }, ConsistentRead: true }))).Item;
    expect(item?.value).toBe(1);
    expect(await appliedEvents().hasApplied('counter', id)).toBe(true);
  });

  it('sends exactly the actions of APPLIED_EVENTS_GRANT', async () => {
    // Prepare
    const recorder = recordingClient();
    const events = new DynamoAppliedEvents({ client: recorder.doc, tableName: table });
    const id = eventId();
    // Act
    await events.hasApplied('line-items', id);
    await events.markApplied('line-items', id);
    await events.markApplied('line-items', id);
    // Assess
    expect([...recorder.actions].sort()).toEqual([...APPLIED_EVENTS_GRANT.actions].sort());
  });

  it('lets any other failure through (a missing table is an error, not "already applied")', async () => {
    // Prepare
    const events = new DynamoAppliedEvents({ client: ddb.doc, tableName: 'NoSuchTable' });
    // Act
    const outcome = await events.markApplied('line-items', eventId()).then(String, (error: Error) => error.name);
    // Assess
    expect(outcome).toBe('ResourceNotFoundException');
  });
});
