/**
 * DealRepository on DynamoDB (docs/data-model.md).
 *
 * Every state change is ONE TransactWriteItems: the entity put (create: attribute_not_exists(pk);
 * update: version = :expected), its version snapshot put and its audit entry put (both
 * attribute_not_exists(pk), so history items can never be overwritten).
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../domain/audit.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import { NotFoundError, ValidationError, VersionConflictError } from '../../domain/errors.js';
import type { DealListQuery, DealRepository } from '../../ports/deal-repository.js';
import type { Page, PageRequest } from '../../ports/page.js';
import { type CursorRules, type Key, decodeCursor, encodeCursor } from './cursor.js';
import {
  type Item,
  auditFromItem,
  auditToItem,
  campaignFromItem,
  campaignToItem,
  campaignVersionToItem,
  dealFromItem,
  dealToItem,
  dealVersionToItem,
} from './items.js';
import {
  AUDIT_SK_PREFIX,
  CAMPAIGN_SK_PREFIX,
  DEAL_SK,
  INDEX,
  VERSION_SK_PREFIX,
  accountPk,
  accountStatusPk,
  accountTypePk,
  campaignSk,
  dealPk,
  dealVersionSk,
} from './keys.js';
import { assertAuditBelongs, assertNextVersion } from '../write-preconditions.js';

export interface DynamoDealRepositoryOptions {
  client: DynamoDBDocumentClient;
  dealsTableName: string;
  historyTableName: string;
  /** Attempts for a transaction cancelled by a concurrent transaction (TransactionConflict). Default 6. */
  maxConflictAttempts?: number;
}

/** Fewest queries one listing may issue before it returns a short page with a cursor. */
const MAX_QUERY_ROUNDS = 10;
const NOT_EXISTS = 'attribute_not_exists(pk)';

type Versioned = { version: number };

/** What a cancelled transaction tells us, per item (in the order the items were sent). */
type CancelCode = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | string;

interface WriteSpec {
  input: TransactWriteCommandInput;
  /** What the entity put expects: no item (create) or this version (update). */
  expected: { kind: 'absent' } | { kind: 'version'; version: number };
  /** Consistent read of the entity's current version. */
  readCurrent: () => Promise<Versioned | undefined>;
  notFound: () => NotFoundError;
  /** Index of an optional ConditionCheck (campaign create: the deal exists) and its error. */
  parentCheck?: { index: number; error: () => Error };
  describe: string;
}

