import { ValidationError } from './errors.js';

/** Money as integer minor units (cents for USD) with an ISO-4217 currency code. Never floats. */
export interface Money {
  amountMinor: number;
  currency: string;
}

/** ISO-4217 alphabetic code shape: three upper-case letters (we check the shape, not the registry). */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

export function isCurrency(value: unknown): value is string {
  return typeof value === 'string' && CURRENCY_PATTERN.test(value);
}

/** Minor units must be exact: a non-negative safe integer, so sums and comparisons never round. */
export function isAmountMinor(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isMoney(value: unknown): value is Money {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Money>;
  return isAmountMinor(candidate.amountMinor) && isCurrency(candidate.currency);
}

export function sameCurrency(a: Money, b: Money): boolean {
  return a.currency === b.currency;
}

export function moneyEquals(a: Money, b: Money): boolean {
  return a.amountMinor === b.amountMinor && a.currency === b.currency;
}

/**
 * Adds amounts of one currency. `currency` is required so an empty list still has a currency.
 * Mixed currencies or a total beyond Number.MAX_SAFE_INTEGER throw instead of silently being wrong.
 */
export function sumMoney(amounts: readonly Money[], currency: string): Money {
  let total = 0;
  for (const [index, amount] of amounts.entries()) {
    if (amount.currency !== currency) {
      throw new ValidationError([
        { path: String(index), message: `currency ${amount.currency} differs from ${currency}; cannot add mixed currencies` },
      ]);
    }
    total += amount.amountMinor;
    if (!Number.isSafeInteger(total)) {
      throw new ValidationError([{ path: String(index), message: 'sum exceeds the largest exact amount' }]);
    }
  }
  return { amountMinor: total, currency };
}

/** a <= b for two amounts of the same currency (throws on mixed currencies: comparing them is a bug). */
export function isAtMost(a: Money, b: Money): boolean {
  if (!sameCurrency(a, b)) {
    throw new ValidationError([{ path: '', message: `cannot compare ${a.currency} with ${b.currency}` }]);
  }
  return a.amountMinor <= b.amountMinor;
}
