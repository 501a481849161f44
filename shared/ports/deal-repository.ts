import type { AuditEntry } from '../domain/audit.js';
import type { Campaign } from '../domain/campaign/campaign.js';
import type { Deal, DealStatus, DealType } from '../domain/deal/deal.js';
import type { Page, PageRequest } from './page.js';

export interface DealListQuery extends PageRequest {
  accountId: string;
  status?: DealStatus;
  type?: DealType;
}

/**
 * A create made under an Idempotency-Key. `scope` names (route, caller, key) and nothing else, so a
 * retry of the same request finds the entity the first attempt created, whatever became of the
 * idempotency record; `fingerprint` tells whether the retry asks for the same thing.
 */
export interface CreationRequest {
  scope: string;
  fingerprint: string;
}

/** What a create under an Idempotency-Key left behind: kept with the entity's history, never removed. */
export interface CreationRecord extends CreationRequest {
  entityType: 'deal' | 'campaign';
  dealId: string;
  /** The deal id again for a deal; the campaign id for a campaign. */
  entityId: string;
  at: string;
}

/** A create whose CreationRequest.scope already created an entity: nothing was written. */
export class AlreadyCreatedError extends Error {
  constructor(readonly record: CreationRecord) {
    super(`${record.entityType} ${record.entityId} was already created under this idempotency scope`);
    this.name = 'AlreadyCreatedError';
  }
}

/**
 * Persistence port for deals, campaigns and their history.
 * Every write stores the entity, its version snapshot and its audit entry atomically;
 * a write whose `expectedVersion` is stale throws VersionConflictError with the current version.
 * A cursor that does not decode throws ValidationError naming "cursor".
 *
 * The budget sum holds inside every write: a deal's campaigns together budget at most its total value
 * (in its currency), whatever runs concurrently. A write that would break it (a new campaign, a budget
 * increase, a cut in the deal's total, a currency change under campaigns) writes nothing and throws
 * BudgetExceededError with the deal's total and what its campaigns hold at that moment. Creating a
 * campaign never changes the deal's version.
 */
export interface DealRepository {
  /** With `creation`: AlreadyCreatedError when its scope already created something. */
  createDeal(deal: Deal, audit: AuditEntry, creation?: CreationRequest): Promise<void>;
  getDeal(dealId: string): Promise<Deal | undefined>;
  /** `next.version` must equal expectedVersion + 1. */
  saveDeal(next: Deal, expectedVersion: number, audit: AuditEntry): Promise<void>;
  listDeals(query: DealListQuery): Promise<Page<Deal>>;
  /** Newest first. */
  listDealVersions(dealId: string, page: PageRequest): Promise<Page<Deal>>;
  getDealVersion(dealId: string, version: number): Promise<Deal | undefined>;
  /** Oldest first: the deal's and its campaigns' audit entries. */
  listAudit(dealId: string, page: PageRequest): Promise<Page<AuditEntry>>;

  /** With `creation`: AlreadyCreatedError when its scope already created something. */
  createCampaign(campaign: Campaign, audit: AuditEntry, creation?: CreationRequest): Promise<void>;
  getCampaign(dealId: string, campaignId: string): Promise<Campaign | undefined>;
  getCampaignVersion(dealId: string, campaignId: string, version: number): Promise<Campaign | undefined>;
  saveCampaign(next: Campaign, expectedVersion: number, audit: AuditEntry): Promise<void>;
  listCampaigns(dealId: string, page: PageRequest): Promise<Page<Campaign>>;

  /** The create made under this scope, if any. */
  findCreation(scope: string): Promise<CreationRecord | undefined>;
}
