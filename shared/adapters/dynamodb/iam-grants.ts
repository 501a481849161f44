/**
 * What the DynamoDB adapters need in IAM, per call: the single source the API's route table derives
 * each function's permissions from (infra/api/routes.ts), so a route holds exactly the actions of the
 * calls its handler makes. Plain data (no SDK import): infra and tests read it.
 *
 * A TransactWriteItems call needs the per-item action of each item it carries: PutItem for a Put,
 * UpdateItem for an Update, DeleteItem for a Delete, ConditionCheckItem for a ConditionCheck.
 * test/integration/dynamodb/iam-grants.test.ts runs every call against DynamoDB Local and checks the
 * actions it sends against this file, so a change to an adapter that is not reflected here fails.
 */
import type { BiddingSettingsRepository } from '../../ports/bidding-settings-repository.js';
import type { DealRepository } from '../../ports/deal-repository.js';
import type { EngagementStore } from '../../ports/engagement-store.js';

/** DynamoDB actions (without the `dynamodb:` prefix). */
export type DynamoDbAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'ConditionCheckItem'
  | 'DescribeTable'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem';

/** Actions that change items; every other action only reads. */
export const WRITE_ACTIONS: readonly DynamoDbAction[] = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];

/** What a function may do on one table. */
export interface TableGrant {
  /** Actions on the table itself. Empty: the function is given the table's name but may not call it. */
  readonly actions: readonly DynamoDbAction[];
  /** Actions on the table's secondary indexes, each index named in the policy. */
  readonly indexActions?: readonly ('Query' | 'Scan')[];
}

/** The tables the API's repositories are built with (DEALS_TABLE_NAME, HISTORY_TABLE_NAME). */
export type RepositoryTable = 'deals' | 'history';

type MethodGrants = Readonly<Partial<Record<RepositoryTable, TableGrant>>>;

/**
 * Per DealRepository method (shared/adapters/dynamodb/deal-repository.ts, deal-budget.ts). Writes are
 * one TransactWriteItems: the entity put, the history puts and the Update of the deal's budget item.
 * A write whose condition fails, or that meets a concurrent transaction, re-reads (GetItem) to tell a
 * stale version, a missing entity, a refused budget and an already used creation scope apart. A
 * budget-changing write on a deal stored before budget items existed first rebuilds the item: the
 * deal (GetItem), its campaigns' budgets (Query) and a conditional PutItem.
 */
export const DEAL_REPOSITORY_GRANTS: { readonly [Method in keyof DealRepository]: MethodGrants } = {
  createDeal: { deals: { actions: ['PutItem', 'GetItem'] }, history: { actions: ['PutItem', 'GetItem'] } },
  getDeal: { deals: { actions: ['GetItem'] } },
  saveDeal: { deals: { actions: ['PutItem', 'UpdateItem', 'GetItem', 'Query'] }, history: { actions: ['PutItem'] } },
  // The account indexes only (byAccount, byAccountStatus, byAccountType).
  listDeals: { deals: { actions: [], indexActions: ['Query'] } },
  listDealVersions: { history: { actions: ['Query'] } },
  getDealVersion: { history: { actions: ['GetItem'] } },
  listAudit: { history: { actions: ['Query'] } },
  createCampaign: { deals: { actions: ['PutItem', 'UpdateItem', 'GetItem', 'Query'] }, history: { actions: ['PutItem', 'GetItem'] } },
  getCampaign: { deals: { actions: ['GetItem'] } },
  getCampaignVersion: { history: { actions: ['GetItem'] } },
  saveCampaign: { deals: { actions: ['PutItem', 'UpdateItem', 'GetItem', 'Query'] }, history: { actions: ['PutItem'] } },
  listCampaigns: { deals: { actions: ['Query'] } },
  findCreation: { history: { actions: ['GetItem'] } },
};

/**
 * Per BiddingSettingsRepository method (bidding-settings-repository.ts): the settings live in the deals
 * table, their versions and audit entries in history; a refused write re-reads the settings.
 */
export const BIDDING_SETTINGS_REPOSITORY_GRANTS: { readonly [Method in keyof BiddingSettingsRepository]: MethodGrants } = {
  getBiddingSettings: { deals: { actions: ['GetItem'] } },
  createBiddingSettings: { deals: { actions: ['PutItem', 'GetItem'] }, history: { actions: ['PutItem'] } },
  saveBiddingSettings: { deals: { actions: ['PutItem', 'GetItem'] }, history: { actions: ['PutItem'] } },
  listAccountAudit: { history: { actions: ['Query'] } },
};

/**
 * The spend-reconciliation consumer's calls of DynamoSpendLedger (spend-ledger.ts) on the spend table:
 * `recordSpend` is one TransactWriteItems per campaign-day chunk (a Put per event marker, an Update of
 * the day's total) and, when markers already exist, a consistent BatchGetItem to tell replays apart;
 * `recordWatermark` is a conditional UpdateItem. Nothing is read whole, scanned or deleted.
 */
