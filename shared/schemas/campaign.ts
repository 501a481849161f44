import { z } from 'zod';
import type { CampaignPatch } from '../domain/campaign/amend.js';
import {
  BID_STRATEGIES,
  CAMPAIGN_STATUSES,
  CAMPAIGN_TYPES,
  DEVICE_TYPES,
  PACING_MODES,
  type Campaign,
} from '../domain/campaign/campaign.js';
import type { CreateCampaignInput } from '../domain/campaign/create.js';
import { EntityId, IsoDate, MoneySchema, Name, Timestamp, Version, listResponse } from './common.js';
import { atLeastOneField, type Assignable, type Expect } from './helpers.js';

export const CampaignTypeSchema = z.enum(CAMPAIGN_TYPES).meta({ id: 'CampaignType' });
export const CampaignStatusSchema = z.enum(CAMPAIGN_STATUSES).meta({
  id: 'CampaignStatus',
  description: 'draft→active|archived, active→paused|completed, paused→active|completed, completed→archived',
});
const PositiveInt = z.number().int('must be a whole number').positive('must be greater than 0');

export const TargetingSchema = z
  .strictObject({
    audienceSegments: z.array(z.string().min(1)).max(500),
    geo: z.strictObject({
      countries: z
        .array(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-3166-1 alpha-3 country code'))
        .meta({ description: 'ISO-3166-1 alpha-3 codes; empty means everywhere' }),
    }),
    devices: z.array(z.enum(DEVICE_TYPES)).meta({ description: 'Empty means every device type' }),
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
    width: PositiveInt,
    height: PositiveInt,
    mimeTypes: z.array(z.string().min(1)),
    maxDurationSeconds: PositiveInt.optional().meta({ description: 'Only for video' }),
  })
  .meta({ id: 'CreativeSpec' });

export const CampaignCreativeSchema = z
  .strictObject({
    id: z.string().min(1).max(128),
    format: z.enum(['banner', 'video', 'audio', 'native']),
    w: PositiveInt,
    h: PositiveInt,
    adm: z.string().min(1).max(100_000).meta({ description: 'Markup template returned as bid.adm; OpenRTB macros are left for the exchange' }),
    adomain: z.array(z.string().min(1)).max(10),
    cat: z.array(z.string().min(1)).max(20),
    bundle: z.string().min(1).optional(),
    mimes: z.array(z.string().min(1)).optional(),
  })
  .meta({ id: 'CampaignCreative', description: 'A creative the bidder may serve for the campaign' });

/** The bidder-only campaign fields (optional; read by the bidder's line-item loader). */
export const campaignBidderFields = {
  creatives: z.array(CampaignCreativeSchema).max(50).optional(),
  pmpDealIds: z.array(z.string().min(1).max(128)).max(50).optional(),
  seat: z.string().min(1).max(128).optional(),
};

export const FrequencyCapSchema = z
  .strictObject({ impressions: PositiveInt, periodHours: PositiveInt })
  .meta({ id: 'FrequencyCap', description: 'At most `impressions` per user per `periodHours`' });

const campaignTerms = {
  name: Name,
  type: CampaignTypeSchema,
  budget: MoneySchema.meta({ description: "Total budget, in the deal's currency" }),
  dailyBudget: MoneySchema.meta({ description: 'At most the budget' }),
  targeting: TargetingSchema,
  schedule: ScheduleSchema,
  creativeSpecs: z.array(CreativeSpecSchema),
  frequencyCap: FrequencyCapSchema.optional(),
  bidStrategy: z.enum(BID_STRATEGIES),
  maxBid: MoneySchema.meta({ description: 'Highest CPM bid, > 0' }),
};

export const CreateCampaignRequest = z
  .strictObject(campaignTerms)
  .meta({ id: 'CreateCampaignRequest', description: 'Body of POST /deals/{dealId}/campaigns' });
export type CreateCampaignRequest = z.infer<typeof CreateCampaignRequest>;

export const AmendCampaignRequest = atLeastOneField(
  z.strictObject({
    ...campaignTerms,
    frequencyCap: FrequencyCapSchema.nullable().meta({ description: 'null removes the cap' }),
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
    ...campaignBidderFields,
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
  return CampaignResponse.parse(campaign);
}

export type CreateCampaignRequestFitsDomain = Expect<Assignable<CreateCampaignRequest, CreateCampaignInput>>;
export type AmendCampaignRequestFitsDomain = Expect<Assignable<AmendCampaignRequest, CampaignPatch>>;
export type CampaignFitsResponse = Expect<Assignable<Campaign, CampaignResponse>>;
