import { ValidationError, type ValidationIssue } from './errors.js';
import { compareDates, isIsoDate } from './dates.js';
import { MONEY_MAXIMA, isAmountMinor, isCurrency, type BoundedMoneyField, type Money } from './money.js';

/**
 * Collects every broken rule before throwing, so one 400 names all bad fields at once
 * instead of making the caller fix them one round-trip at a time.
 */
export class IssueList {
  private readonly issues: ValidationIssue[] = [];

  add(path: string, message: string): this {
    this.issues.push({ path, message });
    return this;
  }

  get isEmpty(): boolean {
    return this.issues.length === 0;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ValidationError([...this.issues]);
  }
}

export const NAME_MAX_LENGTH = 200;

/** Names are stored trimmed; 1..200 characters after trimming. */
export function checkName(issues: IssueList, path: string, name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) issues.add(path, 'must not be blank');
  else if (trimmed.length > NAME_MAX_LENGTH) issues.add(path, `must be at most ${NAME_MAX_LENGTH} characters`);
  return trimmed;
}

/**
 * A money value that must be strictly positive (totals, budgets, bids) and at most the field's
 * maximum for its currency (MONEY_MAXIMA; `path` is the field's name).
 */
export function checkPositiveMoney(issues: IssueList, path: BoundedMoneyField, money: Money): void {
  const currencyOk = isCurrency(money.currency);
  if (!isAmountMinor(money.amountMinor)) issues.add(`${path}.amountMinor`, 'must be a non-negative whole number of minor units');
  else if (money.amountMinor <= 0) issues.add(`${path}.amountMinor`, 'must be greater than 0');
  else if (currencyOk && money.amountMinor > MONEY_MAXIMA[path](money.currency)) {
    issues.add(`${path}.amountMinor`, `must be at most ${MONEY_MAXIMA[path](money.currency)} for ${money.currency}`);
  }
  if (!currencyOk) issues.add(`${path}.currency`, 'must be an ISO-4217 code of three upper-case letters');
}

/**
 * Checks a date range. `strict` demands end after start (deals); otherwise end on or after start
 * (campaign flights may last one day). Returns whether both dates are usable for further checks.
 */
export function checkDateRange(
  issues: IssueList,
  paths: { start: string; end: string },
  range: { startDate: string; endDate: string },
  strict: boolean,
): boolean {
  const startOk = isIsoDate(range.startDate);
  const endOk = isIsoDate(range.endDate);
  if (!startOk) issues.add(paths.start, 'must be a calendar date YYYY-MM-DD');
  if (!endOk) issues.add(paths.end, 'must be a calendar date YYYY-MM-DD');
  if (!startOk || !endOk) return false;
  const order = compareDates(range.endDate, range.startDate);
  if (strict && order <= 0) issues.add(paths.end, `must be after ${paths.start} (${range.startDate})`);
  if (!strict && order < 0) issues.add(paths.end, `must be on or after ${paths.start} (${range.startDate})`);
  return true;
}

export function checkNonBlankId(issues: IssueList, path: string, value: string): void {
  if (value.trim().length === 0) issues.add(path, 'must not be blank');
}
