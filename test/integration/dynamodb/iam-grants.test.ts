import '../../unit/functions/support/env.js';
import { randomUUID } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeCreateDeal } from '../../../functions/api/deals/create.js';
import { ROUTES, routeKey } from '../../../infra/api/routes.js';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import { DynamoBiddingSettingsRepository } from '../../../shared/adapters/dynamodb/bidding-settings-repository.js';
import { DynamoClientRateLimiter } from '../../../shared/adapters/dynamodb/client-rate-limiter.js';
import { DynamoDealRepository } from '../../../shared/adapters/dynamodb/deal-repository.js';
import { DynamoSpendLedger } from '../../../shared/adapters/dynamodb/spend-ledger.js';
import {
  BIDDING_SETTINGS_REPOSITORY_GRANTS,
  CLIENT_RATE_LIMITER_GRANT,
  DEAL_REPOSITORY_GRANTS,
  SPEND_CONSUMER_GRANT,
  type TableGrant,
} from '../../../shared/adapters/dynamodb/iam-grants.js';
import { DEAL_BUDGET_SK, dealPk } from '../../../shared/adapters/dynamodb/keys.js';
import { biddingSettingsAuditEntry, createBiddingSettings } from '../../../shared/domain/account/bidding-settings.js';
import type { ChangeContext } from '../../../shared/domain/actor.js';
import type { BiddingSettingsRepository } from '../../../shared/ports/bidding-settings-repository.js';
import type { DealRepository } from '../../../shared/ports/deal-repository.js';
import { testDeps } from '../../unit/functions/support/deps.js';
import { apiEvent, DEAL_MANAGER } from '../../unit/functions/support/events.js';
import { invoke } from '../../unit/functions/support/invoke.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { aCampaign, aDeal, amended, amendedCampaign, anAudit } from './deal-repository.contract.js';

/**
 * Every call of the DynamoDB adapters, on its success and failure paths, against DynamoDB Local through
 * a client that records the actions each request needs in IAM (per item of a transaction). What a call
 * sends must be exactly what shared/adapters/dynamodb/iam-grants.ts declares for it: the route table
 * derives each function's policy from that file.
 */

type TableKey = 'deals' | 'history' | 'idempotency' | 'rateLimit' | 'spend';
type Observed = Partial<Record<TableKey, TableGrant>>;

const ddb = useDynamoDbLocal();

/** A client whose requests are recorded as (table, action) while `capture` runs. */
class RecordingClient {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  private recording: { table: string; action: string }[] | undefined;

  constructor(endpoint: string) {
    this.client = new DynamoDBClient(localClientConfig(endpoint));
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        this.recording?.push(...actionsOf(String(context.commandName), args.input as Record<string, any>));
        return next(args);
      },
      { step: 'initialize', name: 'recordIamActions' },
    );
    this.doc = DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Runs `act` (failures are expected on some paths) and returns the actions it sent, by table. */
  async capture(act: () => Promise<unknown>): Promise<Observed> {
    this.recording = [];
    try {
      await act();
    } catch {
      // A refused write is one of the paths being recorded.
    }
    const calls = this.recording;
    this.recording = undefined;
    const byName = Object.fromEntries(Object.entries(ddb.tables).map(([key, name]) => [name, key as TableKey]));
    const out: Record<string, { actions: Set<string>; indexActions: Set<string> }> = {};
    for (const { table, action } of calls) {
      const key = byName[table.replace(/\/index\/.*$/, '')];
      if (!key) throw new Error(`a request named the unknown table ${table}`);
      const entry = (out[key] ??= { actions: new Set(), indexActions: new Set() });
      (table.includes('/index/') ? entry.indexActions : entry.actions).add(action);
    }
    return Object.fromEntries(
      Object.entries(out).map(([key, entry]) => [
        key,
        {
          actions: [...entry.actions].sort(),
          ...(entry.indexActions.size ? { indexActions: [...entry.indexActions].sort() } : {}),
        },
      ]),
    ) as Observed;
  }

  destroy(): void {
    this.doc.destroy();
    this.client.destroy();
  }
}

