import type { ChangeContext } from '../actor.js';
import type { FieldChange } from '../audit.js';
import type { Campaign } from '../campaign/campaign.js';
import { assertBudgetAvailable } from '../campaign/rules.js';
import { diffFields } from '../changes.js';
import { compareDates } from '../dates.js';
import { FieldLockedError, IllegalTransitionError, ValidationError } from '../errors.js';
import { IssueList } from '../validation.js';
import type { Deal } from './deal.js';
import {
  DEAL_MUTABLE_FIELDS,
  amendableDealFields,
  checkDealTerms,
  isTerminalDealStatus,
  type DealTerms,
} from './rules.js';

/** A PATCH /deals/{id} body: any subset of the mutable fields. */
export type DealPatch = Partial<DealTerms>;

export interface DealAmendment {
  next: Deal;
  changes: FieldChange[];
}

/**
 * Applies a patch under the amend rules:
 * - completed/cancelled refuse any amendment (IllegalTransitionError, 409 naming the status);
 * - draft/rejected accept every mutable field; other statuses only name and ownerId
 *   (FieldLockedError, a 409, naming the locked fields);
 * - the merged deal must satisfy the deal rules (ValidationError);
 * - when the deal's campaigns are given, the new terms must still hold them: same currency and dates
 *   covering their flights (ValidationError), total ≥ their budgets (BudgetExceededError, 409).
 *
 * A patch whose values equal the current ones changes nothing and is refused with
 * ValidationError("patch changes nothing"): every version must record at least one change,
 * and the audit trail must not fill with empty entries.
 *
 * Fields sent with their current value do not count as changes, so a client may send back
 * unchanged locked fields.
 */
export function amendDeal(
  deal: Deal,
  patch: DealPatch,
  ctx: ChangeContext,
  related: { campaigns?: readonly Campaign[] } = {},
): DealAmendment {
  if (isTerminalDealStatus(deal.status)) throw new IllegalTransitionError('deal', deal.status, 'amend');

  const merged: DealTerms = { ...pickTerms(deal), ...definedEntries(patch) };
  const issues = new IssueList();
  const terms = checkDealTerms(issues, merged);
  // Check locks against the normalised terms so " Name " vs "Name" is not mistaken for a change.
  const changes = diffFields(pickTerms(deal), terms, DEAL_MUTABLE_FIELDS);
  const allowed = amendableDealFields(deal.status);
  const locked = changes.map((c) => c.field).filter((f) => !(allowed as readonly string[]).includes(f));
  if (locked.length > 0) throw new FieldLockedError('deal', deal.status, locked, allowed);
  issues.throwIfAny();
  if (changes.length === 0) throw new ValidationError([{ path: '', message: 'patch changes nothing' }]);

  if (related.campaigns && related.campaigns.length > 0) checkStillHoldsCampaigns(terms, deal, related.campaigns);

  return {
    next: {
      ...deal,
      ...terms,
      totalValue: { ...terms.totalValue }, // never alias the caller's object
      version: deal.version + 1,
      updatedAt: ctx.at,
      updatedBy: ctx.actor.userId,
    },
    changes,
  };
}

function pickTerms(deal: Deal): DealTerms {
  const { name, type, totalValue, startDate, endDate, ownerId } = deal;
  return { name, type, totalValue, startDate, endDate, ownerId };
}

/** Only the known mutable keys with a value: an explicit undefined must not erase a field. */
function definedEntries(patch: DealPatch): DealPatch {
  const out: Record<string, unknown> = {};
  for (const field of DEAL_MUTABLE_FIELDS) {
    if (patch[field] !== undefined) out[field] = patch[field];
  }
  return out as DealPatch;
}

function checkStillHoldsCampaigns(terms: DealTerms, current: Deal, campaigns: readonly Campaign[]): void {
  const issues = new IssueList();
  if (terms.totalValue.currency !== current.totalValue.currency) {
    issues.add('totalValue.currency', `cannot change while the deal has campaigns in ${current.totalValue.currency}`);
  }
  const earliest = campaigns.map((c) => c.schedule.startDate).reduce((a, b) => (compareDates(a, b) <= 0 ? a : b));
  const latest = campaigns.map((c) => c.schedule.endDate).reduce((a, b) => (compareDates(a, b) >= 0 ? a : b));
  if (compareDates(terms.startDate, earliest) > 0) issues.add('startDate', `must not be after the earliest campaign start ${earliest}`);
  if (compareDates(terms.endDate, latest) < 0) issues.add('endDate', `must not be before the latest campaign end ${latest}`);
  issues.throwIfAny();
  // Same currency from here on. A cut in the total needs that much of it unallocated.
  const cut = current.totalValue.amountMinor - terms.totalValue.amountMinor;
  if (cut > 0) assertBudgetAvailable(current, campaigns, { amountMinor: cut, currency: current.totalValue.currency });
}
