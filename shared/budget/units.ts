/**
 * Budget units. Every amount the budget code handles (daily budgets, grants, reservations, spend) is
 * an integer number of NANOS: 1e-9 of one unit of the campaign's currency (so 1 USD = 1_000_000_000).
 *
 * Why nanos: OpenRTB prices are CPM (per 1000 impressions). A CPM price held as integer micros
 * (1e-6 currency units, the usual ad-tech convention) costs exactly `priceMicros` nanos for ONE
 * impression (p micros / 1000 = p nanos). Every cost, sum and comparison is therefore an exact
 * integer; nothing is rounded anywhere on the budget path.
 *
 * Limit: amounts must stay safe integers (< 2^53, about 9,007,199 currency units per campaign-day),
 * both here and inside Redis' Lua (which counts in doubles). Conversions throw beyond that.
 */

export type Nanos = number;

export const NANOS_PER_MICRO = 1000;
export const MAX_NANOS = Number.MAX_SAFE_INTEGER;

/** True for an amount the budget code accepts: a non-negative safe integer. */
export function isNanos(value: unknown): value is Nanos {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function assertNanos(value: number, what: string): Nanos {
  if (!isNanos(value)) throw new RangeError(`${what} must be a non-negative safe integer (nanos), got ${value}`);
  return value;
}

/** Cost of ONE impression bought at a CPM price given in integer micros: exactly `cpmMicros` nanos. */
export function impressionCostNanos(cpmMicros: number): Nanos {
  return assertNanos(cpmMicros, 'cpmMicros');
}

/**
 * CPM price as OpenRTB carries it (a decimal number of currency units per mille) to integer micros.
 * Rounds UP to the next micro, so a reservation is never smaller than what the notice can bill
 * (prices are quoted with at most a few decimals; 1e-6 of a CPM is far below any exchange's tick).
 */
export function cpmToMicros(cpm: number): number {
  if (!Number.isFinite(cpm) || cpm < 0) throw new RangeError(`CPM price must be a finite non-negative number, got ${cpm}`);
  // toFixed(7) removes binary noise (2.35 * 1e6 = 2349999.9999999995) before rounding up.
  const micros = Math.ceil(Number((cpm * 1e6).toFixed(7)) - 1e-7);
  return assertNanos(Math.max(0, micros), 'CPM micros');
}

/** Money in minor units (cents for USD, `minorDigits` = 2) to nanos. Exact; throws past 2^53. */
export function minorToNanos(amountMinor: number, minorDigits = 2): Nanos {
  if (!Number.isInteger(minorDigits) || minorDigits < 0 || minorDigits > 9) {
    throw new RangeError(`minorDigits must be an integer 0..9, got ${minorDigits}`);
  }
  assertNanos(amountMinor, 'amountMinor');
  return assertNanos(amountMinor * 10 ** (9 - minorDigits), 'budget in nanos');
}

/** Nanos to minor units, rounded DOWN (what may be reported as spent without overstating it). */
export function nanosToMinorFloor(nanos: Nanos, minorDigits = 2): number {
  assertNanos(nanos, 'nanos');
  return Math.floor(nanos / 10 ** (9 - minorDigits));
}