/** The IAM actions one request needs, with the table each applies to (`<table>/index/<name>` for an index). */
function actionsOf(commandName: string, input: Record<string, any>): { table: string; action: string }[] {
  const name = commandName.replace(/Command$/, '');
  const single = (action: string) => [{ table: input.IndexName ? `${input.TableName}/index/${input.IndexName}` : input.TableName, action }];
  switch (name) {
    case 'Get':
    case 'GetItem':
      return single('GetItem');
    case 'Put':
    case 'PutItem':
      return single('PutItem');
    case 'Update':
    case 'UpdateItem':
      return single('UpdateItem');
    case 'Delete':
    case 'DeleteItem':
      return single('DeleteItem');
    case 'Query':
    case 'Scan':
    case 'DescribeTable':
      return single(name);
    case 'BatchGet':
    case 'BatchGetItem':
      return Object.keys(input.RequestItems).map((table) => ({ table, action: 'BatchGetItem' }));
    case 'BatchWrite':
    case 'BatchWriteItem':
      return Object.keys(input.RequestItems).map((table) => ({ table, action: 'BatchWriteItem' }));
    case 'TransactWrite':
    case 'TransactWriteItems':
      return (input.TransactItems as Record<string, { TableName: string }>[]).map((item) => {
        const [kind, body] = Object.entries(item)[0]!;
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind];
        if (!action) throw new Error(`unknown transaction item ${kind}`);
        return { table: body.TableName, action };
      });
    case 'TransactGet':
    case 'TransactGetItems':
      return (input.TransactItems as { Get: { TableName: string } }[]).map((item) => ({ table: item.Get.TableName, action: 'GetItem' }));
    default:
      throw new Error(`no IAM mapping for ${commandName}`);
  }
}

/** The declaration of `method`, with absent tables left out (as `capture` reports them). */
function declared(method: keyof DealRepository | keyof BiddingSettingsRepository): Observed {
  const out: Observed = {};
  const grants = method in DEAL_REPOSITORY_GRANTS
    ? DEAL_REPOSITORY_GRANTS[method as keyof DealRepository]
    : BIDDING_SETTINGS_REPOSITORY_GRANTS[method as keyof BiddingSettingsRepository];
  for (const [key, grant] of Object.entries(grants) as [TableKey, TableGrant][]) {
    if (grant.actions.length === 0 && !grant.indexActions?.length) continue;
    out[key] = { actions: [...grant.actions].sort(), ...(grant.indexActions?.length ? { indexActions: [...grant.indexActions].sort() } : {}) };
  }
  return out;
}

/** Merges what several captures observed. */
function merged(...observed: Observed[]): Observed {
  const out: Observed = {};
  for (const each of observed) {
    for (const [key, grant] of Object.entries(each) as [TableKey, TableGrant][]) {
      const current = out[key] ?? { actions: [] };
      const actions = [...new Set([...current.actions, ...grant.actions])].sort();
      const indexActions = [...new Set([...(current.indexActions ?? []), ...(grant.indexActions ?? [])])].sort();
      out[key] = { actions, ...(indexActions.length ? { indexActions } : {}) };
    }
  }
  return out;
}

let recorder: RecordingClient;
let repo: DynamoDealRepository;
/** Unrecorded, for setting up. */
let setup: DynamoDealRepository;

