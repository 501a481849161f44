import '../../unit/functions/support/env.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../functions/api/deps.js';
import { ROUTES, routeKey, type RouteDefinition } from '../../../infra/api/routes.js';
import { REPO_ROOT } from '../../../infra/constructs/project-function.js';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import { DynamoBiddingSettingsRepository } from '../../../shared/adapters/dynamodb/bidding-settings-repository.js';
import { DynamoDealRepository } from '../../../shared/adapters/dynamodb/deal-repository.js';
import { DynamoEngagementStore } from '../../../shared/adapters/dynamodb/engagement-store.js';
import { type RepositoryCalls, engagementStoreGrant, repositoryGrants } from '../../../shared/adapters/dynamodb/iam-grants.js';
import { biddingSettingsAuditEntry, createBiddingSettings } from '../../../shared/domain/account/bidding-settings.js';
import type { ChangeContext } from '../../../shared/domain/actor.js';
import type { BiddingSettingsRepository } from '../../../shared/ports/bidding-settings-repository.js';
import type { DealRepository } from '../../../shared/ports/deal-repository.js';
import type { EngagementStore } from '../../../shared/ports/engagement-store.js';
import { testDeps } from '../../unit/functions/support/deps.js';
import { ADMIN, apiEvent, type Caller, DEAL_MANAGER, type EventOptions } from '../../unit/functions/support/events.js';
import { invoke } from '../../unit/functions/support/invoke.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { changeEventsTableName, engagementTableName } from '../../support/table-names.js';
import { at, DealStory } from '../../unit/engagement/fixtures.js';
import { applyAll } from './engagement-store.contract.js';

/**
 * Every signed-in route's handler, run on its paths against the DynamoDB repositories on DynamoDB
 * Local, with its repository calls recorded: the grants those calls need (iam-grants.ts, itself checked
 * call by call in iam-grants.test.ts) must be exactly the grants infra/api/routes.ts gives the route.
 */

const ddb = useDynamoDbLocal();
/** The repository the handlers use (its calls are recorded through a proxy). */
let setup: DynamoDealRepository;

beforeAll(() => {
  setup = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
});

