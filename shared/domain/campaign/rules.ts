import { compareDates } from '../dates.js';
import type { Deal, DealStatus } from '../deal/deal.js';
import { BudgetExceededError } from '../errors.js';
import { sumMoney, type Money } from '../money.js';
import { IssueList, checkDateRange, checkName, checkPositiveMoney } from '../validation.js';
import {
  BID_STRATEGIES,
  CAMPAIGN_CREATIVE_FORMATS,
  CAMPAIGN_TYPES,
  DEVICE_TYPES,
  PACING_MODES,
  type Campaign,
  type CampaignCreative,
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
  'creatives',
  'pmpDealIds',
  'seat',
] as const;
export type CampaignMutableField = (typeof CAMPAIGN_MUTABLE_FIELDS)[number];

/** Mutable fields a campaign may lack; PATCH `null` removes them. */
export const CAMPAIGN_OPTIONAL_FIELDS = ['frequencyCap', 'creatives', 'pmpDealIds', 'seat'] as const;
export type CampaignOptionalField = (typeof CAMPAIGN_OPTIONAL_FIELDS)[number];
export type CampaignTerms = Pick<Campaign, Exclude<CampaignMutableField, CampaignOptionalField>> &
  Pick<Partial<Campaign>, CampaignOptionalField>;

/*
 * Bidder-facing fields (creatives, pmpDealIds, seat): what shared/bidding/line-items-from-deals.ts copies
 * into LineItems, so what the bidder puts on the wire (bid.crid, bid.adm, bid.adomain, bid.cat,
 * bid.bundle, seatbid.seat, bid.dealid) and matches against bcat/badv/bapp/wadomain and banner sizes.
 * The request schemas (shared/schemas/campaign.ts) check shapes and formats with the same patterns and
 * limits; checkBidderFields below re-checks them and adds the rules that span several values:
 *  - creatives: at most CREATIVES_MAX; ids unique within the campaign (ids are bid.crid) and made of
 *    [A-Za-z0-9._:-], 1..128 chars; w and h whole numbers in 1..CREATIVE_SIZE_MAX_PX;
 *  - a banner creative's w×h must equal the width×height of one of the campaign's banner creativeSpecs
 *    (creativeSpecs declares the sizes the campaign runs; the bidder only serves a banner of an exact
 *    size the imp offers, so an undeclared size is almost always a typo). No banner spec = no banner
 *    creative. Other formats are not size-matched (video/audio w×h is informational for the bidder);
 *  - adm: not blank, at most ADM_MAX_BYTES UTF-8 bytes each;
 *  - all creatives together, markup and every other field included, at most CREATIVES_TOTAL_MAX_BYTES
 *    as JSON (UTF-8; an upper bound of their stored size). See "Size" below;
 *  - adomain: 1..10 domain names (no scheme, path or port; e.g. "brand.example"), case-insensitive as
 *    brand safety compares them; at least one, since a bid without adomain fails any wadomain allow list
 *    and many exchanges drop it;
 *  - cat: 0..20 IAB content taxonomy 1.x codes, "IAB1".."IAB26" or a subcategory such as "IAB3-1";
 *  - bundle: 1..256 chars without whitespace; mimes: 0..20 "type/subtype" MIME types of at most 127 chars;
 *  - pmpDealIds: 0..50 unique ids, 1..128 chars without whitespace or "~" (the mapper builds line item
 *    ids as `campaignId~pmpDealId`); seat: 1..128 chars without whitespace.
 */
