import { IssueList, checkDateRange, checkName, checkNonBlankId, checkPositiveMoney } from '../validation.js';
import { DEAL_TYPES, type Deal, type DealStatus } from './deal.js';

/** Fields a caller may ever set on a deal (PATCH body keys). Everything else is system-owned. */
export const DEAL_MUTABLE_FIELDS = ['name', 'type', 'totalValue', 'startDate', 'endDate', 'ownerId'] as const;
export type DealMutableField = (typeof DEAL_MUTABLE_FIELDS)[number];

/** Once a deal left draft/rejected, its commercial terms are under approval or live: only these may change. */
export const DEAL_FIELDS_AMENDABLE_AFTER_SUBMIT: readonly DealMutableField[] = ['name', 'ownerId'];

/** Statuses in which every mutable field may be amended. */
export const DEAL_FULLY_AMENDABLE_STATUSES: readonly DealStatus[] = ['draft', 'rejected'];

/** No exits, no amendments. */
export const DEAL_TERMINAL_STATUSES: readonly DealStatus[] = ['completed', 'cancelled'];

export function isTerminalDealStatus(status: DealStatus): boolean {
  return DEAL_TERMINAL_STATUSES.includes(status);
}

/** Fields that may be amended while the deal is in `status` (empty for terminal statuses). */
export function amendableDealFields(status: DealStatus): readonly DealMutableField[] {
  if (isTerminalDealStatus(status)) return [];
  return DEAL_FULLY_AMENDABLE_STATUSES.includes(status) ? DEAL_MUTABLE_FIELDS : DEAL_FIELDS_AMENDABLE_AFTER_SUBMIT;
}

export type DealTerms = Pick<Deal, DealMutableField>;

/**
 * The business rules every deal version satisfies: name 1..200 after trim, a known type,
 * totalValue > 0 in an ISO-4217 currency, real calendar dates with endDate after startDate.
 * Adds issues and returns the normalised terms (trimmed name).
 */
export function checkDealTerms(issues: IssueList, terms: DealTerms): DealTerms {
  const name = checkName(issues, 'name', terms.name);
  if (!DEAL_TYPES.includes(terms.type)) issues.add('type', `must be one of ${DEAL_TYPES.join(', ')}`);
  checkPositiveMoney(issues, 'totalValue', terms.totalValue);
  checkDateRange(issues, { start: 'startDate', end: 'endDate' }, terms, true);
  checkNonBlankId(issues, 'ownerId', terms.ownerId);
  return { ...terms, name };
}
