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
 * Persistence port for deals, campaigns and their history.
 * Every write stores the entity, its version snapshot and its audit entry atomically;
 * a write whose `expectedVersion` is stale throws VersionConflictError with the current version.
 * A cursor that does not decode throws ValidationError naming "cursor".
 */
export interface DealRepository {
  createDeal(deal: Deal, audit: AuditEntry): Promise<void>;
  getDeal(dealId: string): Promise<Deal | undefined>;
  /** `next.version` must equal expectedVersion + 1. */
  saveDeal(next: Deal, expectedVersion: number, audit: AuditEntry): Promise<void>;
  listDeals(query: DealListQuery): Promise<Page<Deal>>;
  /** Newest first. */
  listDealVersions(dealId: string, page: PageRequest): Promise<Page<Deal>>;
  getDealVersion(dealId: string, version: number): Promise<Deal | undefined>;
  /** Oldest first: the deal's and its campaigns' audit entries. */
  listAudit(dealId: string, page: PageRequest): Promise<Page<AuditEntry>>;

  createCampaign(campaign: Campaign, audit: AuditEntry): Promise<void>;
  getCampaign(dealId: string, campaignId: string): Promise<Campaign | undefined>;
  saveCampaign(next: Campaign, expectedVersion: number, audit: AuditEntry): Promise<void>;
  listCampaigns(dealId: string, page: PageRequest): Promise<Page<Campaign>>;
}
