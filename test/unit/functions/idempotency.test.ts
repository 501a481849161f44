import './support/env.js';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeHandler as makeCreateCampaign } from '../../../functions/api/campaigns/create.js';
import { makeHandler as makeListCampaigns } from '../../../functions/api/campaigns/list.js';
import { makeHandler as makeAmend } from '../../../functions/api/deals/amend.js';
import { makeHandler as makeCreate } from '../../../functions/api/deals/create.js';
import { makeHandler as makeSubmit } from '../../../functions/api/deals/submit.js';
import type { ApiDeps } from '../../../functions/api/deps.js';
import { httpHandler } from '../../../functions/api/http/handler.js';
import { type DynamoDbLocal, localClientConfig, startDynamoDbLocal } from '../../../local/dynamodb/launch.js';
import { NOW, testDeps } from './support/deps.js';
import { apiEvent, type Caller, DEAL_MANAGER } from './support/events.js';
import { invoke } from './support/invoke.js';

/**
 * Idempotency runs Powertools' real DynamoDBPersistenceLayer (what is deployed) against DynamoDB Local,
 * so conditional writes, in-progress expiry and payload validation are DynamoDB's and Powertools' own.
 */
let dynamo: DynamoDbLocal;
let client: DynamoDBClient;
let tableCount = 0;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

