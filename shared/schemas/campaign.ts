import { z } from 'zod';
import type { CampaignPatch } from '../domain/campaign/amend.js';
import {
  BID_STRATEGIES,
  CAMPAIGN_CREATIVE_FORMATS,
  CAMPAIGN_STATUSES,
  CAMPAIGN_TYPES,
  DEVICE_TYPES,
  PACING_MODES,
  type Campaign,
} from '../domain/campaign/campaign.js';
import type { CreateCampaignInput } from '../domain/campaign/create.js';
import {
  ADM_MAX_BYTES,
  ADOMAIN_MAX,
  AUDIENCE_SEGMENTS_MAX,
  AUDIENCE_SEGMENT_MAX_LENGTH,
  BUNDLE_PATTERN,
  CAT_MAX,
  COUNTRIES_MAX,
  CREATIVES_MAX,
  CREATIVES_TOTAL_MAX_BYTES,
  CREATIVE_ID_PATTERN,
  CREATIVE_SIZE_MAX_PX,
  CREATIVE_SPECS_MAX,
  DOMAIN_NAME_PATTERN,
  IAB_CATEGORY_PATTERN,
  MIMES_MAX,
  MIME_TYPE_PATTERN,
  PMP_DEAL_IDS_MAX,
  PMP_DEAL_ID_PATTERN,
  SEAT_PATTERN,
  SPEC_MIME_TYPES_MAX,
} from '../domain/campaign/rules.js';
import { EntityId, IsoDate, MoneySchema, Name, Timestamp, Version, listResponse, moneyBoundDescription } from './common.js';
import { atLeastOneField, wireFields, type Assignable, type Expect } from './helpers.js';

export const CampaignTypeSchema = z.enum(CAMPAIGN_TYPES).meta({ id: 'CampaignType' });
export const CampaignStatusSchema = z.enum(CAMPAIGN_STATUSES).meta({
  id: 'CampaignStatus',
  description: 'draft→active|archived, active→paused|completed, paused→active|completed, completed→archived',
});
const PositiveInt = z.number().int('must be a whole number').positive('must be greater than 0');
const CreativePx = PositiveInt.max(CREATIVE_SIZE_MAX_PX, `must be at most ${CREATIVE_SIZE_MAX_PX}`);

/** Every list is bounded (shared/domain/campaign/rules.ts, "Size"); the message names the bound. */
export function boundedArray<T extends z.ZodType>(item: T, max: number) {
  return z.array(item).max(max, `must have at most ${max} items`);
}
const MimeType = z.string().regex(MIME_TYPE_PATTERN, 'must be a MIME type such as video/mp4 (at most 127 characters)');

export const TargetingSchema = z
  .strictObject({
    audienceSegments: boundedArray(
      z
        .string()
        .max(AUDIENCE_SEGMENT_MAX_LENGTH, `must be at most ${AUDIENCE_SEGMENT_MAX_LENGTH} characters`)
        .regex(/\S/, 'must not be blank'),
      AUDIENCE_SEGMENTS_MAX,
    ),
    geo: z.strictObject({
      countries: boundedArray(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-3166-1 alpha-3 country code'), COUNTRIES_MAX).meta({
        description: 'Distinct ISO-3166-1 alpha-3 codes; empty means everywhere',
      }),
    }),
    devices: boundedArray(z.enum(DEVICE_TYPES), DEVICE_TYPES.length).meta({ description: 'Distinct device types; empty means every device type' }),
  })
  .meta({ id: 'Targeting' });

export const ScheduleSchema = z
  .strictObject({
    startDate: IsoDate,
    endDate: IsoDate,
    pacing: z.enum(PACING_MODES),
  })
  .meta({ id: 'Schedule', description: "Flight dates inside the deal's dates; endDate on or after startDate" });

export const CreativeSpecSchema = z
  .strictObject({
    format: z.enum(['banner', 'video', 'native']),
    width: CreativePx,
    height: CreativePx,
    mimeTypes: boundedArray(MimeType, SPEC_MIME_TYPES_MAX),
    maxDurationSeconds: PositiveInt.optional().meta({ description: 'Only for video' }),
  })
  .meta({ id: 'CreativeSpec' });

/** Bidder-facing fields: formats and limits from shared/domain/campaign/rules.ts (see the rules there). */
export const CampaignCreativeSchema = z
  .strictObject({
    id: z
      .string()
      .regex(CREATIVE_ID_PATTERN, "must be 1-128 letters, digits, '.', '_', ':' or '-'")
      .meta({ description: 'Sent as bid.crid; unique within the campaign' }),
    format: z.enum(CAMPAIGN_CREATIVE_FORMATS),
    w: CreativePx.meta({ description: 'Width in px; a banner must match a banner creativeSpec width x height' }),
    h: CreativePx.meta({ description: 'Height in px; a banner must match a banner creativeSpec width x height' }),
    adm: z
      .string()
      .max(ADM_MAX_BYTES, `must be at most ${ADM_MAX_BYTES} characters`)
      .regex(/\S/, 'must not be blank')
      .meta({
        description: `Markup template returned as bid.adm; OpenRTB macros are left for the exchange. At most ${ADM_MAX_BYTES} bytes (UTF-8)`,
      }),
    adomain: z
      .array(z.string().regex(DOMAIN_NAME_PATTERN, 'must be a domain name such as brand.example (no scheme, path or port)'))
      .min(1, 'must name at least one advertiser domain')
      .max(ADOMAIN_MAX, `must have at most ${ADOMAIN_MAX} items`)
      .meta({ description: 'Advertiser domains (bid.adomain), e.g. "brand.example"' }),
    cat: z
      .array(z.string().regex(IAB_CATEGORY_PATTERN, 'must be an IAB content category code such as IAB3 or IAB3-1'))
      .max(CAT_MAX, `must have at most ${CAT_MAX} items`)
      .meta({ description: 'IAB content taxonomy 1.x codes (bid.cat), e.g. "IAB3" or "IAB3-1"' }),
    bundle: z.string().regex(BUNDLE_PATTERN, 'must be 1-256 characters without whitespace').optional(),
    mimes: boundedArray(MimeType, MIMES_MAX).optional(),
  })
  .meta({ id: 'CampaignCreative', description: 'A creative the bidder may serve for the campaign' });