describe('each route handler makes exactly the repository calls its route is granted', () => {
  const ACCOUNT = DEAL_MANAGER.accountIds![0]!;
  const SEAT = 'seat-granted';
  const dealBody = { accountId: ACCOUNT, name: 'Granted deal', type: 'standard', totalValue: { amountMinor: 1_000_000, currency: 'USD' }, startDate: '2026-01-01', endDate: '2026-12-31' };
  const campaignBody = {
    name: 'Granted campaign',
    type: 'display',
    budget: { amountMinor: 100_000, currency: 'USD' },
    dailyBudget: { amountMinor: 10_000, currency: 'USD' },
    targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['desktop'] },
    schedule: { startDate: '2026-02-01', endDate: '2026-03-31', pacing: 'even' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 1_200, currency: 'USD' },
    seat: SEAT,
  };

  /** A repository whose method calls are recorded by name into `calls`. */
  function recording<T extends object>(target: T, calls: Set<string>): T {
    return new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.add(String(property));
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  }

  interface Fixture {
    dealId: string;
    campaignId: string;
    /** Deals for the status changes (each one can be submitted or cancelled once). */
    submittable: string;
    cancellable: string;
  }
  type Step = { caller?: Caller; secondIdempotencyStore?: boolean; event: (f: Fixture) => Omit<EventOptions, 'caller'> };
  const withKey = (key: string) => ({ 'idempotency-key': key });
  const key = (name: string) => `${name}-${randomUUID()}`;
  const dealKey = key('deal');
  const campaignKey = key('campaign');

  /**
   * The requests each route is exercised with: its successful paths, and the retry a creation record
   * answers when the idempotency record is gone (the second idempotency store has none).
   */
  const SCENARIOS: Record<string, Step[]> = {
    'POST /deals': [
      { event: () => ({ routeKey: 'POST /deals', body: dealBody, headers: withKey(dealKey) }) },
      { secondIdempotencyStore: true, event: () => ({ routeKey: 'POST /deals', body: dealBody, headers: withKey(dealKey) }) },
    ],
    'GET /deals': [{ event: () => ({ routeKey: 'GET /deals', query: { accountId: ACCOUNT } }) }],
    'GET /deals/{dealId}': [{ event: (f) => ({ routeKey: 'GET /deals/{dealId}', pathParameters: { dealId: f.dealId } }) }],
    'PATCH /deals/{dealId}': [
      { event: (f) => ({ routeKey: 'PATCH /deals/{dealId}', pathParameters: { dealId: f.dealId }, headers: { 'if-match': '"1"' }, body: { name: 'Renamed' } }) },
    ],
    'POST /deals/{dealId}/submit': [
      { event: (f) => ({ routeKey: 'POST /deals/{dealId}/submit', pathParameters: { dealId: f.submittable }, headers: { 'if-match': '"1"', ...withKey(key('submit')) } }) },
    ],
    'POST /deals/{dealId}/cancel': [
      { event: (f) => ({ routeKey: 'POST /deals/{dealId}/cancel', pathParameters: { dealId: f.cancellable }, headers: { 'if-match': '"1"', ...withKey(key('cancel')) } }) },
    ],
    'GET /deals/{dealId}/versions': [{ event: (f) => ({ routeKey: 'GET /deals/{dealId}/versions', pathParameters: { dealId: f.dealId } }) }],
    'GET /deals/{dealId}/versions/{version}': [
      { event: (f) => ({ routeKey: 'GET /deals/{dealId}/versions/{version}', pathParameters: { dealId: f.dealId, version: '1' } }) },
    ],
    'GET /deals/{dealId}/audit': [{ event: (f) => ({ routeKey: 'GET /deals/{dealId}/audit', pathParameters: { dealId: f.dealId } }) }],
    'GET /deals/{dealId}/engagement': [{ event: (f) => ({ routeKey: 'GET /deals/{dealId}/engagement', pathParameters: { dealId: f.dealId } }) }],
    'GET /engagement': [{ event: () => ({ routeKey: 'GET /engagement', query: { accountId: ACCOUNT } }) }],
    'POST /deals/{dealId}/campaigns': [
      { event: (f) => ({ routeKey: 'POST /deals/{dealId}/campaigns', pathParameters: { dealId: f.dealId }, body: campaignBody, headers: withKey(campaignKey) }) },
      {
        secondIdempotencyStore: true,
        event: (f) => ({ routeKey: 'POST /deals/{dealId}/campaigns', pathParameters: { dealId: f.dealId }, body: campaignBody, headers: withKey(campaignKey) }),
      },
    ],
    'GET /deals/{dealId}/campaigns': [{ event: (f) => ({ routeKey: 'GET /deals/{dealId}/campaigns', pathParameters: { dealId: f.dealId } }) }],
    'GET /deals/{dealId}/campaigns/{campaignId}': [
      { event: (f) => ({ routeKey: 'GET /deals/{dealId}/campaigns/{campaignId}', pathParameters: { dealId: f.dealId, campaignId: f.campaignId } }) },
    ],
    'PATCH /deals/{dealId}/campaigns/{campaignId}': [
      {
        event: (f) => ({
          routeKey: 'PATCH /deals/{dealId}/campaigns/{campaignId}',
          pathParameters: { dealId: f.dealId, campaignId: f.campaignId },
          headers: { 'if-match': '"1"' },
          body: { seat: `${SEAT}-2`, budget: { amountMinor: 200_000, currency: 'USD' } },
        }),
      },
    ],
    'GET /accounts/{accountId}/bidding-settings': [
      { event: () => ({ routeKey: 'GET /accounts/{accountId}/bidding-settings', pathParameters: { accountId: ACCOUNT } }) },
    ],
    'PUT /accounts/{accountId}/bidding-settings': [
      {
        caller: ADMIN,
        event: () => ({ routeKey: 'PUT /accounts/{accountId}/bidding-settings', pathParameters: { accountId: `acct-${randomUUID()}` }, body: { allowedSeats: [SEAT], allowedPmpDealIds: [] } }),
      },
      {
        caller: ADMIN,
        event: () => ({
          routeKey: 'PUT /accounts/{accountId}/bidding-settings',
          pathParameters: { accountId: ACCOUNT },
          headers: { 'if-match': '"1"' },
          body: { allowedSeats: [SEAT, `${SEAT}-2`, `${SEAT}-3`], allowedPmpDealIds: [] },
        }),
      },
    ],
  };

  let fixture: Fixture;
  let deps: ApiDeps;
  let secondStore: DynamoDBPersistenceLayer;
  const recordedCalls = { repo: new Set<string>(), biddingSettings: new Set<string>(), engagement: new Set<string>() };
  const signedIn = ROUTES.filter((r) => r.auth === 'jwt');

  beforeAll(async () => {
    const plain = new DynamoDBClient(localClientConfig(ddb.endpoint));
    const secondTable = `idempotency-second-${randomUUID()}`;
    await plain.send(
      new CreateTableCommand({
        TableName: secondTable,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    secondStore = new DynamoDBPersistenceLayer({ tableName: secondTable, awsSdkV3Client: plain });
    const settings = new DynamoBiddingSettingsRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const allowed = createBiddingSettings(ACCOUNT, { allowedSeats: [SEAT, `${SEAT}-2`], allowedPmpDealIds: [] }, change());
    await settings.createBiddingSettings(allowed, biddingSettingsAuditEntry(allowed, 'biddingSettings.created', change()));
    const engagement = new DynamoEngagementStore({ client: ddb.doc, tableName: engagementTableName(), changeEventsTableName: changeEventsTableName() });
    deps = {
      ...testDeps({
        repo: recording(setup, recordedCalls.repo),
        biddingSettings: recording(settings, recordedCalls.biddingSettings),
        idempotencyStore: new DynamoDBPersistenceLayer({ tableName: ddb.tables.idempotency, awsSdkV3Client: plain }),
        newId: () => randomUUID(),
      }),
      // The engagement routes' store (functions/api/engagement/deps.ts); the other routes never touch it.
      engagement: recording(engagement as EngagementStore, recordedCalls.engagement),
    } as ApiDeps;
    // The fixture is made through the handlers too, unrecorded.
    const createDeal = (await import(join(REPO_ROOT, 'functions/api/deals/create.js'))).makeHandler as (d: ApiDeps) => Parameters<typeof invoke>[0];
    const createCampaign = (await import(join(REPO_ROOT, 'functions/api/campaigns/create.js'))).makeHandler as (d: ApiDeps) => Parameters<typeof invoke>[0];
    const newDeal = async () => (await invoke(createDeal(deps), apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body: dealBody }))).body.id as string;
    const dealId = await newDeal();
    const campaign = await invoke(createCampaign(deps), apiEvent({ routeKey: 'POST /deals/{dealId}/campaigns', caller: DEAL_MANAGER, pathParameters: { dealId }, body: { ...campaignBody, seat: undefined } }));
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    fixture = { dealId, campaignId: campaign.body.id as string, submittable: await newDeal(), cancellable: await newDeal() };
    // The deal's engagement score, as the engagement consumer would have stored it.
    await applyAll(engagement, [new DealStory({ dealId, accountId: ACCOUNT }).created(at(0))]);
  });

  it('has a scenario for every signed-in route', () => {
    expect(signedIn.map(routeKey).filter((key) => !SCENARIOS[key])).toEqual([]);
  });

  it.each(signedIn.map((r) => [routeKey(r), r] as const))('%s', async (_key, route: RouteDefinition) => {
    // Prepare
    const { makeHandler } = (await import(join(REPO_ROOT, route.entry))) as { makeHandler: (d: ApiDeps) => Parameters<typeof invoke>[0] };
    recordedCalls.repo.clear();
    recordedCalls.biddingSettings.clear();
    recordedCalls.engagement.clear();
    // Act
    for (const step of SCENARIOS[routeKey(route)]!) {
      const handler = makeHandler(step.secondIdempotencyStore ? { ...deps, idempotencyStore: secondStore } : deps);
      const answer = await invoke(handler, apiEvent({ caller: step.caller ?? DEAL_MANAGER, ...step.event(fixture) }));
      expect(answer.status, `${routeKey(route)}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
      // Without its idempotency record, a retried create is answered from the creation record.
      if (step.secondIdempotencyStore) expect(answer.headers['idempotent-replayed'], routeKey(route)).toBe('true');
    }
    // Assess
    const made: RepositoryCalls = {
      repo: [...recordedCalls.repo] as (keyof DealRepository)[],
      biddingSettings: [...recordedCalls.biddingSettings] as (keyof BiddingSettingsRepository)[],
    };
    const { deals, history } = repositoryGrants(made);
    const repositoriesBound = route.tables.deals !== undefined || route.tables.history !== undefined;
    const repositoriesCalled = made.repo!.length + made.biddingSettings!.length > 0;
    const engagementCalls = [...recordedCalls.engagement] as (keyof EngagementStore)[];
    expect({
      ...(repositoriesBound || repositoriesCalled ? { deals, history } : {}),
      ...(engagementCalls.length > 0 ? { engagement: engagementStoreGrant(engagementCalls) } : {}),
    }).toEqual({ deals: route.tables.deals, history: route.tables.history, engagement: route.tables.engagement });
  });
});

function change(): ChangeContext {
  return { actor: { userId: 'user-admin', groups: ['admin'], accountIds: [] }, correlationId: `corr-${randomUUID()}`, sourceIp: '203.0.113.7', userAgent: 'vitest', at: new Date().toISOString() };
}