beforeAll(() => {
  recorder = new RecordingClient(ddb.endpoint);
  repo = new DynamoDealRepository({ client: recorder.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
  setup = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
});

afterAll(() => recorder?.destroy());

/** A deal (and optionally one campaign) stored without recording. */
async function storedDeal(options: { campaign?: boolean; withoutBudgetItem?: boolean } = {}) {
  const deal = aDeal();
  await setup.createDeal(deal, anAudit(deal, 'deal.created'));
  const campaign = aCampaign(deal);
  if (options.campaign) await setup.createCampaign(campaign, anAudit(campaign, 'campaign.created'));
  // A deal written before budget items existed: its first budget-changing write rebuilds the item.
  if (options.withoutBudgetItem) {
    await ddb.doc.send(new DeleteCommand({ TableName: ddb.tables.deals, Key: { pk: dealPk(deal.id), sk: DEAL_BUDGET_SK } }));
  }
  return { deal, campaign };
}

const creation = () => ({ scope: `scope-${randomUUID()}`, fingerprint: 'f1' });

describe('DealRepository on DynamoDB sends exactly the actions iam-grants.ts declares', () => {
  it('createDeal: the puts; on a conflict the re-read; on a repeated creation scope its record', async () => {
    // Prepare
    const { deal } = await storedDeal();
    const scope = creation();
    const first = aDeal();
    await setup.createDeal(first, anAudit(first, 'deal.created'), scope);
    const fresh = aDeal();
    const retried = aDeal();
    // Act
    const observed = merged(
      await recorder.capture(() => repo.createDeal(fresh, anAudit(fresh, 'deal.created'), creation())),
      await recorder.capture(() => repo.createDeal(deal, anAudit(deal, 'deal.created'))),
      await recorder.capture(() => repo.createDeal(retried, anAudit(retried, 'deal.created'), scope)),
    );
    // Assess
    expect(observed).toEqual(declared('createDeal'));
  });

  it('saveDeal: the puts and the budget update; a stale version, a refused cut and a deal without a budget item', async () => {
    // Prepare
    const { deal } = await storedDeal({ campaign: true });
    const { deal: legacy } = await storedDeal({ campaign: true, withoutBudgetItem: true });
    const renamed = amended(deal, { name: 'Renamed' });
    // Act
    const observed = merged(
      await recorder.capture(() => repo.saveDeal(renamed, 1, anAudit(renamed, 'deal.amended'))),
      await recorder.capture(() => repo.saveDeal(amended(deal), 1, anAudit(amended(deal), 'deal.amended'))),
      await recorder.capture(() => {
        const cut = amended(renamed, { totalValue: { amountMinor: 1, currency: 'USD' } });
        return repo.saveDeal(cut, 2, anAudit(cut, 'deal.amended'));
      }),
      await recorder.capture(() => {
        const next = amended(legacy, { totalValue: { amountMinor: 4_000_000, currency: 'USD' } });
        return repo.saveDeal(next, 1, anAudit(next, 'deal.amended'));
      }),
    );
    // Assess
    expect(observed).toEqual(declared('saveDeal'));
  });

  it('createCampaign: the puts and the budget update; over budget, a conflict, a repeated scope, a deal without a budget item', async () => {
    // Prepare
    const { deal, campaign: existing } = await storedDeal({ campaign: true });
    const { deal: legacy } = await storedDeal({ withoutBudgetItem: true });
    const scope = creation();
    const first = aCampaign(deal);
    await setup.createCampaign(first, anAudit(first, 'campaign.created'), scope);
    const fresh = aCampaign(deal);
    const tooBig = aCampaign(deal, { budget: { amountMinor: 900_000_000, currency: 'USD' } });
    const onLegacy = aCampaign(legacy);
    const retried = aCampaign(deal);
    // Act
    const observed = merged(
      await recorder.capture(() => repo.createCampaign(fresh, anAudit(fresh, 'campaign.created'), creation())),
      await recorder.capture(() => repo.createCampaign(tooBig, anAudit(tooBig, 'campaign.created'))),
      await recorder.capture(() => repo.createCampaign(existing, anAudit(existing, 'campaign.created'))),
      await recorder.capture(() => repo.createCampaign(retried, anAudit(retried, 'campaign.created'), scope)),
      await recorder.capture(() => repo.createCampaign(onLegacy, anAudit(onLegacy, 'campaign.created'))),
    );
    // Assess
    expect(observed).toEqual(declared('createCampaign'));
  });

  it('saveCampaign: the current read, the puts and the budget update; a stale version and a deal without a budget item', async () => {
    // Prepare
    const { campaign } = await storedDeal({ campaign: true });
    const { campaign: onLegacy } = await storedDeal({ campaign: true, withoutBudgetItem: true });
    const bigger = amendedCampaign(campaign, { budget: { amountMinor: 2_000_000, currency: 'USD' } });
    const legacyBigger = amendedCampaign(onLegacy, { budget: { amountMinor: 2_000_000, currency: 'USD' } });
    // Act
    const observed = merged(
      await recorder.capture(() => repo.saveCampaign(bigger, 1, anAudit(bigger, 'campaign.amended'))),
      await recorder.capture(() => repo.saveCampaign(bigger, 1, anAudit(bigger, 'campaign.amended'))),
      await recorder.capture(() => repo.saveCampaign(legacyBigger, 1, anAudit(legacyBigger, 'campaign.amended'))),
    );
    // Assess
    expect(observed).toEqual(declared('saveCampaign'));
  });

  it('the reads: each one GetItem or Query, the deal listing on the account indexes only', async () => {
    // Prepare
    const { deal, campaign } = await storedDeal({ campaign: true });
    const page = { limit: 10 };
    const reads: Record<string, () => Promise<unknown>[]> = {
      getDeal: () => [repo.getDeal(deal.id)],
      getCampaign: () => [repo.getCampaign(deal.id, campaign.id)],
      getDealVersion: () => [repo.getDealVersion(deal.id, 1)],
      getCampaignVersion: () => [repo.getCampaignVersion(deal.id, campaign.id, 1)],
      findCreation: () => [repo.findCreation('scope-never-used')],
      listDealVersions: () => [repo.listDealVersions(deal.id, page)],
      listAudit: () => [repo.listAudit(deal.id, page)],
      listCampaigns: () => [repo.listCampaigns(deal.id, page)],
      listDeals: () => [
        repo.listDeals({ accountId: deal.accountId, ...page }),
        repo.listDeals({ accountId: deal.accountId, status: 'draft', ...page }),
        repo.listDeals({ accountId: deal.accountId, type: 'standard', ...page }),
        repo.listDeals({ accountId: deal.accountId, status: 'draft', type: 'standard', ...page }),
      ],
    };
    for (const [method, calls] of Object.entries(reads)) {
      // Act
      const observed = await recorder.capture(() => Promise.all(calls()));
      // Assess
      expect(observed, method).toEqual(declared(method as keyof DealRepository));
    }
    const covered = ['createDeal', 'saveDeal', 'createCampaign', 'saveCampaign', ...Object.keys(reads)].sort();
    expect(covered).toEqual(Object.keys(DEAL_REPOSITORY_GRANTS).sort());
  });
});

describe('the other DynamoDB users of the API', () => {
  it('Powertools idempotency uses exactly what the POST routes are granted on its table', async () => {
    // Prepare
    const store = () => new DynamoDBPersistenceLayer({ tableName: ddb.tables.idempotency, awsSdkV3Client: recorder.client });
    const deps = testDeps({ idempotencyStore: store() });
    const create = makeCreateDeal(deps);
    const deal = { accountId: 'acct-demo', name: 'Granted', type: 'standard', totalValue: { amountMinor: 1_000, currency: 'USD' }, startDate: '2026-01-01', endDate: '2026-02-01' };
    const post = (key: string, body: unknown) => apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body, headers: { 'idempotency-key': key } });
    const key = `key-${randomUUID()}`;
    // Act: first request, its replay, and a request the handler refuses (its record is released)
    const observed = merged(
      await recorder.capture(() => invoke(create, post(key, deal))),
      await recorder.capture(() => invoke(create, post(key, deal))),
      await recorder.capture(() => invoke(create, post(`key-${randomUUID()}`, { ...deal, accountId: 'acct-not-mine' }))),
    );
    // Assess
    const granted = ROUTES.find((r) => routeKey(r) === 'POST /deals')!.tables.idempotency!;
    expect(observed).toEqual({ idempotency: { actions: [...granted.actions].sort() } });
    for (const route of ROUTES.filter((r) => r.method === 'POST')) expect(route.tables.idempotency, routeKey(route)).toEqual(granted);
  });

  it('the client rate limiter sends one UpdateItem, admitted or refused', async () => {
    // Prepare
    const limiter = new DynamoClientRateLimiter({ client: recorder.doc, tableName: ddb.tables.rateLimit, limit: { requests: 1, windowSeconds: 3600 } });
    const client = `client-${randomUUID()}`;
    const now = new Date();
    // Act
    const observed = merged(
      await recorder.capture(() => limiter.admit(client, now)),
      await recorder.capture(() => limiter.admit(client, now)),
    );
    // Assess
    expect(observed).toEqual({ rateLimit: { actions: [...CLIENT_RATE_LIMITER_GRANT.actions] } });
  });
});

