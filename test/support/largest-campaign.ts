/**
 * The largest campaign the API accepts: every list at its maximum count, every string at its maximum
 * length in 3-byte UTF-8 characters wherever its format allows them, the creatives at their total size
 * limit. Shared by the unit test that checks the bounds add up and the integration test that stores
 * and amends it against DynamoDB Local.
 */
import {
  ADOMAIN_MAX,
  AUDIENCE_SEGMENTS_MAX,
  AUDIENCE_SEGMENT_MAX_LENGTH,
  CAT_MAX,
  COUNTRIES_MAX,
  CREATIVES_MAX,
  CREATIVES_TOTAL_MAX_BYTES,
  CREATIVE_SPECS_MAX,
  MIMES_MAX,
  PMP_DEAL_IDS_MAX,
  SPEC_MIME_TYPES_MAX,
} from '../../shared/domain/campaign/rules.js';
import { DEVICE_TYPES, type CampaignCreative, type CreativeSpec } from '../../shared/domain/campaign/campaign.js';
import type { CreateCampaignInput } from '../../shared/domain/campaign/create.js';
import { NAME_MAX_LENGTH } from '../../shared/domain/validation.js';

/** `length` characters of `char` ending in `suffix` (distinct values for distinct suffixes). */
const text = (char: string, length: number, suffix = ''): string => char.repeat(length - suffix.length) + suffix;

/** A MIME type of exactly 127 characters. */
const mime = (n: number): string => `application/${text('x', 127 - 'application/'.length, `-${n}`)}`;

/** A domain name of 253 characters: labels of 63, 63, 63 and 61 characters. */
const domain = (n: number): string => `${text('a', 63, String(n))}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;

/** 250 distinct ISO-3166 alpha-3 shaped codes. */
const countries = (): string[] => Array.from({ length: COUNTRIES_MAX }, (_, i) => `A${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`);

function specs(): CreativeSpec[] {
  return Array.from({ length: CREATIVE_SPECS_MAX }, (_, i) => ({
    format: 'banner',
    width: 100 + i,
    height: 250,
    mimeTypes: Array.from({ length: SPEC_MIME_TYPES_MAX }, (_, j) => mime(i * 100 + j)),
  }));
}

function creatives(char: string, variant: string): CampaignCreative[] {
  const list: CampaignCreative[] = Array.from({ length: CREATIVES_MAX }, (_, i) => ({
    id: text('c', 128, `${variant}${i}`),
    format: 'banner',
    w: 100 + i,
    h: 250,
    adm: '',
    adomain: Array.from({ length: ADOMAIN_MAX }, (_, j) => domain(j)),
    cat: Array.from({ length: CAT_MAX }, (_, j) => `IAB26-${10 + j}`),
    bundle: text(char, 256),
    mimes: Array.from({ length: MIMES_MAX }, (_, j) => mime(j)),
  }));
  // Fill the markup up to the creatives' total size limit, evenly (each stays far below its own limit).
  const room = CREATIVES_TOTAL_MAX_BYTES - Buffer.byteLength(JSON.stringify(list));
  const perCreative = Math.floor(room / CREATIVES_MAX);
  list.forEach((creative, i) => {
    const bytes = perCreative + (i === 0 ? room - perCreative * CREATIVES_MAX : 0);
    creative.adm = `<p>${'m'.repeat(bytes - 7)}</p>`;
  });
  return list;
}

/**
 * The largest campaign, in one of two variants (different characters and ids, the same sizes), so an
 * amendment from one to the other changes every field.
 */
export function largestCampaign(variant: 'a' | 'b', overrides: { startDate: string; endDate: string; seat: string; pmpDealIds: string[] }): CreateCampaignInput {
  const char = variant === 'a' ? '€' : '₹';
  return {
    name: text(char, NAME_MAX_LENGTH),
    type: variant === 'a' ? 'display' : 'native',
    budget: { amountMinor: variant === 'a' ? 1_000_000 : 900_000, currency: 'USD' },
    dailyBudget: { amountMinor: variant === 'a' ? 50_000 : 40_000, currency: 'USD' },
    targeting: {
      audienceSegments: Array.from({ length: AUDIENCE_SEGMENTS_MAX }, (_, i) => text(char, AUDIENCE_SEGMENT_MAX_LENGTH, String(i))),
      geo: { countries: variant === 'a' ? countries() : countries().reverse() },
      devices: variant === 'a' ? [...DEVICE_TYPES] : [...DEVICE_TYPES].reverse(),
    },
    schedule: { startDate: overrides.startDate, endDate: overrides.endDate, pacing: variant === 'a' ? 'even' : 'asap' },
    creativeSpecs: variant === 'a' ? specs() : specs().reverse(),
    frequencyCap: { impressions: variant === 'a' ? 3 : 4, periodHours: 24 },
    bidStrategy: variant === 'a' ? 'max_cpm' : 'fixed_cpm',
    maxBid: { amountMinor: variant === 'a' ? 1_200 : 1_300, currency: 'USD' },
    creatives: creatives(char, variant),
    seat: overrides.seat,
    pmpDealIds: overrides.pmpDealIds,
  };
}

/** PMP_DEAL_IDS_MAX distinct ids of 128 characters (3-byte characters) and a 128-character seat, per variant. */
export function largestBiddingChoices(variant: 'a' | 'b'): { seat: string; pmpDealIds: string[] } {
  const char = variant === 'a' ? '€' : '₹';
  return {
    seat: text(char, 128, variant),
    pmpDealIds: Array.from({ length: PMP_DEAL_IDS_MAX }, (_, i) => text(char, 128, `${variant}${i}`)),
  };
}
