/**
 * A campaign-day: the unit the allocator budgets. Days are UTC calendar days (`YYYY-MM-DD`).
 * The id `campaignId/day` is what the allocator keys on (Redis wraps it in a hash tag).
 */
import { DAY_MS } from './pacing.js';

export interface CampaignDay {
  campaignId: string;
  /** UTC calendar date, YYYY-MM-DD. */
  day: string;
}

export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

export function dayStartUtc(day: string): number {
  const t = Date.parse(`${day}T00:00:00.000Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) throw new RangeError(`invalid day ${day}`);
  return t;
}

export function dayEndUtc(day: string): number {
  return dayStartUtc(day) + DAY_MS;
}

export function campaignDayId(cd: CampaignDay): string {
  if (!cd.campaignId || /[{}/\s]/.test(cd.campaignId)) throw new RangeError(`campaign id ${cd.campaignId} may not contain {, }, / or spaces`);
  dayStartUtc(cd.day);
  return `${cd.campaignId}/${cd.day}`;
}

export function parseCampaignDayId(id: string): CampaignDay {
  const slash = id.lastIndexOf('/');
  if (slash <= 0) throw new RangeError(`invalid campaign-day id ${id}`);
  const cd = { campaignId: id.slice(0, slash), day: id.slice(slash + 1) };
  campaignDayId(cd);
  return cd;
}