export const CREATIVES_MAX = 20;
export const CREATIVE_SIZE_MAX_PX = 10_000;
export const ADM_MAX_BYTES = 32 * 1024;
export const CREATIVES_TOTAL_MAX_BYTES = 128 * 1024;
export const ADOMAIN_MAX = 10;
export const CAT_MAX = 20;
export const MIMES_MAX = 20;
export const PMP_DEAL_IDS_MAX = 50;
export const CREATIVE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** A DNS name of two or more labels whose last label starts with a letter (no IP literals). */
export const DOMAIN_NAME_PATTERN = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** IAB content taxonomy 1.x: tier 1 "IAB1".."IAB26", tier 2 "IABn-m". */
export const IAB_CATEGORY_PATTERN = /^IAB(?:[1-9]|1[0-9]|2[0-6])(?:-[1-9][0-9]?)?$/;
export const MIME_TYPE_PATTERN = /^(?=.{3,127}$)[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,124}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,124}$/;
export const BUNDLE_PATTERN = /^\S{1,256}$/;
export const PMP_DEAL_ID_PATTERN = /^[^\s~]{1,128}$/;
export const SEAT_PATTERN = /^\S{1,128}$/;

/*
 * Size. The campaign item, its version snapshot and an audit entry holding the old AND the new value of
 * every changed field must each fit DynamoDB's 400 KB item limit, so every list and string a campaign
 * holds is bounded, and the bounds together keep one campaign version under ~200 KB (a unit test adds
 * up the worst case from these constants):
 *  - targeting: at most AUDIENCE_SEGMENTS_MAX audience segments of 1..AUDIENCE_SEGMENT_MAX_LENGTH
 *    characters (not blank), at most COUNTRIES_MAX distinct countries, distinct device types;
 *  - creativeSpecs: at most CREATIVE_SPECS_MAX, width and height 1..CREATIVE_SIZE_MAX_PX, each with at
 *    most SPEC_MIME_TYPES_MAX MIME types (MIME_TYPE_PATTERN);
 *  - creatives, pmpDealIds, seat: the bidder-facing bounds above.
 */
export const AUDIENCE_SEGMENTS_MAX = 100;
export const AUDIENCE_SEGMENT_MAX_LENGTH = 64;
export const COUNTRIES_MAX = 250;
export const CREATIVE_SPECS_MAX = 20;
export const SPEC_MIME_TYPES_MAX = 5;

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

/**
 * The deal's campaigns together budget at most its total value. A change that needs `required` of the
 * unallocated budget (a new campaign's budget, a budget increase, a cut in the deal's total) is refused
 * with BudgetExceededError (409) when less is available. It is a conflict with the deal's current state,
 * not a malformed request, and the same answer as a concurrent change that took the room first (the
 * repository re-checks the sum inside its transaction).
 */
export function assertBudgetAvailable(deal: Deal, campaigns: readonly Campaign[], required: Money): void {
  const allocated = committedBudget(deal, campaigns);
  if (deal.totalValue.amountMinor - allocated.amountMinor < required.amountMinor) {
    throw new BudgetExceededError(deal.id, deal.totalValue, allocated, required);
  }
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
 * The rules every campaign version satisfies against its deal:
 * currency equals the deal's; budget, dailyBudget, maxBid > 0; dailyBudget ≤ budget ≤ the deal's total
 * value; flight inside the deal's dates with end ≥ start; the bidder-facing fields follow the rules in
 * the comment above CREATIVES_MAX. The sum over the deal's campaigns is assertBudgetAvailable's.
 * Returns the normalised terms (trimmed name).
 */
export function checkCampaignTerms(issues: IssueList, deal: Deal, terms: CampaignTerms): CampaignTerms {
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
  if (currenciesMatch && terms.budget.amountMinor > deal.totalValue.amountMinor) {
    issues.add('budget.amountMinor', `must not exceed the deal's total value ${deal.totalValue.amountMinor}`);
  }

  checkSchedule(issues, deal, terms.schedule);
  checkTargeting(issues, terms.targeting);
  checkCreatives(issues, terms.creativeSpecs);
  if (terms.frequencyCap) {
    checkPositiveInteger(issues, 'frequencyCap.impressions', terms.frequencyCap.impressions);
    checkPositiveInteger(issues, 'frequencyCap.periodHours', terms.frequencyCap.periodHours);
  }
  checkBidderFields(issues, terms);
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
  const segments = targeting.audienceSegments;
  checkMaxItems(issues, 'targeting.audienceSegments', segments, AUDIENCE_SEGMENTS_MAX);
  segments.forEach((segment, i) => {
    if (typeof segment !== 'string' || segment.trim().length === 0 || segment.length > AUDIENCE_SEGMENT_MAX_LENGTH) {
      issues.add(`targeting.audienceSegments.${i}`, `must be 1-${AUDIENCE_SEGMENT_MAX_LENGTH} characters, not blank`);
    }
  });
  checkMaxItems(issues, 'targeting.geo.countries', targeting.geo.countries, COUNTRIES_MAX);
  targeting.geo.countries.forEach((country, i) => {
    if (!/^[A-Z]{3}$/.test(country)) issues.add(`targeting.geo.countries.${i}`, 'must be an ISO-3166-1 alpha-3 code');
  });
  checkDistinct(issues, 'targeting.geo.countries', targeting.geo.countries);
  targeting.devices.forEach((device, i) => {
    if (!DEVICE_TYPES.includes(device)) issues.add(`targeting.devices.${i}`, `must be one of ${DEVICE_TYPES.join(', ')}`);
  });
  checkDistinct(issues, 'targeting.devices', targeting.devices);
}

function checkMaxItems(issues: IssueList, path: string, items: readonly unknown[], max: number): void {
  if (items.length > max) issues.add(path, `must have at most ${max} items`);
}

/** Names each repeated value at its later index. */
function checkDistinct(issues: IssueList, path: string, values: readonly string[]): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (seen.has(value)) issues.add(`${path}.${i}`, `duplicates ${value}`);
    seen.add(value);
  });
}

