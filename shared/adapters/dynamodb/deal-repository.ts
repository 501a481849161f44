/**
 * DealRepository on DynamoDB (docs/data-model.md).
 *
 * Every state change is ONE TransactWriteItems: the entity put (create: attribute_not_exists(pk);
 * update: version = :expected), its version snapshot put and its audit entry put (both
 * attribute_not_exists(pk), so history items can never be overwritten); the deal's budget item when the
 * budget sum may change (deal-budget.ts); a create under an Idempotency-Key also puts its creation record.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../domain/audit.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import { NotFoundError, ValidationError, VersionConflictError } from '../../domain/errors.js';
import {
  AlreadyCreatedError,
  type CreationRecord,
  type CreationRequest,
  type DealListQuery,
  type DealRepository,
} from '../../ports/deal-repository.js';
import type { Page, PageRequest } from '../../ports/page.js';
import { type CursorRules, type Key, decodeCursor, encodeCursor } from './cursor.js';
import { DealBudgets, type TransactItem } from './deal-budget.js';
import {
  type Item,
  auditFromItem,
  auditToItem,
  campaignFromItem,
  campaignToItem,
  campaignVersionToItem,
  creationFromItem,
  creationToItem,
  dealFromItem,
  dealToItem,
  dealVersionToItem,
} from './items.js';
import {
  AUDIT_SK_PREFIX,
  CAMPAIGN_SK_PREFIX,
  DEAL_SK,
  INDEX,
  CREATION_SK,
  VERSION_SK_PREFIX,
  accountPk,
  accountStatusPk,
  accountTypePk,
  campaignSk,
  campaignVersionSk,
  creationPk,
  dealPk,
  dealVersionSk,
} from './keys.js';
import { assertAuditBelongs, assertNextVersion } from '../write-preconditions.js';
import { type WriteSpec, writeTransaction } from './transaction.js';

export interface DynamoDealRepositoryOptions {
  client: DynamoDBDocumentClient;
  dealsTableName: string;
  historyTableName: string;
  /**
   * Attempts for a transaction cancelled by a concurrent transaction (TransactionConflict), or by a budget
   * condition that a re-read shows would hold now. Default 6.
   */
  maxConflictAttempts?: number;
}

/** Fewest queries one listing may issue before it returns a short page with a cursor. */
const MAX_QUERY_ROUNDS = 10;
const NOT_EXISTS = 'attribute_not_exists(pk)';

