/**
 * Pacing curves: how much of a campaign-day's budget has been released into the allocator by a
 * given instant. Pure and exact (BigInt for the even curve's product, so budget × elapsed never
 * rounds).
 *
 * - `asap`: the whole daily budget at the start of the day.
 * - `even`: linear over the day: floor(budget × elapsed / dayLength); 0 at dayStart, all of it at
 *   dayStart + dayLength. Days are UTC calendar days (the campaign model has no time zone yet; see
 *   docs/budget-leases.md) so dayLength is 86,400,000 ms.
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import { type Nanos, assertNanos } from './units.js';

export const DAY_MS = 86_400_000;

export function releasedAt(
  dailyBudget: Nanos,
  pacing: PacingMode,
  dayStart: number,
  now: number,
  dayLengthMs: number = DAY_MS,
): Nanos {
  assertNanos(dailyBudget, 'dailyBudget');
  if (!Number.isSafeInteger(dayStart) || !Number.isFinite(now)) throw new RangeError('dayStart/now must be epoch milliseconds');
  if (!Number.isSafeInteger(dayLengthMs) || dayLengthMs <= 0) throw new RangeError('dayLengthMs must be a positive integer');
  if (now < dayStart) return 0;
  if (pacing === 'asap') return dailyBudget;
  const elapsed = Math.min(Math.floor(now - dayStart), dayLengthMs);
  if (elapsed >= dayLengthMs) return dailyBudget;
  return Number((BigInt(dailyBudget) * BigInt(elapsed)) / BigInt(dayLengthMs));
}