export class DynamoDealRepository implements DealRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly deals: string;
  private readonly history: string;
  private readonly maxConflictAttempts: number;

  constructor(options: DynamoDealRepositoryOptions) {
    this.client = options.client;
    this.deals = options.dealsTableName;
    this.history = options.historyTableName;
    this.maxConflictAttempts = options.maxConflictAttempts ?? 6;
  }

  // ---------------------------------------------------------------- deals

  async createDeal(deal: Deal, audit: AuditEntry): Promise<void> {
    assertAuditBelongs(audit, deal.id, 'deal', deal.id);
    await this.write({
      input: {
        TransactItems: [
          { Put: { TableName: this.deals, Item: dealToItem(deal), ConditionExpression: NOT_EXISTS } },
          { Put: { TableName: this.history, Item: dealVersionToItem(deal), ConditionExpression: NOT_EXISTS } },
          { Put: { TableName: this.history, Item: auditToItem(audit), ConditionExpression: NOT_EXISTS } },
        ],
      },
      expected: { kind: 'absent' },
      readCurrent: () => this.getDeal(deal.id),
      notFound: () => new NotFoundError('deal', deal.id),
      describe: `deal ${deal.id} v${deal.version}`,
    });
  }

  async getDeal(dealId: string): Promise<Deal | undefined> {
    const item = await this.getItem(this.deals, dealPk(dealId), DEAL_SK);
    return item && dealFromItem(item);
  }

  async saveDeal(next: Deal, expectedVersion: number, audit: AuditEntry): Promise<void> {
    assertNextVersion(next.version, expectedVersion);
    assertAuditBelongs(audit, next.id, 'deal', next.id);
    await this.write({
      input: {
        TransactItems: [
          {
            Put: {
              TableName: this.deals,
              Item: dealToItem(next),
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expectedVersion },
            },
          },
          { Put: { TableName: this.history, Item: dealVersionToItem(next), ConditionExpression: NOT_EXISTS } },
          { Put: { TableName: this.history, Item: auditToItem(audit), ConditionExpression: NOT_EXISTS } },
        ],
      },
      expected: { kind: 'version', version: expectedVersion },
      readCurrent: () => this.getDeal(next.id),
      notFound: () => new NotFoundError('deal', next.id),
      describe: `deal ${next.id} v${next.version}`,
    });
  }

  async listDeals(query: DealListQuery): Promise<Page<Deal>> {
    const { accountId, status, type } = query;
    const index = status ? INDEX.byAccountStatus : type ? INDEX.byAccountType : INDEX.byAccount;
    const partition = status
      ? accountStatusPk(accountId, status)
      : type
        ? accountTypePk(accountId, type)
        : accountPk(accountId);
    const filterByType = status !== undefined && type !== undefined;
    return this.queryPage(
      {
        TableName: this.deals,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.pk, ...(filterByType ? { '#type': 'type' } : {}) },
        ExpressionAttributeValues: { ':pk': partition, ...(filterByType ? { ':type': type } : {}) },
        ...(filterByType ? { FilterExpression: '#type = :type' } : {}),
        ScanIndexForward: false,
      },
      query,
      {
        attributes: ['pk', 'sk', index.pk, index.sk],
        partition: { name: index.pk, value: partition },
        sortPrefix: { name: 'sk', prefix: DEAL_SK },
      },
      dealFromItem,
      filterByType,
    );
  }

  async listDealVersions(dealId: string, page: PageRequest): Promise<Page<Deal>> {
    return this.queryPrefix(this.history, dealId, VERSION_SK_PREFIX, false, page, dealFromItem);
  }

  async getDealVersion(dealId: string, version: number): Promise<Deal | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const item = await this.getItem(this.history, dealPk(dealId), dealVersionSk(version));
    return item && dealFromItem(item);
  }

  async listAudit(dealId: string, page: PageRequest): Promise<Page<AuditEntry>> {
    return this.queryPrefix(this.history, dealId, AUDIT_SK_PREFIX, true, page, auditFromItem);
  }

  // ------------------------------------------------------------ campaigns

  async createCampaign(campaign: Campaign, audit: AuditEntry): Promise<void> {
    assertAuditBelongs(audit, campaign.dealId, 'campaign', campaign.id);
    await this.write({
      input: {
        TransactItems: [
          { Put: { TableName: this.deals, Item: campaignToItem(campaign), ConditionExpression: NOT_EXISTS } },
          { Put: { TableName: this.history, Item: campaignVersionToItem(campaign), ConditionExpression: NOT_EXISTS } },
          { Put: { TableName: this.history, Item: auditToItem(audit), ConditionExpression: NOT_EXISTS } },
          {
            ConditionCheck: {
              TableName: this.deals,
              Key: { pk: dealPk(campaign.dealId), sk: DEAL_SK },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      },
      expected: { kind: 'absent' },
      readCurrent: () => this.getCampaign(campaign.dealId, campaign.id),
      notFound: () => new NotFoundError('campaign', campaign.id),
      parentCheck: { index: 3, error: () => new NotFoundError('deal', campaign.dealId) },
      describe: `campaign ${campaign.id} v${campaign.version}`,
    });
  }

  async getCampaign(dealId: string, campaignId: string): Promise<Campaign | undefined> {
    const item = await this.getItem(this.deals, dealPk(dealId), campaignSk(campaignId));
    return item && campaignFromItem(item);
  }

  async saveCampaign(next: Campaign, expectedVersion: number, audit: AuditEntry): Promise<void> {
    assertNextVersion(next.version, expectedVersion);
    assertAuditBelongs(audit, next.dealId, 'campaign', next.id);
    await this.write({
      input: {
        TransactItems: [
          {
            Put: {
              TableName: this.deals,
              Item: campaignToItem(next),
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expectedVersion },
            },
          },
          { Put: { TableName: this.history, Item: campaignVersionToItem(next), ConditionExpression: NOT_EXISTS } },
          { Put: { TableName: this.history, Item: auditToItem(audit), ConditionExpression: NOT_EXISTS } },
        ],
      },
      expected: { kind: 'version', version: expectedVersion },
      readCurrent: () => this.getCampaign(next.dealId, next.id),
      notFound: () => new NotFoundError('campaign', next.id),
      describe: `campaign ${next.id} v${next.version}`,
    });
  }

  async listCampaigns(dealId: string, page: PageRequest): Promise<Page<Campaign>> {
    return this.queryPrefix(this.deals, dealId, CAMPAIGN_SK_PREFIX, true, page, campaignFromItem);
  }

  // ------------------------------------------------------------- plumbing

  private async getItem(table: string, pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }

  private async write(spec: WriteSpec): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let codes: CancelCode[] | undefined;
      try {
        await this.client.send(new TransactWriteCommand(spec.input));
        return;
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TransactionCanceledException') {
          codes = ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map(
            (r) => r.Code ?? 'None',
          );
        } else if (name !== 'TransactionConflictException') {
          throw err;
        }
        if (codes?.[0] === 'ConditionalCheckFailed') throw await this.conflict(spec);
        if (spec.parentCheck && codes?.[spec.parentCheck.index] === 'ConditionalCheckFailed') {
          throw spec.parentCheck.error();
        }
        if (codes?.some((c, i) => i > 0 && c === 'ConditionalCheckFailed')) {
          // The entity condition held but history already has this version or audit entry: the
          // history and the current state disagree. Never overwrite history; surface it.
          throw new Error(`history already holds an item written by ${spec.describe}; refusing to overwrite`);
        }
        const retryable =
          codes === undefined || codes.length === 0 || codes.some((c) => c === 'TransactionConflict' || c === 'ThrottlingError');
        if (!retryable) throw err;
        // A concurrent transaction touched the same item. If it moved the version, we lost the race.
        const current = await spec.readCurrent();
        if (spec.expected.kind === 'version') {
          if (!current) throw spec.notFound();
          if (current.version !== spec.expected.version) {
            throw new VersionConflictError(spec.expected.version, current.version);
          }
        } else if (current) {
          throw new VersionConflictError(0, current.version);
        }
        if (attempt >= this.maxConflictAttempts) throw err;
        await sleep(backoff(attempt));
      }
    }
  }

  /** The entity's condition failed: say why, with the current version. */
  private async conflict(spec: WriteSpec): Promise<Error> {
    const current = await spec.readCurrent();
    if (spec.expected.kind === 'absent') {
      // Creating an id that already exists: "expected nothing (version 0), found version n".
      return new VersionConflictError(0, current?.version ?? 0);
    }
    if (!current) return spec.notFound();
    return new VersionConflictError(spec.expected.version, current.version);
  }

  /** Items of one deal's item collection whose sort key starts with `prefix`. */
  private queryPrefix<T>(
    table: string,
    dealId: string,
    prefix: string,
    ascending: boolean,
    page: PageRequest,
    map: (item: Item) => T,
  ): Promise<Page<T>> {
    const pk = dealPk(dealId);
    return this.queryPage(
      {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ScanIndexForward: ascending,
        ConsistentRead: true,
      },
      page,
      { attributes: ['pk', 'sk'], partition: { name: 'pk', value: pk }, sortPrefix: { name: 'sk', prefix } },
      map,
      false,
    );
  }

  /**
   * One page of a query. The cursor is the key of the last item returned, so a page can be cut
   * anywhere (also inside a DynamoDB page) without gaps or duplicates. Asking for one item more than
   * the page holds tells whether there is a next page, so the last page carries no cursor.
   */
  private async queryPage<T>(
    input: QueryCommandInput,
    page: PageRequest,
    rules: CursorRules,
    map: (item: Item) => T,
    filtered: boolean,
  ): Promise<Page<T>> {
    const limit = page.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ValidationError([{ path: 'limit', message: 'limit must be an integer from 1 to 100' }]);
    }
    let startKey: Key | undefined = page.cursor !== undefined ? decodeCursor(page.cursor, rules) : undefined;
    const items: Item[] = [];
    let rounds = 0;
    do {
      const wanted = limit + 1 - items.length;
      const out = await this.client.send(
        new QueryCommand({
          ...input,
          // With a filter, read more per round: the filter runs after Limit is applied.
          Limit: filtered ? Math.min(Math.max(wanted * 4, 50), 1000) : wanted,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey as Key | undefined;
      rounds++;
    } while (items.length <= limit && startKey && rounds < MAX_QUERY_ROUNDS);

    if (items.length > limit) {
      const kept = items.slice(0, limit);
      const last = kept[kept.length - 1]!;
      const key: Key = {};
      for (const name of rules.attributes) key[name] = last[name] as string;
      return { items: kept.map(map), nextCursor: encodeCursor(key) };
    }
    // Fewer than `limit` items: either the end, or (after MAX_QUERY_ROUNDS of a selective filter) a
    // short page that continues where the last query stopped.
    return startKey ? { items: items.map(map), nextCursor: encodeCursor(startKey) } : { items: items.map(map) };
  }
}


/** Full jitter: random in [0, min(200, 10 * 2^attempt)) ms. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(200, 10 * 2 ** attempt);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
