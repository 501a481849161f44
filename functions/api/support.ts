import { assertCanSeeDeal } from '../../shared/domain/access.js';
import type { Actor } from '../../shared/domain/actor.js';
import type { Campaign } from '../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../shared/domain/deal/deal.js';
import { NotFoundError, VersionConflictError } from '../../shared/domain/errors.js';
import type { DealRepository } from '../../shared/ports/deal-repository.js';
import type { Page } from '../../shared/ports/page.js';

/** The deal, if it exists and the caller may see its account; otherwise 404 (never revealing which). */
export async function loadVisibleDeal(repo: DealRepository, actor: Actor, dealId: string): Promise<Deal> {
  const deal = await repo.getDeal(dealId);
  if (!deal) throw new NotFoundError('deal', dealId);
  assertCanSeeDeal(actor, deal);
  return deal;
}

/** A campaign of a visible deal, or 404. */
export async function loadCampaign(repo: DealRepository, dealId: string, campaignId: string): Promise<Campaign> {
  const campaign = await repo.getCampaign(dealId, campaignId);
  if (!campaign) throw new NotFoundError('campaign', campaignId);
  return campaign;
}

/** If-Match named another version than the current one → 412 with the current version. */
export function assertVersion(entity: { version: number }, expectedVersion: number): void {
  if (entity.version !== expectedVersion) throw new VersionConflictError(expectedVersion, entity.version);
}

/** Every campaign of a deal (the rules check a deal against all of them). */
export async function allCampaigns(repo: DealRepository, dealId: string): Promise<Campaign[]> {
  const campaigns: Campaign[] = [];
  let cursor: string | undefined;
  do {
    const page = await repo.listCampaigns(dealId, { limit: 100, ...(cursor ? { cursor } : {}) });
    campaigns.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return campaigns;
}

/** A repository page on the wire: `{items, nextCursor?}`. */
export function listBody<T, R>(page: Page<T>, toWire: (item: T) => R): { items: R[]; nextCursor?: string } {
  return { items: page.items.map(toWire), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

/** `{limit, cursor?}` without an undefined cursor key. */
export function pageRequest(query: { limit: number; cursor?: string | undefined }): { limit: number; cursor?: string } {
  return { limit: query.limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) };
}
