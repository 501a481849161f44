import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import { appliedEventMarkerPut, appliedEventPk } from '../../../shared/adapters/dynamodb/applied-events.js';
import { DynamoEngagementStore, engagementKeys } from '../../../shared/adapters/dynamodb/engagement-store.js';
import { ENGAGEMENT_STORE_GRANTS, type TableGrant } from '../../../shared/adapters/dynamodb/iam-grants.js';
import { DEFAULT_ENGAGEMENT_CONFIG } from '../../../shared/engagement/config.js';
import { applyEvent } from '../../../shared/engagement/model.js';
import { APPLIED_EVENT_RETENTION_SECONDS } from '../../../shared/ports/applied-events.js';
import { EngagementWriteConflictError } from '../../../shared/ports/engagement-store.js';
import { at } from '../../unit/engagement/fixtures.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { changeEventsTableName, engagementTableName } from '../../support/table-names.js';
import { applyAll, CONSUMER, describeEngagementStoreContract, freshAccount, storyIn } from './engagement-store.contract.js';

const ddb = useDynamoDbLocal();
const NOW = Date.parse('2031-05-04T10:00:00.000Z');
const makeStore = (doc: DynamoDBDocumentClient = ddb.doc, maxAttempts?: number) =>
  new DynamoEngagementStore({
    client: doc,
    tableName: engagementTableName(),
    changeEventsTableName: changeEventsTableName(),
    clock: () => NOW,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  });

/** A document client that runs `before` ahead of each TransactWriteItems and records every request's IAM action by table. */
function instrumentedClient(before?: () => Promise<void>) {
  const calls: { table: string; action: string }[] = [];
  const client = new DynamoDBClient(localClientConfig(ddb.endpoint));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, any>;
      const command = String(context.commandName).replace(/Command$/, '');
      if (command === 'TransactWriteItems') {
        if (before) await before();
        for (const item of input.TransactItems as Record<string, { TableName: string }>[]) {
          const [kind, body] = Object.entries(item)[0]!;
          calls.push({ table: body.TableName, action: `${kind}Item` });
        }
      } else {
        calls.push({ table: input.IndexName ? `${input.TableName}/index/${input.IndexName}` : input.TableName, action: command });
      }
      return next(args);
    },
    { step: 'initialize', name: 'instrument' },
  );
  clients.push(client);
  return { doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), calls };
}
const clients: DynamoDBClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

/** What `calls` needed, as TableGrants of the engagement and changeEvents tables. */
function grantsOf(calls: { table: string; action: string }[]): { engagement?: TableGrant; changeEvents?: TableGrant } {
  const out: Record<string, { actions: Set<string>; indexActions: Set<string> }> = {};
  for (const { table, action } of calls) {
    const name = table.replace(/\/index\/.*$/, '');
    const key = name === engagementTableName() ? 'engagement' : name === changeEventsTableName() ? 'changeEvents' : name;
    const entry = (out[key] ??= { actions: new Set(), indexActions: new Set() });
    (table.includes('/index/') ? entry.indexActions : entry.actions).add(action);
  }
  return Object.fromEntries(
    Object.entries(out).map(([key, entry]) => [
      key,
      { actions: [...entry.actions].sort(), ...(entry.indexActions.size ? { indexActions: [...entry.indexActions].sort() } : {}) },
    ]),
  );
}

describeEngagementStoreContract('DynamoEngagementStore on DynamoDB Local', () => makeStore());

