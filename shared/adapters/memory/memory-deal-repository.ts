import type { AuditEntry } from '../../domain/audit.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import { BudgetExceededError, NotFoundError, ValidationError, VersionConflictError } from '../../domain/errors.js';
import type { Money } from '../../domain/money.js';
import { decodePageCursor, encodePageCursor, invalidCursor } from '../page-cursor.js';
import {
  AlreadyCreatedError,
  type CreationRecord,
  type CreationRequest,
  type DealListQuery,
  type DealRepository,
} from '../../ports/deal-repository.js';
import type { Page, PageRequest } from '../../ports/page.js';
import { assertAuditBelongs, assertNextVersion } from '../write-preconditions.js';

/**
 * In-memory DealRepository with the DynamoDB adapter's semantics (shared/adapters/dynamodb), for unit
 * tests and a local stack without DynamoDB:
 * - create refuses an existing id (`attribute_not_exists(pk)`): VersionConflictError(0, current version);
 *   a campaign's deal must exist (NotFoundError('deal'));
 * - save checks `version = expectedVersion` (stale → VersionConflictError with the current version;
 *   absent → NotFoundError) and that `next.version = expectedVersion + 1`;
 * - each write stores entity, version snapshot and audit entry together or not at all; snapshots and
 *   audit entries are append-only: an existing audit id or snapshot refuses the whole write;
 * - the budget sum: a new campaign, a budget increase or a cut in a deal's total that the deal's campaigns
 *   leave no room for, or a currency other than the deal's where campaigns hold budget, throws
 *   BudgetExceededError (total, allocated, required) and writes nothing;
 * - a create with a CreationRequest whose scope already created something throws AlreadyCreatedError
 *   with that record and writes nothing; the record is kept otherwise;
 * - list orders match the adapter's keys: deals newest first (createdAt#id), versions newest first,
 *   audit oldest first (at#id), campaigns by id;
 * - keyset cursors (the sort key of the last item): writes between pages neither repeat nor skip items;
 *   a cursor that does not decode, or comes from another listing, throws ValidationError naming "cursor";
 *   a limit outside 1..100 throws ValidationError naming "limit".
 * Values are copied in and out, so callers never share state with the store.
 */
export class InMemoryDealRepository implements DealRepository {
  private readonly deals = new Map<string, Deal>();
  /** `${dealId}/${campaignId}` → campaign. */
  private readonly campaigns = new Map<string, Campaign>();
  /** History "table": version snapshots and audit entries, keyed like the adapter's items. */
  private readonly dealVersions = new Map<string, Deal>();
  private readonly campaignVersions = new Map<string, Campaign>();
  private readonly audit = new Map<string, AuditEntry>();
  /** scope → the create made under it. */
  private readonly creations = new Map<string, CreationRecord>();

  async createDeal(deal: Deal, audit: AuditEntry, creation?: CreationRequest): Promise<void> {
    assertAuditBelongs(audit, deal.id, 'deal', deal.id);
    const current = this.deals.get(deal.id);
    if (current) throw new VersionConflictError(0, current.version);
    const record = this.creationWrite(creation, { entityType: 'deal', dealId: deal.id, entityId: deal.id, at: deal.createdAt });
    this.commit(() => this.deals.set(deal.id, copy(deal)), this.dealSnapshot(deal), this.auditWrite(audit), ...record);
  }

  async getDeal(dealId: string): Promise<Deal | undefined> {
    return copyOrUndefined(this.deals.get(dealId));
  }

  async saveDeal(next: Deal, expectedVersion: number, audit: AuditEntry): Promise<void> {
    assertNextVersion(next.version, expectedVersion);
    assertAuditBelongs(audit, next.id, 'deal', next.id);
    const current = this.deals.get(next.id);
    if (!current) throw new NotFoundError('deal', next.id);
    if (current.version !== expectedVersion) throw new VersionConflictError(expectedVersion, current.version);
    const allocated = this.allocated(next.id);
    const total = next.totalValue;
    if (allocated > 0 && total.currency !== current.totalValue.currency) {
      throw this.budgetExceeded(current, total);
    }
    if (total.amountMinor < current.totalValue.amountMinor && total.amountMinor < allocated) {
      throw this.budgetExceeded(current, { amountMinor: current.totalValue.amountMinor - total.amountMinor, currency: total.currency });
    }
    this.commit(() => this.deals.set(next.id, copy(next)), this.dealSnapshot(next), this.auditWrite(audit));
  }