describe('the spend consumer on DynamoDB sends exactly SPEND_CONSUMER_GRANT', () => {
  it('recordSpend (new events, then replays) and recordWatermark', async () => {
    // Prepare
    const ledger = new DynamoSpendLedger({ client: recorder.doc, tableName: ddb.tables.spend });
    const campaignId = `camp-${randomUUID()}`;
    const entries = [1, 2, 3].map((i) => ({ eventId: `bill:${campaignId}-${i}`, campaignId, day: '2026-12-04', amountNanos: 1_000 * i }));
    // Act
    const observed = merged(
      await recorder.capture(() => ledger.recordSpend(entries)),
      await recorder.capture(() => ledger.recordSpend(entries)),
      await recorder.capture(() => ledger.recordWatermark(`stream/shardId-${randomUUID()}`, Date.now())),
    );
    // Assess
    expect(observed).toEqual({ spend: { actions: [...SPEND_CONSUMER_GRANT.actions].sort() } });
  });
});

describe('BiddingSettingsRepository on DynamoDB sends exactly the actions iam-grants.ts declares', () => {
  it('every method, a refused create and a stale save included', async () => {
    // Prepare
    const recorded = new DynamoBiddingSettingsRepository({ client: recorder.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const accountId = `acct-${randomUUID()}`;
    const first = createBiddingSettings(accountId, { allowedSeats: ['seat-1'], allowedPmpDealIds: [] }, change());
    const next = { ...first, allowedSeats: ['seat-2'], version: 2 };
    const audit = (settings: typeof first, action: 'biddingSettings.created' | 'biddingSettings.replaced') => biddingSettingsAuditEntry(settings, action, change());
    // Act
    const observed = {
      getBiddingSettings: await recorder.capture(() => recorded.getBiddingSettings(accountId)),
      createBiddingSettings: merged(
        await recorder.capture(() => recorded.createBiddingSettings(first, audit(first, 'biddingSettings.created'))),
        await recorder.capture(() => recorded.createBiddingSettings(first, audit(first, 'biddingSettings.created'))),
      ),
      saveBiddingSettings: merged(
        await recorder.capture(() => recorded.saveBiddingSettings(next, 1, audit(next, 'biddingSettings.replaced'))),
        await recorder.capture(() => recorded.saveBiddingSettings(next, 1, audit(next, 'biddingSettings.replaced'))),
      ),
      listAccountAudit: await recorder.capture(() => recorded.listAccountAudit(accountId, { limit: 10 })),
    };
    // Assess
    for (const [method, actions] of Object.entries(observed)) expect(actions, method).toEqual(declared(method as keyof BiddingSettingsRepository));
    expect(Object.keys(observed).sort()).toEqual(Object.keys(BIDDING_SETTINGS_REPOSITORY_GRANTS).sort());
  });
});

function change(): ChangeContext {
  return { actor: { userId: 'user-admin', groups: ['admin'], accountIds: [] }, correlationId: `corr-${randomUUID()}`, sourceIp: '203.0.113.7', userAgent: 'vitest', at: new Date().toISOString() };
}