function checkCreatives(issues: IssueList, creatives: Campaign['creativeSpecs']): void {
  checkMaxItems(issues, 'creativeSpecs', creatives, CREATIVE_SPECS_MAX);
  creatives.forEach((spec, i) => {
    const path = `creativeSpecs.${i}`;
    for (const key of ['width', 'height'] as const) {
      const value = spec[key];
      if (!Number.isSafeInteger(value) || value <= 0 || value > CREATIVE_SIZE_MAX_PX) {
        issues.add(`${path}.${key}`, `must be a whole number from 1 to ${CREATIVE_SIZE_MAX_PX}`);
      }
    }
    checkMaxItems(issues, `${path}.mimeTypes`, spec.mimeTypes, SPEC_MIME_TYPES_MAX);
    spec.mimeTypes.forEach((mime, j) => checkPattern(issues, `${path}.mimeTypes.${j}`, mime, MIME_TYPE_PATTERN, 'must be a MIME type such as video/mp4'));
    if (spec.maxDurationSeconds !== undefined) {
      if (spec.format !== 'video') issues.add(`${path}.maxDurationSeconds`, 'only applies to video creatives');
      else checkPositiveInteger(issues, `${path}.maxDurationSeconds`, spec.maxDurationSeconds);
    }
  });
}

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

function checkPattern(issues: IssueList, path: string, value: string, pattern: RegExp, message: string): void {
  if (typeof value !== 'string' || !pattern.test(value)) issues.add(path, message);
}

/** The bidder-facing fields (see the rules in the comment above CREATIVES_MAX). */
function checkBidderFields(issues: IssueList, terms: CampaignTerms): void {
  if (terms.creatives !== undefined) checkCampaignCreatives(issues, terms.creatives, terms.creativeSpecs);
  if (terms.pmpDealIds !== undefined) {
    if (terms.pmpDealIds.length > PMP_DEAL_IDS_MAX) issues.add('pmpDealIds', `must have at most ${PMP_DEAL_IDS_MAX} items`);
    const seen = new Set<string>();
    terms.pmpDealIds.forEach((id, i) => {
      checkPattern(issues, `pmpDealIds.${i}`, id, PMP_DEAL_ID_PATTERN, 'must be 1-128 characters without whitespace or "~"');
      if (seen.has(id)) issues.add(`pmpDealIds.${i}`, `duplicates ${id}`);
      seen.add(id);
    });
  }
  if (terms.seat !== undefined) checkPattern(issues, 'seat', terms.seat, SEAT_PATTERN, 'must be 1-128 characters without whitespace');
}