describe('DynamoEngagementStore storage', () => {
  it('writes the score under DEAL#<id>/ENGAGEMENT with its index keys, the counts under ACCOUNT#<acc>/HEALTH, and the applied marker', async () => {
    // Prepare
    const store = makeStore();
    const account = freshAccount();
    const story = storyIn(account);
    const created = story.created(at(0));
    // Act
    const [outcome] = await applyAll(store, [created]);
    // Assess
    const record = outcome!.status === 'applied' ? outcome!.record! : undefined;
    const item = (await ddb.doc.send(new GetCommand({ TableName: engagementTableName(), Key: engagementKeys.deal(story.dealId) }))).Item;
    expect(item).toMatchObject({
      pk: `DEAL#${story.dealId}`,
      sk: 'ENGAGEMENT',
      kind: 'engagement',
      revision: 1,
      gsiAccountPk: `ACCOUNT#${account}`,
      gsiAccountTierPk: `ACCOUNT#${account}#TIER#${record!.tier}`,
      gsiScoreSk: `${String(Math.round(record!.score * 100)).padStart(5, '0')}#${story.dealId}`,
      dealVersion: 1,
      score: record!.score,
    });
    const health = (await ddb.doc.send(new GetCommand({ TableName: engagementTableName(), Key: engagementKeys.account(account) }))).Item;
    expect(health).toMatchObject({ pk: `ACCOUNT#${account}`, sk: 'HEALTH', kind: 'accountHealth', revision: 1, dealsByStatus: { draft: 1 } });
    expect(health).not.toHaveProperty('gsiAccountPk');
    const marker = (await ddb.doc.send(new GetCommand({ TableName: changeEventsTableName(), Key: { pk: appliedEventPk(CONSUMER, created.eventId) } }))).Item;
    expect(marker).toMatchObject({ pk: `APPLIED#engagement#${created.eventId}`, expiresAt: Math.floor(NOW / 1000) + APPLIED_EVENT_RETENTION_SECONDS });
    expect(APPLIED_EVENT_RETENTION_SECONDS).toBe(7 * 24 * 3600);
  });

  it('writes nothing when the marker is already there, and answers duplicate', async () => {
    // Prepare: the event was applied by an earlier run whose score is gone
    const store = makeStore();
    const story = storyIn(freshAccount());
    const created = story.created(at(0));
    await ddb.doc.send(new PutCommand(appliedEventMarkerPut(changeEventsTableName(), CONSUMER, created.eventId, NOW).Put));
    // Act
    const outcomes = await applyAll(store, [created]);
    // Assess
    expect(outcomes).toEqual([{ status: 'duplicate' }]);
    expect(await store.get(story.dealId)).toBeUndefined();
    expect((await ddb.doc.send(new GetCommand({ TableName: engagementTableName(), Key: engagementKeys.account(story.accountId) }))).Item).toBeUndefined();
  });

  it('moves a deal between the tier listings when its tier changes', async () => {
    // Prepare: a cheap draft, then a large amendment that lifts its tier
    const store = makeStore();
    const account = freshAccount();
    const story = storyIn(account, 1);
    await applyAll(store, [story.created(at(0))]);
    const before = (await store.get(story.dealId))!;
    // Act
    await applyAll(store, [story.amended(at(0.01), { totalValue: { amountMinor: 500_000_000, currency: 'USD' } })]);
    // Assess
    const after = (await store.get(story.dealId))!;
    expect(after.tier).not.toBe(before.tier);
    expect((await store.listByAccount({ accountId: account, tier: before.tier, limit: 10 })).items).toEqual([]);
    expect((await store.listByAccount({ accountId: account, tier: after.tier, limit: 10 })).items).toEqual([after]);
  });

  it('computes again over the new state when another writer changed the score between its read and its write', async () => {
    // Prepare: the first transaction finds the score moved on (another writer bumped its revision)
    const story = storyIn(freshAccount());
    await applyAll(makeStore(), [story.created(at(0))]);
    let bumps = 0;
    const { doc } = instrumentedClient(async () => {
      if (bumps++ > 0) return;
      await ddb.doc.send(
        new UpdateCommand({ TableName: engagementTableName(), Key: engagementKeys.deal(story.dealId), UpdateExpression: 'SET revision = revision + :one', ExpressionAttributeValues: { ':one': 1 } }),
      );
    });
    const amended = story.amended(at(1));
    let computed = 0;
    // Act
    const outcome = await makeStore(doc).applyOnce(CONSUMER, amended, (current) => {
      computed += 1;
      return applyEvent(current, amended, DEFAULT_ENGAGEMENT_CONFIG, new Date(NOW).toISOString());
    });
    // Assess
    expect(outcome.status).toBe('applied');
    expect(computed).toBe(2);
    const item = (await ddb.doc.send(new GetCommand({ TableName: engagementTableName(), Key: engagementKeys.deal(story.dealId) }))).Item;
    expect(item).toMatchObject({ revision: 3, dealVersion: 2 });
  });

  it('gives up with EngagementWriteConflictError when the records keep changing, having written nothing', async () => {
    // Prepare
    const story = storyIn(freshAccount());
    await applyAll(makeStore(), [story.created(at(0))]);
    const { doc } = instrumentedClient(async () => {
      await ddb.doc.send(
        new UpdateCommand({ TableName: engagementTableName(), Key: engagementKeys.deal(story.dealId), UpdateExpression: 'SET revision = revision + :one', ExpressionAttributeValues: { ':one': 1 } }),
      );
    });
    const amended = story.amended(at(1));
    // Act
    const attempt = applyAll(makeStore(doc, 3), [amended]);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(EngagementWriteConflictError);
    const marker = await ddb.doc.send(new GetCommand({ TableName: changeEventsTableName(), Key: { pk: appliedEventPk(CONSUMER, amended.eventId) } }));
    expect(marker.Item).toBeUndefined();
    expect((await makeStore().get(story.dealId))!.dealVersion).toBe(1);
  });
});

describe('DynamoEngagementStore sends exactly the actions iam-grants.ts declares', () => {
  it('get: GetItem on the engagement table', async () => {
    // Prepare
    const { doc, calls } = instrumentedClient();
    // Act
    await makeStore(doc).get(`deal-${randomUUID()}`);
    // Assess
    expect(grantsOf(calls)).toEqual({ engagement: ENGAGEMENT_STORE_GRANTS.get.engagement });
  });

  it('listByAccount: Query on the account indexes only, with and without a tier', async () => {
    // Prepare
    const { doc, calls } = instrumentedClient();
    const store = makeStore(doc);
    // Act
    await store.listByAccount({ accountId: freshAccount(), limit: 5 });
    await store.listByAccount({ accountId: freshAccount(), tier: 'hot', limit: 5 });
    // Assess
    expect(grantsOf(calls)).toEqual({ engagement: ENGAGEMENT_STORE_GRANTS.listByAccount.engagement });
    expect(calls.map((call) => call.table.split('/index/')[1]).sort()).toEqual(['byAccountScore', 'byAccountTierScore']);
  });

  it('applyOnce: the reads, the score and health puts, the delete of a removed deal and the marker put', async () => {
    // Prepare
    const { doc, calls } = instrumentedClient();
    const store = makeStore(doc);
    const story = storyIn(freshAccount());
    const created = story.created(at(0));
    // Act: a creation, a duplicate, a campaign change and a removal
    await applyAll(store, [created, created, story.campaign('created', at(1)), story.removed()]);
    // Assess
    expect(grantsOf(calls)).toEqual({
      engagement: ENGAGEMENT_STORE_GRANTS.applyOnce.engagement,
      changeEvents: ENGAGEMENT_STORE_GRANTS.applyOnce.changeEvents,
    });
  });
});
