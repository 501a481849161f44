/**
 * Prices inside the bidder: CPM as an integer number of MICRO-UNITS of the currency.
 *
 *   1 micro = 1/1,000,000 of the currency's major unit, per thousand impressions.
 *   $2.50 CPM  -> 2_500_000 micros;  $0.03 CPM -> 30_000 micros;  one impression at $2.50 CPM costs 2_500 micros.
 *
 * Why micros and not the API's minor units (cents): exchanges send floors like 0.035 and DSPs bid like
 * 1.2345 CPM; cents cannot hold those, and per-impression costs (CPM / 1000) of a cent-CPM would be
 * fractional. Micros hold every realistic wire price exactly, comparisons and sums are exact integer
 * arithmetic, and all values stay far below Number.MAX_SAFE_INTEGER (9e15 micros = 9e9 CPM).
 * Relation to shared/domain/money.ts (amountMinor): for a currency with 2 decimals,
 * micros = amountMinor * 10_000 (see `minorToMicros`).
 *
 * OpenRTB carries CPM floats on the wire; conversion happens only at the edge:
 *  - incoming bids/floors: `cpmToMicros` (exact when the wire value has <= 6 decimals, which is every
 *    value an exchange or DSP realistically sends, or is within float noise (1e-12 CPM) of one;
 *    otherwise rounded in the safe direction you ask for:
 *    floors UP so we never clear below a floor, bids DOWN so we never overstate what a buyer offered);
 *  - outgoing prices: `microsToCpm` (the double nearest to the exact decimal, which JSON.stringify prints
 *    as that exact decimal for values below 1e9 CPM) or `microsToDecimalString` (exact text, for macros).
 */

export const MICROS_PER_UNIT = 1_000_000;

export type RoundingDirection = 'up' | 'down';

/** Differences below a millionth of a micro (1e-12 CPM) are float noise, not price. */
const FLOAT_NOISE_MICROS = 1e-6;

/**
 * Wire CPM float -> integer micros. Non-finite or negative input returns -1 (callers treat that as
 * invalid). Values too large for exact integers saturate at Number.MAX_SAFE_INTEGER ("unreachable").
 */
export function cpmToMicros(cpm: number, direction: RoundingDirection): number {
  if (!Number.isFinite(cpm) || cpm < 0) return -1;
  const scaled = cpm * MICROS_PER_UNIT;
  if (scaled >= Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  const nearest = Math.round(scaled);
  // Exact when the float is the nearest double to a decimal with <= 6 fractional digits, or within
  // float noise of one (0.1 + 0.2 computed by a sender is 0.30000000000000004: that means 0.3).
  if (nearest / MICROS_PER_UNIT === cpm || Math.abs(scaled - nearest) < FLOAT_NOISE_MICROS) return nearest;
  return direction === 'up' ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Integer micros -> CPM float for the wire (BidResponse.bid.price). */
export function microsToCpm(micros: number): number {
  return micros / MICROS_PER_UNIT;
}

/** Integer micros -> exact decimal text ("2.5", "0.03", "12"), for price macros in notice URLs. */
export function microsToDecimalString(micros: number): string {
  const negative = micros < 0;
  const abs = negative ? -micros : micros;
  const whole = Math.floor(abs / MICROS_PER_UNIT);
  const frac = abs - whole * MICROS_PER_UNIT;
  let text = String(whole);
  if (frac !== 0) {
    let digits = String(frac).padStart(6, '0');
    let end = digits.length;
    while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
    digits = digits.slice(0, end);
    text = `${text}.${digits}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Parses an exact decimal CPM string ("2.5", "0.035") to micros, or -1 if it is not a plain decimal
 * with at most 6 fractional digits. Used for prices that come back to us as text (notice macros).
 */
export function decimalStringToMicros(text: string): number {
  const match = /^(\d{1,10})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return -1;
  const whole = Number(match[1]);
  const frac = match[2] === undefined ? 0 : Number(match[2].padEnd(6, '0'));
  return whole * MICROS_PER_UNIT + frac;
}

/** API money (integer minor units, 2-decimal currency) as a CPM in micros. */
export function minorToMicros(amountMinor: number, minorDigits = 2): number {
  return amountMinor * 10 ** (6 - minorDigits);
}

/** Cost of ONE impression at a CPM price, in micros (CPM / 1000), rounded up so reservations never undercount. */
export function impressionCostMicros(cpmMicros: number): number {
  return Math.ceil(cpmMicros / 1000);
}
