/**
 * EngagementStore on the engagement table (infra/stacks/data-stack.ts; docs/data-model.md):
 *
 *   score    pk DEAL#<dealId>    sk ENGAGEMENT   dealId, accountId, dealVersion, score, tier, components,
 *            computedAt, state, revision (N); index keys gsiAccountPk = ACCOUNT#<acc>,
 *            gsiAccountTierPk = ACCOUNT#<acc>#TIER#<tier>, gsiScoreSk = <score in hundredths, 5 digits>#<dealId>
 *   health   pk ACCOUNT#<acc>    sk HEALTH       accountId, dealsByStatus, updatedAt, revision (N)
 *            (no index keys: never listed)
 *
 * applyOnce: a consistent GetItem of each, the caller's pure step, then ONE TransactWriteItems: the
 * score's Put (or Delete when the deal is removed) and the health's Put when its counts moved, each
 * conditional on the revision that was read (or on not existing), and the event's applied marker in the
 * changeEvents table (`attribute_not_exists(pk)`). A failed marker condition means the event was
 * already applied: nothing is written, `duplicate`. A failed revision condition, or a concurrent
 * transaction on the same items (another deal of the account moving its health), loads, computes and
 * tries again with backoff, so no writer's update is lost. Needs GetItem, PutItem and DeleteItem on the
 * engagement table and PutItem on changeEvents (ENGAGEMENT_CONSUMER_GRANT, iam-grants.ts).
 *
 * Listing: Query on byAccountScore (or byAccountTierScore), ScanIndexForward=false, one item more than
 * the page to know whether another page follows; the cursor is the last item's key.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors.js';
import type { EngagementTier } from '../../engagement/config.js';
import { type AccountHealthState, type EngagementRecord, scoreRankKey } from '../../engagement/model.js';
import {
  type AppliedEventRef,
  type ApplyOutcome,
  type EngagementCompute,
  type EngagementListQuery,
  type EngagementStore,
  EngagementWriteConflictError,
} from '../../ports/engagement-store.js';
import type { Page } from '../../ports/page.js';
import { appliedEventMarkerPut } from './applied-events.js';
import { type CursorRules, decodeCursor, encodeCursor, type Key } from './cursor.js';

export const ENGAGEMENT_SK = 'ENGAGEMENT';
export const ACCOUNT_HEALTH_SK = 'HEALTH';
export const ENGAGEMENT_INDEX = {
  byAccountScore: { name: 'byAccountScore', pk: 'gsiAccountPk', sk: 'gsiScoreSk' },
  byAccountTierScore: { name: 'byAccountTierScore', pk: 'gsiAccountTierPk', sk: 'gsiScoreSk' },
} as const;

export const engagementKeys = {
  deal: (dealId: string) => ({ pk: `DEAL#${dealId}`, sk: ENGAGEMENT_SK }),
  account: (accountId: string) => ({ pk: `ACCOUNT#${accountId}`, sk: ACCOUNT_HEALTH_SK }),
  accountPk: (accountId: string) => `ACCOUNT#${accountId}`,
  accountTierPk: (accountId: string, tier: EngagementTier) => `ACCOUNT#${accountId}#TIER#${tier}`,
} as const;

/** Attributes the store adds to a record; they never reach the domain. */
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'kind', 'revision', 'gsiAccountPk', 'gsiAccountTierPk', 'gsiScoreSk'] as const;

type Item = Record<string, unknown>;
type Loaded<T> = { value: T; revision: number } | undefined;

const RETRYABLE_ERRORS = new Set(['TransactionConflictException', 'ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError']);

export interface DynamoEngagementStoreOptions {
  client: DynamoDBDocumentClient;
  /** The engagement table (ENGAGEMENT_TABLE_NAME). */
  tableName: string;
  /** The changeEvents table for the applied markers (CHANGE_EVENTS_TABLE_NAME); only applyOnce needs it. */
  changeEventsTableName?: string;
  /** Load-compute-write rounds before giving up on a contended deal or account. Default 8. */
  maxAttempts?: number;
  clock?: () => number;
}