  async listDeals(query: DealListQuery): Promise<Page<Deal>> {
    const matching = [...this.deals.values()].filter(
      (d) =>
        d.accountId === query.accountId &&
        (query.status === undefined || d.status === query.status) &&
        (query.type === undefined || d.type === query.type),
    );
    return paginate(`deals:${query.accountId}`, matching, query, (d) => `${d.createdAt}#${d.id}`, 'desc');
  }

  async listDealVersions(dealId: string, page: PageRequest): Promise<Page<Deal>> {
    const versions = [...this.dealVersions.values()].filter((d) => d.id === dealId);
    return paginate(`versions:${dealId}`, versions, page, (d) => padVersion(d.version), 'desc');
  }

  async getDealVersion(dealId: string, version: number): Promise<Deal | undefined> {
    return copyOrUndefined(this.dealVersions.get(`${dealId}#${padVersion(version)}`));
  }

  async listAudit(dealId: string, page: PageRequest): Promise<Page<AuditEntry>> {
    const entries = [...this.audit.values()].filter((a) => a.dealId === dealId);
    return paginate(`audit:${dealId}`, entries, page, (a) => `${a.at}#${a.id}`, 'asc');
  }

  async createCampaign(campaign: Campaign, audit: AuditEntry, creation?: CreationRequest): Promise<void> {
    assertAuditBelongs(audit, campaign.dealId, 'campaign', campaign.id);
    const key = campaignKey(campaign.dealId, campaign.id);
    const current = this.campaigns.get(key);
    if (current) throw new VersionConflictError(0, current.version);
    const record = this.creationWrite(creation, { entityType: 'campaign', dealId: campaign.dealId, entityId: campaign.id, at: campaign.createdAt });
    const deal = this.deals.get(campaign.dealId);
    if (!deal) throw new NotFoundError('deal', campaign.dealId);
    this.assertRoom(deal, campaign.budget);
    this.commit(() => this.campaigns.set(key, copy(campaign)), this.campaignSnapshot(campaign), this.auditWrite(audit), ...record);
  }

  async getCampaign(dealId: string, campaignId: string): Promise<Campaign | undefined> {
    return copyOrUndefined(this.campaigns.get(campaignKey(dealId, campaignId)));
  }

  async saveCampaign(next: Campaign, expectedVersion: number, audit: AuditEntry): Promise<void> {
    assertNextVersion(next.version, expectedVersion);
    assertAuditBelongs(audit, next.dealId, 'campaign', next.id);
    const key = campaignKey(next.dealId, next.id);
    const current = this.campaigns.get(key);
    if (!current) throw new NotFoundError('campaign', next.id);
    if (current.version !== expectedVersion) throw new VersionConflictError(expectedVersion, current.version);
    const change = { amountMinor: next.budget.amountMinor - current.budget.amountMinor, currency: next.budget.currency };
    if (change.amountMinor !== 0 || change.currency !== current.budget.currency) {
      const deal = this.deals.get(next.dealId);
      if (!deal) throw new NotFoundError('deal', next.dealId);
      this.assertRoom(deal, change);
    }
    this.commit(() => this.campaigns.set(key, copy(next)), this.campaignSnapshot(next), this.auditWrite(audit));
  }

  async getCampaignVersion(dealId: string, campaignId: string, version: number): Promise<Campaign | undefined> {
    return copyOrUndefined(this.campaignVersions.get(`${dealId}/${campaignId}#${padVersion(version)}`));
  }

  async findCreation(scope: string): Promise<CreationRecord | undefined> {
    return copyOrUndefined(this.creations.get(scope));
  }

  async listCampaigns(dealId: string, page: PageRequest): Promise<Page<Campaign>> {
    const campaigns = [...this.campaigns.values()].filter((c) => c.dealId === dealId);
    return paginate(`campaigns:${dealId}`, campaigns, page, (c) => c.id, 'asc');
  }

  /**
   * The transaction: every history put is conditional (`attribute_not_exists`), checked before anything
   * is written, so a refused write leaves no trace.
   */
  private commit(putEntity: () => void, ...historyPuts: HistoryPut[]): void {
    for (const put of historyPuts) {
      if (put.exists()) throw new Error(`history already holds ${put.describe}; refusing to overwrite`);
    }
    putEntity();
    for (const put of historyPuts) put.write();
  }