export const PmpDealId = z.string().regex(PMP_DEAL_ID_PATTERN, 'must be 1-128 characters without whitespace or "~"');
export const Seat = z.string().regex(SEAT_PATTERN, 'must be 1-128 characters without whitespace');

/** The bidder-only campaign fields (optional; read by the bidder's line-item loader). */
export const campaignBidderFields = {
  creatives: boundedArray(CampaignCreativeSchema, CREATIVES_MAX)
    .optional()
    .meta({
      description: `Creatives the bidder serves; absent or empty means the campaign does not bid. Ids unique; at most ${CREATIVES_TOTAL_MAX_BYTES} bytes as JSON together`,
    }),
  pmpDealIds: boundedArray(PmpDealId, PMP_DEAL_IDS_MAX)
    .optional()
    .meta({ description: 'Exchange-side PMP deal ids (unique); absent means open auction' }),
  seat: Seat.optional().meta({ description: "Buyer seat on the exchange; absent means the bidder's configured seat" }),
};

export const FrequencyCapSchema = z
  .strictObject({ impressions: PositiveInt, periodHours: PositiveInt })
  .meta({ id: 'FrequencyCap', description: 'At most `impressions` per user per `periodHours`' });

const campaignTerms = {
  name: Name,
  type: CampaignTypeSchema,
  budget: MoneySchema.meta({ description: `Total budget, in the deal's currency; ${moneyBoundDescription('budget')}` }),
  dailyBudget: MoneySchema.meta({ description: `At most the budget; ${moneyBoundDescription('dailyBudget')} (what the bidder counts in nanos)` }),
  targeting: TargetingSchema,
  schedule: ScheduleSchema,
  creativeSpecs: boundedArray(CreativeSpecSchema, CREATIVE_SPECS_MAX),
  frequencyCap: FrequencyCapSchema.optional(),
  bidStrategy: z.enum(BID_STRATEGIES),
  maxBid: MoneySchema.meta({ description: `Highest CPM bid, > 0; ${moneyBoundDescription('maxBid')} (what the bidder counts in micros)` }),
  ...campaignBidderFields,
};

export const CreateCampaignRequest = z
  .strictObject(campaignTerms)
  .meta({ id: 'CreateCampaignRequest', description: 'Body of POST /deals/{dealId}/campaigns' });
export type CreateCampaignRequest = z.infer<typeof CreateCampaignRequest>;

export const AmendCampaignRequest = atLeastOneField(
  z.strictObject({
    ...campaignTerms,
    frequencyCap: FrequencyCapSchema.nullable().meta({ description: 'null removes the cap' }),
    creatives: campaignBidderFields.creatives.unwrap().nullable().meta({ description: 'Replaces all creatives; null removes them (the campaign stops bidding)' }),
    pmpDealIds: campaignBidderFields.pmpDealIds.unwrap().nullable().meta({ description: 'null returns to the open auction' }),
    seat: Seat.nullable().meta({ description: "null returns to the bidder's configured seat" }),
    status: CampaignStatusSchema,
  }).partial(),
).meta({
  id: 'AmendCampaignRequest',
  description: 'Body of PATCH /deals/{dealId}/campaigns/{campaignId}: any non-empty subset; objects replace whole objects',
});
export type AmendCampaignRequest = z.infer<typeof AmendCampaignRequest>;

export const CampaignResponse = z
  .object({
    id: EntityId,
    dealId: EntityId,
    accountId: EntityId,
    ...campaignTerms,
    name: z.string(),
    status: CampaignStatusSchema,
    version: Version,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: EntityId,
    updatedBy: EntityId,
  })
  .meta({ id: 'Campaign', description: 'A campaign under a deal' });
export type CampaignResponse = z.infer<typeof CampaignResponse>;

export const CampaignListResponse = listResponse(CampaignResponse, 'CampaignList', "A page of a deal's campaigns");

export function toCampaignResponse(campaign: Campaign): CampaignResponse {
  return wireFields(CampaignResponse, campaign);
}

export type CreateCampaignRequestFitsDomain = Expect<Assignable<CreateCampaignRequest, CreateCampaignInput>>;
export type AmendCampaignRequestFitsDomain = Expect<Assignable<AmendCampaignRequest, CampaignPatch>>;
export type CampaignFitsResponse = Expect<Assignable<Campaign, CampaignResponse>>;
