import type { ChangeContext } from '../actor.js';
import type { FieldChange } from '../audit.js';
import { diffFields } from '../changes.js';
import type { Deal } from '../deal/deal.js';
import { FieldLockedError, ValidationError } from '../errors.js';
import { IssueList } from '../validation.js';
import { assertBidderFieldsUnlocked } from './bidder-lock.js';
import type { Campaign, CampaignCreative, CampaignStatus, FrequencyCap } from './campaign.js';
import { assertDealOpenForCampaigns } from './create.js';
import {
  CAMPAIGN_CLOSED_STATUSES,
  CAMPAIGN_MUTABLE_FIELDS,
  CAMPAIGN_OPTIONAL_FIELDS,
  assertBudgetAvailable,
  checkCampaignTerms,
  type CampaignOptionalField,
  type CampaignTerms,
} from './rules.js';
import { assertCampaignTransition } from './transitions.js';

/**
 * A PATCH /deals/{dealId}/campaigns/{campaignId} body: any subset of the mutable fields and status.
 * `null` removes an optional field: `frequencyCap: null` removes the cap, `creatives: null` the
 * creatives (the campaign stops bidding), `pmpDealIds: null` returns to the open auction and
 * `seat: null` to the bidder's configured seat.
 */
export type CampaignPatch = Partial<Omit<CampaignTerms, CampaignOptionalField>> & {
  frequencyCap?: FrequencyCap | null | undefined;
  creatives?: CampaignCreative[] | null | undefined;
  pmpDealIds?: string[] | null | undefined;
  seat?: string | null | undefined;
  status?: CampaignStatus | undefined;
};

export interface CampaignAmendment {
  next: Campaign;
  changes: FieldChange[];
}

const AMENDED_FIELDS = [...CAMPAIGN_MUTABLE_FIELDS, 'status'] as const;

/**
 * Applies a patch to a campaign:
 * - the deal must not be completed/cancelled (IllegalTransitionError on the deal);
 * - a status change must follow the campaign status table (IllegalTransitionError on the campaign);
 * - completed/archived campaigns only accept a status change (FieldLockedError otherwise);
 * - creatives, pmpDealIds and seat only change while the deal is a draft (ApprovedFieldsLockedError);
 * - the merged campaign must satisfy every campaign rule against the deal (ValidationError);
 * - a budget increase must fit in what the deal's campaigns leave of its total (BudgetExceededError;
 *   `existingCampaigns` may include this campaign, which counts at its current budget).
 * Whole objects and arrays replace whole ones (targeting, schedule, creativeSpecs, creatives): PATCH here is a merge of
 * top-level fields, which keeps the wire contract simple. A patch that changes nothing is refused
 * with ValidationError("patch changes nothing"), as for deals.
 */
export function amendCampaign(
  deal: Deal,
  existingCampaigns: readonly Campaign[],
  campaign: Campaign,
  patch: CampaignPatch,
  ctx: ChangeContext,
): CampaignAmendment {
  assertDealOpenForCampaigns(deal, 'amend a campaign of');
  const siblings = existingCampaigns.filter((c) => c.id !== campaign.id);

  const status = patch.status ?? campaign.status;
  if (status !== campaign.status) assertCampaignTransition(campaign.status, status);

  const merged: CampaignTerms = { ...pickTerms(campaign), ...definedEntries(patch) };
  for (const field of CAMPAIGN_OPTIONAL_FIELDS) if (patch[field] === null) delete merged[field];
  const issues = new IssueList();
  const terms = checkCampaignTerms(issues, deal, merged);
  const termChanges = diffFields(pickTerms(campaign), terms, CAMPAIGN_MUTABLE_FIELDS);
  if (termChanges.length > 0 && CAMPAIGN_CLOSED_STATUSES.includes(campaign.status)) {
    const fields = [...new Set(termChanges.map((c) => c.field.split('.')[0] ?? c.field))];
    throw new FieldLockedError('campaign', campaign.status, fields, ['status']);
  }
  assertBidderFieldsUnlocked(deal, termChanges.map((c) => c.field));
  issues.throwIfAny();

  const next: Campaign = { ...campaign, ...terms, status, version: campaign.version + 1, updatedAt: ctx.at, updatedBy: ctx.actor.userId };
  for (const field of CAMPAIGN_OPTIONAL_FIELDS) if (terms[field] === undefined) delete next[field];
  const changes = diffFields(campaign, next, AMENDED_FIELDS);
  if (changes.length === 0) throw new ValidationError([{ path: '', message: 'patch changes nothing' }]);
  const increase = next.budget.amountMinor - campaign.budget.amountMinor;
  if (increase > 0) assertBudgetAvailable(deal, [...siblings, campaign], { amountMinor: increase, currency: next.budget.currency });
  return { next, changes };
}

function pickTerms(campaign: Campaign): CampaignTerms {
  const { name, type, budget, dailyBudget, targeting, schedule, creativeSpecs, bidStrategy, maxBid } = campaign;
  const terms: CampaignTerms = { name, type, budget, dailyBudget, targeting, schedule, creativeSpecs, bidStrategy, maxBid };
  if (campaign.frequencyCap) terms.frequencyCap = campaign.frequencyCap;
  if (campaign.creatives !== undefined) terms.creatives = campaign.creatives;
  if (campaign.pmpDealIds !== undefined) terms.pmpDealIds = campaign.pmpDealIds;
  if (campaign.seat !== undefined) terms.seat = campaign.seat;
  return terms;
}

function definedEntries(patch: CampaignPatch): Partial<CampaignTerms> {
  const out: Record<string, unknown> = {};
  for (const field of CAMPAIGN_MUTABLE_FIELDS) {
    const value = patch[field];
    if (value !== undefined && value !== null) out[field] = value;
  }
  return out as Partial<CampaignTerms>;
}