function checkCampaignCreatives(issues: IssueList, creatives: CampaignCreative[], specs: Campaign['creativeSpecs']): void {
  if (creatives.length > CREATIVES_MAX) issues.add('creatives', `must have at most ${CREATIVES_MAX} items`);
  const bannerSizes = specs.filter((s) => s.format === 'banner').map((s) => `${s.width}x${s.height}`);
  const ids = new Set<string>();
  creatives.forEach((creative, i) => {
    const path = `creatives.${i}`;
    checkPattern(issues, `${path}.id`, creative.id, CREATIVE_ID_PATTERN, "must be 1-128 letters, digits, '.', '_', ':' or '-'");
    if (ids.has(creative.id)) issues.add(`${path}.id`, `duplicates creative id ${creative.id} (ids are unique within the campaign)`);
    ids.add(creative.id);
    if (!CAMPAIGN_CREATIVE_FORMATS.includes(creative.format)) issues.add(`${path}.format`, `must be one of ${CAMPAIGN_CREATIVE_FORMATS.join(', ')}`);
    let sizesOk = true;
    for (const key of ['w', 'h'] as const) {
      const value = creative[key];
      if (!Number.isSafeInteger(value) || value <= 0 || value > CREATIVE_SIZE_MAX_PX) {
        issues.add(`${path}.${key}`, `must be a whole number from 1 to ${CREATIVE_SIZE_MAX_PX}`);
        sizesOk = false;
      }
    }
    if (sizesOk && creative.format === 'banner' && !bannerSizes.includes(`${creative.w}x${creative.h}`)) {
      const declared = bannerSizes.length > 0 ? `declared: ${bannerSizes.join(', ')}` : 'the campaign declares no banner creativeSpec';
      issues.add(`${path}.w`, `banner size ${creative.w}x${creative.h} must match a banner creativeSpec width x height (${declared})`);
    }
    if (typeof creative.adm !== 'string' || creative.adm.trim().length === 0) {
      issues.add(`${path}.adm`, 'must not be blank');
    } else {
      const bytes = utf8Bytes(creative.adm);
      if (bytes > ADM_MAX_BYTES) issues.add(`${path}.adm`, `must be at most ${ADM_MAX_BYTES} bytes (UTF-8), got ${bytes}`);
    }
    if (creative.adomain.length === 0) issues.add(`${path}.adomain`, 'must name at least one advertiser domain');
    if (creative.adomain.length > ADOMAIN_MAX) issues.add(`${path}.adomain`, `must have at most ${ADOMAIN_MAX} items`);
    creative.adomain.forEach((domain, j) =>
      checkPattern(issues, `${path}.adomain.${j}`, domain, DOMAIN_NAME_PATTERN, 'must be a domain name such as brand.example (no scheme, path or port)'),
    );
    if (creative.cat.length > CAT_MAX) issues.add(`${path}.cat`, `must have at most ${CAT_MAX} items`);
    creative.cat.forEach((cat, j) =>
      checkPattern(issues, `${path}.cat.${j}`, cat, IAB_CATEGORY_PATTERN, 'must be an IAB content category code such as IAB3 or IAB3-1'),
    );
    if (creative.bundle !== undefined) {
      checkPattern(issues, `${path}.bundle`, creative.bundle, BUNDLE_PATTERN, 'must be 1-256 characters without whitespace');
    }
    if (creative.mimes !== undefined) {
      if (creative.mimes.length > MIMES_MAX) issues.add(`${path}.mimes`, `must have at most ${MIMES_MAX} items`);
      creative.mimes.forEach((mime, j) => checkPattern(issues, `${path}.mimes.${j}`, mime, MIME_TYPE_PATTERN, 'must be a MIME type such as video/mp4'));
    }
  });
  const total = utf8Bytes(JSON.stringify(creatives));
  if (total > CREATIVES_TOTAL_MAX_BYTES) {
    issues.add('creatives', `must total at most ${CREATIVES_TOTAL_MAX_BYTES} bytes as JSON (markup included), got ${total}`);
  }
}
