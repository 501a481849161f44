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

// ---------------------------------------------------------------------------------------------------
// Currency exponents and the largest amounts the platform can handle exactly

/** ISO-4217 minor-unit exponents that differ from 2: `amountMinor` counts 10^-digits of the currency. */
export const MINOR_DIGITS: Readonly<Record<string, number>> = Object.freeze({
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
});

/** Minor-unit digits of a currency (2 unless listed in ISO-4217 otherwise). */
export function minorDigitsOf(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

/**
 * Digits of the integer units the bidder converts money into: daily budgets and spend in nanos
 * (1e-9 of a currency unit, shared/budget/units.ts `minorToNanos`), CPM prices in micros (1e-6,
 * shared/bidding/line-item.ts `moneyToMicros`). Both conversions multiply amountMinor by
 * 10^(digits - minorDigitsOf(currency)).
 */
export const NANOS_DIGITS = 9;
export const MICROS_DIGITS = 6;

/** Largest amountMinor whose value in 10^-unitDigits of the currency is still a safe integer. */
export function largestExactAmountMinor(currency: string, unitDigits: number): number {
  return Math.floor(Number.MAX_SAFE_INTEGER / 10 ** (unitDigits - minorDigitsOf(currency)));
}

/**
 * Budgets and deal values are compared as sums (a deal's campaign budgets plus a new one against its
 * total value), so two of them must add up to a safe integer.
 */
export const MAX_SUMMABLE_AMOUNT_MINOR = Math.floor(Number.MAX_SAFE_INTEGER / 2);

/**
 * The largest amountMinor each money field accepts, per currency: every accepted value converts
 * exactly where it is used. dailyBudget: the bidder's nanos (a campaign-day's budget and spend);
 * maxBid: the bidder's CPM micros; budget and totalValue: sums of amounts.
 */
export const MONEY_MAXIMA = {
  dailyBudget: (currency: string): number => largestExactAmountMinor(currency, NANOS_DIGITS),
  maxBid: (currency: string): number => largestExactAmountMinor(currency, MICROS_DIGITS),
  budget: (_currency: string): number => MAX_SUMMABLE_AMOUNT_MINOR,
  totalValue: (_currency: string): number => MAX_SUMMABLE_AMOUNT_MINOR,
} as const satisfies Record<string, (currency: string) => number>;
export type BoundedMoneyField = keyof typeof MONEY_MAXIMA;

/** a <= b for two amounts of the same currency (throws on mixed currencies: comparing them is a bug). */
export function isAtMost(a: Money, b: Money): boolean {
  if (!sameCurrency(a, b)) {
    throw new ValidationError([{ path: '', message: `cannot compare ${a.currency} with ${b.currency}` }]);
  }
  return a.amountMinor <= b.amountMinor;
}
