import { compareDates } from '../dates.js';
import type { Deal, DealStatus } from '../deal/deal.js';
import { sumMoney, type Money } from '../money.js';
import { IssueList, checkDateRange, checkName, checkPositiveMoney } from '../validation.js';
import {
  BID_STRATEGIES,
  CAMPAIGN_TYPES,
  DEVICE_TYPES,
  PACING_MODES,
  type Campaign,
  type CampaignStatus,
} from './campaign.js';

/** Fields a caller may set on a campaign (PATCH body keys besides `status`). */
export const CAMPAIGN_MUTABLE_FIELDS = [
  'name',
  'type',
  'budget',
  'dailyBudget',
  'targeting',
  'schedule',
  'creativeSpecs',
  'frequencyCap',
  'bidStrategy',
  'maxBid',
] as const;
export type CampaignMutableField = (typeof CAMPAIGN_MUTABLE_FIELDS)[number];
export type CampaignTerms = Pick<Campaign, Exclude<CampaignMutableField, 'frequencyCap'>> & Pick<Partial<Campaign>, 'frequencyCap'>;

/** A deal that is over can no longer gain or change campaigns. */
export const DEAL_STATUSES_CLOSED_TO_CAMPAIGNS: readonly DealStatus[] = ['completed', 'cancelled'];

/** A campaign in these statuses has run its course: only its status may still move (completed → archived). */
export const CAMPAIGN_CLOSED_STATUSES: readonly CampaignStatus[] = ['completed', 'archived'];

/**
 * Budget already committed to a deal's campaigns, leaving out `exceptCampaignId` (the one being amended).
 * Every campaign counts, archived ones too: what they may have spent stays spent.
 */
export function committedBudget(deal: Deal, campaigns: readonly Campaign[], exceptCampaignId?: string): Money {
  const budgets = campaigns.filter((c) => c.id !== exceptCampaignId).map((c) => c.budget);
  return sumMoney(budgets, deal.totalValue.currency);
}

function checkCurrency(issues: IssueList, deal: Deal, path: string, money: Money): void {
  if (money.currency !== deal.totalValue.currency) {
    issues.add(`${path}.currency`, `must equal the deal's currency ${deal.totalValue.currency}`);
  }
}

function checkPositiveInteger(issues: IssueList, path: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) issues.add(path, 'must be a whole number greater than 0');
}

/**
 * The rules every campaign version satisfies against its deal and sibling campaigns:
 * currency equals the deal's; budget, dailyBudget, maxBid > 0; dailyBudget ≤ budget; flight inside the
 * deal's dates with end ≥ start; the deal's campaigns together budget at most its total value.
 * Returns the normalised terms (trimmed name).
 */
export function checkCampaignTerms(
  issues: IssueList,
  deal: Deal,
  siblings: readonly Campaign[],
  terms: CampaignTerms,
): CampaignTerms {
  const name = checkName(issues, 'name', terms.name);
  if (!CAMPAIGN_TYPES.includes(terms.type)) issues.add('type', `must be one of ${CAMPAIGN_TYPES.join(', ')}`);
  if (!BID_STRATEGIES.includes(terms.bidStrategy)) issues.add('bidStrategy', `must be one of ${BID_STRATEGIES.join(', ')}`);

  for (const path of ['budget', 'dailyBudget', 'maxBid'] as const) {
    checkPositiveMoney(issues, path, terms[path]);
    checkCurrency(issues, deal, path, terms[path]);
  }
  const currenciesMatch = [terms.budget, terms.dailyBudget].every((m) => m.currency === deal.totalValue.currency);
  if (currenciesMatch && terms.dailyBudget.amountMinor > terms.budget.amountMinor) {
    issues.add('dailyBudget.amountMinor', `must not exceed budget (${terms.budget.amountMinor})`);
  }
  if (currenciesMatch) {
    const committed = committedBudget(deal, siblings).amountMinor;
    const available = deal.totalValue.amountMinor - committed;
    if (terms.budget.amountMinor > available) {
      issues.add(
        'budget.amountMinor',
        `campaign budgets would total ${committed + terms.budget.amountMinor}, more than the deal's total value ${deal.totalValue.amountMinor} (available: ${Math.max(available, 0)})`,
      );
    }
  }

  checkSchedule(issues, deal, terms.schedule);
  checkTargeting(issues, terms.targeting);
  checkCreatives(issues, terms.creativeSpecs);
  if (terms.frequencyCap) {
    checkPositiveInteger(issues, 'frequencyCap.impressions', terms.frequencyCap.impressions);
    checkPositiveInteger(issues, 'frequencyCap.periodHours', terms.frequencyCap.periodHours);
  }
  return { ...terms, name };
}

function checkSchedule(issues: IssueList, deal: Deal, schedule: Campaign['schedule']): void {
  const paths = { start: 'schedule.startDate', end: 'schedule.endDate' };
  if (checkDateRange(issues, paths, schedule, false)) {
    if (compareDates(schedule.startDate, deal.startDate) < 0) {
      issues.add(paths.start, `must not be before the deal's startDate ${deal.startDate}`);
    }
    if (compareDates(schedule.endDate, deal.endDate) > 0) {
      issues.add(paths.end, `must not be after the deal's endDate ${deal.endDate}`);
    }
  }
  if (!PACING_MODES.includes(schedule.pacing)) issues.add('schedule.pacing', `must be one of ${PACING_MODES.join(', ')}`);
}

function checkTargeting(issues: IssueList, targeting: Campaign['targeting']): void {
  targeting.geo.countries.forEach((country, i) => {
    if (!/^[A-Z]{3}$/.test(country)) issues.add(`targeting.geo.countries.${i}`, 'must be an ISO-3166-1 alpha-3 code');
  });
  targeting.devices.forEach((device, i) => {
    if (!DEVICE_TYPES.includes(device)) issues.add(`targeting.devices.${i}`, `must be one of ${DEVICE_TYPES.join(', ')}`);
  });
}

function checkCreatives(issues: IssueList, creatives: Campaign['creativeSpecs']): void {
  creatives.forEach((spec, i) => {
    const path = `creativeSpecs.${i}`;
    checkPositiveInteger(issues, `${path}.width`, spec.width);
    checkPositiveInteger(issues, `${path}.height`, spec.height);
    if (spec.maxDurationSeconds !== undefined) {
      if (spec.format !== 'video') issues.add(`${path}.maxDurationSeconds`, 'only applies to video creatives');
      else checkPositiveInteger(issues, `${path}.maxDurationSeconds`, spec.maxDurationSeconds);
    }
  });
}
