import type { ChangeContext } from '../actor.js';
import type { Deal } from '../deal/deal.js';
import { IllegalTransitionError } from '../errors.js';
import { IssueList } from '../validation.js';
import { BIDDER_FACING_FIELDS, assertBidderFieldsUnlocked } from './bidder-lock.js';
import type { Campaign } from './campaign.js';
import { DEAL_STATUSES_CLOSED_TO_CAMPAIGNS, assertBudgetAvailable, checkCampaignTerms, type CampaignTerms } from './rules.js';

/** What a caller supplies to add a campaign to a deal (the POST /deals/{dealId}/campaigns body). */
export type CreateCampaignInput = CampaignTerms;

/** Refuses campaign changes under a completed or cancelled deal (409 naming the deal's status). */
export function assertDealOpenForCampaigns(deal: Deal, action: string): void {
  if (DEAL_STATUSES_CLOSED_TO_CAMPAIGNS.includes(deal.status)) {
    throw new IllegalTransitionError('deal', deal.status, action);
  }
}

/**
 * A new draft campaign (version 1) under `deal`, checked against the deal and its existing campaigns.
 * Throws IllegalTransitionError when the deal is completed/cancelled, ValidationError for broken rules,
 * BudgetExceededError when the existing campaigns leave less of the deal's total than its budget,
 * ApprovedFieldsLockedError when the deal was submitted and the input sets creatives, pmpDealIds or seat.
 */
export function createCampaign(
  deal: Deal,
  existingCampaigns: readonly Campaign[],
  input: CreateCampaignInput,
  ctx: ChangeContext,
  ids: { campaignId: string },
): Campaign {
  assertDealOpenForCampaigns(deal, 'add a campaign to');
  assertBidderFieldsUnlocked(deal, BIDDER_FACING_FIELDS.filter((field) => input[field] !== undefined));
  const issues = new IssueList();
  const terms = checkCampaignTerms(issues, deal, input);
  issues.throwIfAny();
  assertBudgetAvailable(deal, existingCampaigns, terms.budget);
  const campaign: Campaign = {
    id: ids.campaignId,
    dealId: deal.id,
    accountId: deal.accountId,
    name: terms.name,
    type: terms.type,
    budget: { ...terms.budget },
    dailyBudget: { ...terms.dailyBudget },
    targeting: structuredClone(terms.targeting),
    schedule: { ...terms.schedule },
    creativeSpecs: structuredClone(terms.creativeSpecs),
    bidStrategy: terms.bidStrategy,
    maxBid: { ...terms.maxBid },
    status: 'draft',
    version: 1,
    createdAt: ctx.at,
    updatedAt: ctx.at,
    createdBy: ctx.actor.userId,
    updatedBy: ctx.actor.userId,
  };
  if (terms.frequencyCap) campaign.frequencyCap = { ...terms.frequencyCap };
  if (terms.creatives !== undefined) campaign.creatives = structuredClone(terms.creatives);
  if (terms.pmpDealIds !== undefined) campaign.pmpDealIds = [...terms.pmpDealIds];
  if (terms.seat !== undefined) campaign.seat = terms.seat;
  return campaign;
}