/** A fresh idempotency table (pk `id`, as the DataStack defines it) for one test. */
async function idempotencyTable(): Promise<string> {
  const tableName = `idempotency-${++tableCount}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}

/** Deps as one Lambda instance would have them: its own persistence layer on the shared table. */
function instanceDeps(tableName: string, shared: Partial<ApiDeps> = {}): ApiDeps {
  return testDeps({
    idempotencyStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client }),
    ...shared,
  });
}

const validDeal = {
  accountId: 'acct-demo',
  name: 'Idempotent deal',
  type: 'standard',
  totalValue: { amountMinor: 250_000, currency: 'USD' },
  startDate: '2026-01-01',
  endDate: '2026-06-30',
};

const createWithKey = (key: string | undefined, body: unknown = validDeal, caller: Caller = DEAL_MANAGER) =>
  apiEvent({ routeKey: 'POST /deals', caller, body, ...(key ? { headers: { 'idempotency-key': key } } : {}) });

describe('Idempotency-Key on POST', () => {
  it('replays the first response unchanged for a retry with the same key and body; one deal is created', async () => {
    // Prepare
    const deps = instanceDeps(await idempotencyTable());
    const handler = makeCreate(deps);
    // Act
    const first = await invoke(handler, createWithKey('key-1'));
    const retry = await invoke(handler, apiEvent({ ...retryOf('key-1'), requestId: 'retry-req' }));
    // Assess
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.raw.body).toBe(first.raw.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe('"1"');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['x-correlation-id']).toBe('retry-req');
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('replays across Lambda instances sharing the table', async () => {
    // Prepare
    const table = await idempotencyTable();
    const first = instanceDeps(table);
    const second = instanceDeps(table, { repo: first.repo });
    // Act
    const a = await invoke(makeCreate(first), createWithKey('key-x'));
    const b = await invoke(makeCreate(second), createWithKey('key-x'));
    // Assess
    expect(b.raw.body).toBe(a.raw.body);
    expect((await first.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('answers 422 idempotency_key_reused for the same key with another body, and keeps the first answer', async () => {
    // Prepare
    const deps = instanceDeps(await idempotencyTable());
    const handler = makeCreate(deps);
    const first = await invoke(handler, createWithKey('key-2'));
    // Act
    const reused = await invoke(handler, createWithKey('key-2', { ...validDeal, name: 'Another deal' }));
    const retry = await invoke(handler, createWithKey('key-2'));
    // Assess
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    // Powertools' own onError would have deleted the first request's record here; the retry must replay.
    expect(retry.status).toBe(201);
    expect(retry.raw.body).toBe(first.raw.body);
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('scopes keys to the caller: two users with the same key get two deals', async () => {
    // Prepare
    const deps = instanceDeps(await idempotencyTable());
    const handler = makeCreate(deps);
    const colleague: Caller = { ...DEAL_MANAGER, sub: 'user-dm-2' };
    // Act
    const mine = await invoke(handler, createWithKey('shared-key'));
    const theirs = await invoke(handler, createWithKey('shared-key', validDeal, colleague));
    // Assess
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body.createdBy).toBe('user-dm-2');
  });

  it('does nothing without the header: two requests, two deals, no record', async () => {
    // Prepare
    const table = await idempotencyTable();
    const deps = instanceDeps(table);
    const handler = makeCreate(deps);
    // Act
    await invoke(handler, createWithKey(undefined));
    await invoke(handler, createWithKey(undefined));
    // Assess
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(2);
    expect((await client.send(new ScanCommand({ TableName: table }))).Count).toBe(0);
  });

  it('answers 409 idempotency_in_progress while the first request still runs', async () => {
    // Prepare
    const table = await idempotencyTable();
    const first = instanceDeps(table);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowRepo = Object.create(first.repo) as typeof first.repo;
    slowRepo.createDeal = async (deal, audit) => {
      await gate;
      return first.repo.createDeal(deal, audit);
    };
    const slowInstance = makeCreate({ ...first, repo: slowRepo });
    const otherInstance = makeCreate(instanceDeps(table, { repo: first.repo }));
    // Act
    const pending = invoke(slowInstance, createWithKey('key-3'));
    await waitForRecord(table);
    const concurrent = await invoke(otherInstance, createWithKey('key-3'));
    // A refused request must not release the running one's lock: the next retry is refused too.
    const again = await invoke(otherInstance, createWithKey('key-3'));
    release();
    const original = await pending;
    // Assess
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.error.code).toBe('idempotency_in_progress');
    expect(concurrent.headers['retry-after']).toBe('1');
    expect(again.status).toBe(409);
    expect(original.status).toBe(201);
    expect((await first.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('does not store a thrown 4xx: the retry runs again once the conflict is resolved', async () => {
    // Prepare
    const deps = instanceDeps(await idempotencyTable());
    const created = await invoke(makeCreate(deps), createWithKey(undefined));
    const dealId = created.body.id as string;
    const submit = makeSubmit(deps);
    const submitEvent = () =>
      apiEvent({
        routeKey: 'POST /deals/{dealId}/submit',
        pathParameters: { dealId },
        caller: DEAL_MANAGER,
        headers: { 'if-match': '"2"', 'idempotency-key': 'submit-1' },
      });
    const stale = await invoke(submit, submitEvent());
    await invoke(
      makeAmend(deps),
      apiEvent({ routeKey: 'PATCH /deals/{dealId}', pathParameters: { dealId }, caller: DEAL_MANAGER, body: { name: 'v2' }, headers: { 'if-match': '"1"' } }),
    );
    // Act
    const retry = await invoke(submit, submitEvent());
    // Assess
    expect(stale.status).toBe(412);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'pending_approval', version: 3 });
  });

  it('does not store a returned non-2xx response either', async () => {
    // Prepare
    const deps = instanceDeps(await idempotencyTable());
    let calls = 0;
    const handler = httpHandler(
      {
        name: 'test.flaky',
        access: 'deal.create',
        idempotent: true,
        handle: async () => (++calls === 1 ? { statusCode: 503, body: { error: { code: 'busy' } } } : { statusCode: 201, body: { calls } }),
      },
      { ...deps, clock: () => NOW },
    );
    const event = () => apiEvent({ routeKey: 'POST /x', caller: DEAL_MANAGER, body: {}, headers: { 'idempotency-key': 'flaky-1' } });
    // Act
    const first = await invoke(handler, event());
    const second = await invoke(handler, event());
    const third = await invoke(handler, event());
    // Assess
    expect(first.status).toBe(503);
    expect(second.status).toBe(201);
    expect(third.raw.body).toBe(second.raw.body);
    expect(calls).toBe(2);
  });

  it('refuses a malformed Idempotency-Key with 400 before touching the store', async () => {
    // Prepare
    const table = await idempotencyTable();
    const handler = makeCreate(instanceDeps(table));
    // Act
    const answer = await invoke(handler, createWithKey('key with spaces'));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues[0].path).toBe('Idempotency-Key');
    expect((await client.send(new ScanCommand({ TableName: table }))).Count).toBe(0);
  });
});

/** Powertools' real DynamoDB layer whose response store is down: saveSuccess (an UpdateItem) fails. */
class ResponseStoreDown extends DynamoDBPersistenceLayer {
  protected override async _updateRecord(_record: IdempotencyRecord): Promise<void> {
    throw new Error('idempotency table unavailable');
  }
}

/**
 * The first attempt's response is never stored, so its record stays in progress until that invocation's
 * deadline (Powertools' in_progress_expiration); an hour later Powertools lets a retry run the handler
 * again. The create must not happen twice.
 */
describe('Idempotency-Key when the response could not be stored', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** An hour later: long past the first invocation's deadline, well inside the 24 h the key is honoured. */
  function anHourLater(): void {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60 * 60 * 1000);
  }

  function storeDownDeps(table: string): ApiDeps {
    return testDeps({ idempotencyStore: new ResponseStoreDown({ tableName: table, awsSdkV3Client: client }) });
  }

  it('answers a retry after the in-progress record expired with the same deal, not a second one', async () => {
    // Prepare
    const deps = storeDownDeps(await idempotencyTable());
    const handler = makeCreate(deps);
    const first = await invoke(handler, createWithKey('lost-1'));
    anHourLater();
    // Act
    const retry = await invoke(handler, createWithKey('lost-1'));
    // Assess
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.raw.body).toBe(first.raw.body);
    expect(retry.headers.etag).toBe('"1"');
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('answers the deal as it was created even after it was amended, and 422 for another body under the key', async () => {
    // Prepare
    const deps = storeDownDeps(await idempotencyTable());
    const handler = makeCreate(deps);
    const first = await invoke(handler, createWithKey('lost-2'));
    await invoke(
      makeAmend(deps),
      apiEvent({ routeKey: 'PATCH /deals/{dealId}', pathParameters: { dealId: first.body.id }, caller: DEAL_MANAGER, body: { name: 'v2' }, headers: { 'if-match': '"1"' } }),
    );
    anHourLater();
    // Act
    const reused = await invoke(handler, createWithKey('lost-2', { ...validDeal, name: 'Another deal' }));
    const retry = await invoke(handler, createWithKey('lost-2'));
    // Assess
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(retry.status).toBe(201);
    expect(retry.raw.body).toBe(first.raw.body);
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('answers a retried campaign create with the same campaign, even where a second one would not fit', async () => {
    // Prepare: 1,000,000 deal; the campaign takes 600,000, so a second copy would also break the budget
    const deps = storeDownDeps(await idempotencyTable());
    const deal = await invoke(makeCreate(deps), createWithKey(undefined, millionDeal));
    const dealId = deal.body.id as string;
    const create = makeCreateCampaign(deps);
    const campaignEvent = (body: unknown) =>
      apiEvent({ routeKey: 'POST /deals/{dealId}/campaigns', pathParameters: { dealId }, caller: DEAL_MANAGER, body, headers: { 'idempotency-key': 'lost-c' } });
    const first = await invoke(create, campaignEvent(campaignBody(600_000)));
    anHourLater();
    // Act
    const retry = await invoke(create, campaignEvent(campaignBody(600_000)));
    const reused = await invoke(create, campaignEvent(campaignBody(300_000)));
    // Assess
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.raw.body).toBe(first.raw.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(reused.status).toBe(422);
    const listed = await invoke(
      makeListCampaigns(deps),
      apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns', pathParameters: { dealId }, caller: DEAL_MANAGER }),
    );
    expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([first.body.id]);
  });

  it('creates one campaign per key even when the retry fits too', async () => {
    // Prepare: 300,000 of 1,000,000: a second copy would fit, so only the key stops it
    const deps = storeDownDeps(await idempotencyTable());
    const deal = await invoke(makeCreate(deps), createWithKey(undefined, millionDeal));
    const dealId = deal.body.id as string;
    const event = () =>
      apiEvent({
        routeKey: 'POST /deals/{dealId}/campaigns',
        pathParameters: { dealId },
        caller: DEAL_MANAGER,
        body: campaignBody(300_000),
        headers: { 'idempotency-key': 'lost-d' },
      });
    const first = await invoke(makeCreateCampaign(deps), event());
    anHourLater();
    // Act
    const retry = await invoke(makeCreateCampaign(deps), event());
    // Assess
    expect(retry.body.id).toBe(first.body.id);
    expect((await deps.repo.listCampaigns(dealId, { limit: 10 })).items).toHaveLength(1);
  });
});

const millionDeal = { ...validDeal, totalValue: { amountMinor: 1_000_000, currency: 'USD' } };

function campaignBody(budgetMinor: number) {
  return {
    name: 'Retried campaign',
    type: 'display',
    budget: { amountMinor: budgetMinor, currency: 'USD' },
    dailyBudget: { amountMinor: 10_000, currency: 'USD' },
    targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['desktop'] },
    schedule: { startDate: '2026-02-01', endDate: '2026-03-31', pacing: 'even' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 1_200, currency: 'USD' },
  };
}

function retryOf(key: string) {
  return { routeKey: 'POST /deals', caller: DEAL_MANAGER, body: validDeal, headers: { 'idempotency-key': key } };
}

async function waitForRecord(table: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const scan = await client.send(new ScanCommand({ TableName: table }));
    if ((scan.Count ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the first request never wrote its in-progress record');
}