export class DynamoEngagementStore implements EngagementStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly maxAttempts: number;
  private readonly clock: () => number;

  constructor(private readonly options: DynamoEngagementStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.clock = options.clock ?? Date.now;
  }

  async get(dealId: string): Promise<EngagementRecord | undefined> {
    return (await this.loadDeal(dealId))?.value;
  }

  async applyOnce(consumer: string, event: AppliedEventRef, compute: EngagementCompute): Promise<ApplyOutcome> {
    const changeEventsTable = this.options.changeEventsTableName;
    if (!changeEventsTable) throw new Error('DynamoEngagementStore.applyOnce needs changeEventsTableName (CHANGE_EVENTS_TABLE_NAME)');
    for (let attempt = 1; ; attempt++) {
      const [deal, account] = await Promise.all([this.loadDeal(event.dealId), this.loadAccount(event.accountId)]);
      const step = compute({ deal: deal?.value.state, account: account?.value });
      if (step.kind === 'ignore') return { status: 'ignored', reason: step.reason };

      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
      if (step.kind === 'remove') {
        items.push({ Delete: { TableName: this.tableName, Key: engagementKeys.deal(step.dealId), ...revisionCondition(deal) } });
      } else {
        items.push({ Put: { TableName: this.tableName, Item: scoreItem(step.record, nextRevision(deal)), ...revisionCondition(deal) } });
      }
      if (step.kind === 'remove' || step.accountChanged) {
        const health = healthItem(step.account, nextRevision(account), new Date(this.clock()).toISOString());
        items.push({ Put: { TableName: this.tableName, Item: health, ...revisionCondition(account) } });
      }
      items.push(appliedEventMarkerPut(changeEventsTable, consumer, event.eventId, this.clock()));

      const outcome = await this.write(items);
      if (outcome === 'written') return step.kind === 'score' ? { status: 'applied', record: step.record } : { status: 'applied' };
      if (outcome === 'duplicate') return { status: 'duplicate' };
      if (attempt >= this.maxAttempts) throw new EngagementWriteConflictError(event.dealId, attempt);
      await sleep(backoff(attempt));
    }
  }

  async listByAccount(query: EngagementListQuery): Promise<Page<EngagementRecord>> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ValidationError([{ path: 'limit', message: 'limit must be an integer from 1 to 100' }]);
    }
    const index = query.tier === undefined ? ENGAGEMENT_INDEX.byAccountScore : ENGAGEMENT_INDEX.byAccountTierScore;
    const partition =
      query.tier === undefined ? engagementKeys.accountPk(query.accountId) : engagementKeys.accountTierPk(query.accountId, query.tier);
    const rules: CursorRules = { attributes: ['pk', 'sk', index.pk, index.sk], partition: { name: index.pk, value: partition } };
    let startKey: Key | undefined = query.cursor !== undefined ? decodeCursor(query.cursor, rules) : undefined;
    const items: Item[] = [];
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.pk },
          ExpressionAttributeValues: { ':pk': partition },
          ScanIndexForward: false,
          Limit: limit + 1 - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey as Key | undefined;
    } while (items.length <= limit && startKey);
    if (items.length <= limit) return { items: items.map(toRecord) };
    const kept = items.slice(0, limit);
    const last = kept.at(-1)!;
    const key: Key = Object.fromEntries(rules.attributes.map((name) => [name, String(last[name])]));
    return { items: kept.map(toRecord), nextCursor: encodeCursor(key) };
  }

  private async loadDeal(dealId: string): Promise<Loaded<EngagementRecord>> {
    const item = await this.getItem(engagementKeys.deal(dealId));
    return item ? { value: toRecord(item), revision: Number(item.revision ?? 0) } : undefined;
  }

  private async loadAccount(accountId: string): Promise<Loaded<AccountHealthState>> {
    const item = await this.getItem(engagementKeys.account(accountId));
    if (!item) return undefined;
    const value: AccountHealthState = { accountId: String(item.accountId), dealsByStatus: item.dealsByStatus as AccountHealthState['dealsByStatus'] };
    return { value, revision: Number(item.revision ?? 0) };
  }

  private async getItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  /** Sends the transaction; says whether it was written, was a duplicate, or must be recomputed. */
  private async write(items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<'written' | 'duplicate' | 'retry'> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'written';
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TransactionCanceledException') {
        const codes = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        // The marker is the last item: its condition failing means the event was applied before.
        if (codes[items.length - 1] === 'ConditionalCheckFailed') return 'duplicate';
        // A record changed since it was read, or another transaction held one of the items.
        if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict' || code === 'ThrottlingError')) return 'retry';
        throw error;
      }
      if (RETRYABLE_ERRORS.has(name)) return 'retry';
      throw error;
    }
  }
}

/** The score's item: the record with its keys and index keys. */
function scoreItem(record: EngagementRecord, revision: number): Item {
  return {
    ...engagementKeys.deal(record.dealId),
    kind: 'engagement',
    revision,
    gsiAccountPk: engagementKeys.accountPk(record.accountId),
    gsiAccountTierPk: engagementKeys.accountTierPk(record.accountId, record.tier),
    gsiScoreSk: scoreRankKey(record.score, record.dealId),
    ...record,
  };
}

function healthItem(account: AccountHealthState, revision: number, updatedAt: string): Item {
  return { ...engagementKeys.account(account.accountId), kind: 'accountHealth', revision, ...account, updatedAt };
}

function toRecord(item: Item): EngagementRecord {
  const record = { ...item };
  for (const name of STORAGE_ATTRIBUTES) delete record[name];
  return record as unknown as EngagementRecord;
}

/** Write only over the revision that was read; create only what did not exist. */
function revisionCondition(loaded: Loaded<unknown>): { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> } {
  if (!loaded) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return { ConditionExpression: 'revision = :revision', ExpressionAttributeValues: { ':revision': loaded.revision } };
}

const nextRevision = (loaded: Loaded<unknown>): number => (loaded?.revision ?? 0) + 1;

/** Full jitter: random in [0, min(200, 10 * 2^attempt)) ms. */
const backoff = (attempt: number): number => Math.random() * Math.min(200, 10 * 2 ** attempt);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