  /** What the deal's campaigns together budget (amounts in the deal's currency). */
  private allocated(dealId: string): number {
    let sum = 0;
    for (const campaign of this.campaigns.values()) if (campaign.dealId === dealId) sum += campaign.budget.amountMinor;
    return sum;
  }

  /** A budget that grows by `change` (or joins the sum) must fit, in the deal's currency. */
  private assertRoom(deal: Deal, change: Money): void {
    const available = deal.totalValue.amountMinor - this.allocated(deal.id);
    if (change.currency !== deal.totalValue.currency || (change.amountMinor > 0 && available < change.amountMinor)) {
      throw this.budgetExceeded(deal, change);
    }
  }

  private budgetExceeded(deal: Deal, required: Money): BudgetExceededError {
    const allocated = { amountMinor: this.allocated(deal.id), currency: deal.totalValue.currency };
    return new BudgetExceededError(deal.id, { ...deal.totalValue }, allocated, { ...required });
  }

  /** The creation record's put, refused (AlreadyCreatedError) when its scope already created something. */
  private creationWrite(creation: CreationRequest | undefined, entity: Omit<CreationRecord, keyof CreationRequest>): HistoryPut[] {
    if (!creation) return [];
    const existing = this.creations.get(creation.scope);
    if (existing) throw new AlreadyCreatedError(copy(existing));
    const record: CreationRecord = { ...creation, ...entity };
    return [
      {
        describe: `creation record ${creation.scope}`,
        exists: () => this.creations.has(creation.scope),
        write: () => this.creations.set(creation.scope, copy(record)),
      },
    ];
  }

  private dealSnapshot(deal: Deal): HistoryPut {
    const key = `${deal.id}#${padVersion(deal.version)}`;
    return {
      describe: `deal ${deal.id} v${deal.version}`,
      exists: () => this.dealVersions.has(key),
      write: () => this.dealVersions.set(key, copy(deal)),
    };
  }

  private campaignSnapshot(campaign: Campaign): HistoryPut {
    const key = `${campaign.dealId}/${campaign.id}#${padVersion(campaign.version)}`;
    return {
      describe: `campaign ${campaign.id} v${campaign.version}`,
      exists: () => this.campaignVersions.has(key),
      write: () => this.campaignVersions.set(key, copy(campaign)),
    };
  }

  private auditWrite(audit: AuditEntry): HistoryPut {
    return {
      describe: `audit entry ${audit.id}`,
      exists: () => this.audit.has(audit.id),
      write: () => this.audit.set(audit.id, copy(audit)),
    };
  }
}

interface HistoryPut {
  describe: string;
  exists: () => boolean;
  write: () => void;
}

function campaignKey(dealId: string, campaignId: string): string {
  return `${dealId}/${campaignId}`;
}

function padVersion(version: number): string {
  return String(version).padStart(9, '0');
}

/** A deep copy without undefined-valued properties (the adapter's marshaller drops them too). */
function copy<T>(value: T): T {
  return withoutUndefined(structuredClone(value));
}

function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = withoutUndefined(item);
    return out as T;
  }
  return value;
}

function copyOrUndefined<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : copy(value);
}


/**
 * Keyset pagination over `items` ordered by `keyOf` (ascending or descending). The cursor holds the key
 * of the last item returned and the listing it belongs to; opaque to callers (base64url JSON).
 */
function paginate<T>(
  listing: string,
  items: readonly T[],
  page: PageRequest,
  keyOf: (item: T) => string,
  order: 'asc' | 'desc',
): Page<T> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 100) {
    throw new ValidationError([{ path: 'limit', message: 'limit must be an integer from 1 to 100' }]);
  }
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, listing);
  const sign = order === 'asc' ? 1 : -1;
  const sorted = [...items].sort((a, b) => sign * compare(keyOf(a), keyOf(b)));
  const remaining = after === undefined ? sorted : sorted.filter((item) => sign * compare(keyOf(item), after) > 0);
  const slice = remaining.slice(0, page.limit);
  const last = slice.at(-1);
  return {
    items: slice.map(copy),
    ...(remaining.length > page.limit && last !== undefined ? { nextCursor: encodeCursor(listing, keyOf(last)) } : {}),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeCursor(listing: string, key: string): string {
  return encodePageCursor({ l: listing, k: key });
}

function decodeCursor(cursor: string, listing: string): string {
  const { l, k } = decodePageCursor(cursor);
  if (typeof l !== 'string' || typeof k !== 'string') throw invalidCursor();
  if (l !== listing) throw invalidCursor('cursor does not belong to this listing');
  return k;
}