export const SPEND_CONSUMER_GRANT: TableGrant = { actions: ['BatchGetItem', 'PutItem', 'UpdateItem'] };

/**
 * DynamoAppliedEvents (applied-events.ts) on the changeEvents table: markApplied is a conditional
 * PutItem, hasApplied a consistent GetItem. Nothing is updated, deleted, queried or scanned.
 */
export const APPLIED_EVENTS_GRANT: TableGrant = { actions: ['GetItem', 'PutItem'] };

/**
 * Per EngagementStore method (engagement-store.ts): `get` is a consistent GetItem of the score; the
 * listing queries the account indexes (byAccountScore, byAccountTierScore) only; `applyOnce` reads the
 * score and the account's health (GetItem), then one TransactWriteItems with a Put of the score (a Delete
 * when the deal is removed), a Put of the health and a Put of the applied marker in changeEvents.
 */
export const ENGAGEMENT_STORE_GRANTS: {
  readonly [Method in keyof EngagementStore]: { readonly engagement: TableGrant; readonly changeEvents?: TableGrant };
} = {
  get: { engagement: { actions: ['GetItem'] } },
  listByAccount: { engagement: { actions: [], indexActions: ['Query'] } },
  applyOnce: { engagement: { actions: ['DeleteItem', 'GetItem', 'PutItem'] }, changeEvents: { actions: ['PutItem'] } },
};

/** The engagement consumer (functions/events/engagement.ts) on the engagement table: applyOnce only. */
export const ENGAGEMENT_CONSUMER_GRANT: TableGrant = ENGAGEMENT_STORE_GRANTS.applyOnce.engagement;

/** The same consumer on the changeEvents table: the applied marker's conditional Put, inside its transaction. */
export const ENGAGEMENT_CONSUMER_CHANGE_EVENTS_GRANT: TableGrant = ENGAGEMENT_STORE_GRANTS.applyOnce.changeEvents!;

/** The engagement table's grant of a handler that makes these EngagementStore calls (and no other). */
export function engagementStoreGrant(calls: readonly (keyof EngagementStore)[]): TableGrant {
  return unionGrants(...calls.map((method) => ENGAGEMENT_STORE_GRANTS[method].engagement));
}

/**
 * DynamoHeldDeals (held-deals.ts) on the changeEvents table, per caller. The change processor asks which
 * deals of a batch are held (consistent BatchGetItem) and holds a deal (UpdateItem ADD); the redrive
 * releases (UpdateItem DELETE, then a conditional DeleteItem of an emptied item).
 */
export const CHANGE_PROCESSOR_HELD_DEALS_GRANT: TableGrant = { actions: ['BatchGetItem', 'UpdateItem'] };
export const REDRIVE_HELD_DEALS_GRANT: TableGrant = { actions: ['UpdateItem', 'DeleteItem'] };

/** The client rate limiter (client-rate-limiter.ts): one conditional UpdateItem per request. */
export const CLIENT_RATE_LIMITER_GRANT: TableGrant = { actions: ['UpdateItem'] };

/** The union of grants, actions in a stable order. */
export function unionGrants(...grants: readonly (TableGrant | undefined)[]): TableGrant {
  const actions = new Set<DynamoDbAction>();
  const indexActions = new Set<'Query' | 'Scan'>();
  for (const grant of grants) {
    grant?.actions.forEach((action) => actions.add(action));
    grant?.indexActions?.forEach((action) => indexActions.add(action));
  }
  return {
    actions: [...actions].sort(),
    ...(indexActions.size > 0 ? { indexActions: [...indexActions].sort() } : {}),
  };
}

/** The repository methods a handler calls, by the name its dependencies give the repository. */
export interface RepositoryCalls {
  readonly repo?: readonly (keyof DealRepository)[];
  readonly biddingSettings?: readonly (keyof BiddingSettingsRepository)[];
}

/**
 * Grants on both repository tables for a handler that makes `calls`. Both tables are always present:
 * the repositories are built with both names, and a table none of the calls needs gets no action.
 */
export function repositoryGrants(calls: RepositoryCalls): Record<RepositoryTable, TableGrant> {
  const grants: MethodGrants[] = [
    ...(calls.repo ?? []).map((method) => DEAL_REPOSITORY_GRANTS[method]),
    ...(calls.biddingSettings ?? []).map((method) => BIDDING_SETTINGS_REPOSITORY_GRANTS[method]),
  ];
  return {
    deals: unionGrants(...grants.map((grant) => grant.deals)),
    history: unionGrants(...grants.map((grant) => grant.history)),
  };
}