export class DynamoDealRepository implements DealRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly deals: string;
  private readonly history: string;
  private readonly maxConflictAttempts: number;
  private readonly budgets: DealBudgets;

  constructor(options: DynamoDealRepositoryOptions) {
    this.client = options.client;
    this.deals = options.dealsTableName;
    this.history = options.historyTableName;
    this.maxConflictAttempts = options.maxConflictAttempts ?? 6;
    this.budgets = new DealBudgets(this.client, this.deals);
  }

  // ---------------------------------------------------------------- deals

  async createDeal(deal: Deal, audit: AuditEntry, creation?: CreationRequest): Promise<void> {
    assertAuditBelongs(audit, deal.id, 'deal', deal.id);
    const items: TransactItem[] = [
      { Put: { TableName: this.deals, Item: dealToItem(deal), ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: this.history, Item: dealVersionToItem(deal), ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: this.history, Item: auditToItem(audit), ConditionExpression: NOT_EXISTS } },
      this.budgets.put(deal),
    ];
    const record =
      creation && this.appendCreationRecord(items, { ...creation, entityType: 'deal', dealId: deal.id, entityId: deal.id, at: deal.createdAt });
    await this.write({
      input: { TransactItems: items },
      expected: { kind: 'absent' },
      readCurrent: () => this.getDeal(deal.id),
      notFound: () => new NotFoundError('deal', deal.id),
      ...(record ? { conditions: [record] } : {}),
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
    const total = next.totalValue;
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
          this.budgets.retotal(next),
        ],
      },
      expected: { kind: 'version', version: expectedVersion },
      readCurrent: () => this.getDeal(next.id),
      notFound: () => new NotFoundError('deal', next.id),
      conditions: [
        {
          index: 3,
          // A cut in the total needs that much unallocated; a new currency needs nothing allocated.
          refusal: () =>
            this.budgets.refusal(next.id, (budget) =>
              budget.currency === total.currency
                ? { amountMinor: budget.totalValueMinor - total.amountMinor, currency: total.currency }
                : total,
            ),
        },
      ],
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

  async createCampaign(campaign: Campaign, audit: AuditEntry, creation?: CreationRequest): Promise<void> {
    assertAuditBelongs(audit, campaign.dealId, 'campaign', campaign.id);
    // The budget item exists exactly when the deal does (both are created together, neither is ever
    // deleted), so its condition also stands for "the deal exists".
    const items: TransactItem[] = [
      { Put: { TableName: this.deals, Item: campaignToItem(campaign), ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: this.history, Item: campaignVersionToItem(campaign), ConditionExpression: NOT_EXISTS } },
      { Put: { TableName: this.history, Item: auditToItem(audit), ConditionExpression: NOT_EXISTS } },
      this.budgets.allocate(campaign.dealId, campaign.budget),
    ];
    const record =
      creation &&
      this.appendCreationRecord(items, { ...creation, entityType: 'campaign', dealId: campaign.dealId, entityId: campaign.id, at: campaign.createdAt });
    await this.write({
      input: { TransactItems: items },
      expected: { kind: 'absent' },
      readCurrent: () => this.getCampaign(campaign.dealId, campaign.id),
      notFound: () => new NotFoundError('campaign', campaign.id),
      conditions: [
        ...(record ? [record] : []),
        { index: 3, refusal: () => this.budgets.refusal(campaign.dealId, () => campaign.budget) },
      ],
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
    // The budget change is measured against the stored version the put's condition names: if that
    // version is not the one read here, the put fails and nothing is written.
    const current = await this.getCampaign(next.dealId, next.id);
    if (!current) throw new NotFoundError('campaign', next.id);
    if (current.version !== expectedVersion) throw new VersionConflictError(expectedVersion, current.version);
    const change = { amountMinor: next.budget.amountMinor - current.budget.amountMinor, currency: next.budget.currency };
    const budgetChanges = change.amountMinor !== 0 || next.budget.currency !== current.budget.currency;
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
          ...(budgetChanges ? [this.budgets.allocate(next.dealId, change)] : []),
        ],
      },
      expected: { kind: 'version', version: expectedVersion },
      readCurrent: () => this.getCampaign(next.dealId, next.id),
      notFound: () => new NotFoundError('campaign', next.id),
      ...(budgetChanges ? { conditions: [{ index: 3, refusal: () => this.budgets.refusal(next.dealId, () => change) }] } : {}),
      describe: `campaign ${next.id} v${next.version}`,
    });
  }

  async getCampaignVersion(dealId: string, campaignId: string, version: number): Promise<Campaign | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const item = await this.getItem(this.history, dealPk(dealId), campaignVersionSk(campaignId, version));
    return item && campaignFromItem(item);
  }

  // ------------------------------------------------------------ creations

  async findCreation(scope: string): Promise<CreationRecord | undefined> {
    const item = await this.getItem(this.history, creationPk(scope), CREATION_SK);
    return item && creationFromItem(item);
  }

  /** Adds the creation record's put to a create's items; returns what its failed condition means. */
  private appendCreationRecord(items: TransactItem[], record: CreationRecord): NonNullable<WriteSpec['conditions']>[number] {
    const index = items.push({ Put: { TableName: this.history, Item: creationToItem(record), ConditionExpression: NOT_EXISTS } }) - 1;
    return {
      index,
      refusal: async () => {
        const existing = await this.findCreation(record.scope);
        // Not there after all: DynamoDB Local reports contention as a failed condition.
        return existing
          ? { retry: false, error: new AlreadyCreatedError(existing) }
          : { retry: true, error: new Error(`the creation record of ${record.entityType} ${record.entityId} could not be written`) };
      },
    };
  }

  async listCampaigns(dealId: string, page: PageRequest): Promise<Page<Campaign>> {
    return this.queryPrefix(this.deals, dealId, CAMPAIGN_SK_PREFIX, true, page, campaignFromItem);
  }

  // ------------------------------------------------------------- plumbing

  private async getItem(table: string, pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }

  private write(spec: WriteSpec): Promise<void> {
    return writeTransaction(this.client, spec, this.maxConflictAttempts);
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
