import { z } from 'zod';
import {
  ALLOWED_PMP_DEAL_IDS_MAX,
  ALLOWED_SEATS_MAX,
  type AccountBiddingSettings,
  type BiddingSettingsTerms,
} from '../domain/account/bidding-settings.js';
import { PmpDealId, Seat, boundedArray } from './campaign.js';
import { EntityId, Timestamp, Version } from './common.js';
import { wireFields, type Assignable, type Expect } from './helpers.js';

/** Names each repeated id at its later index, like the domain rule. */
function distinct(schema: z.ZodArray<z.ZodString>) {
  return schema.superRefine((ids, ctx) => {
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [index], message: `duplicates ${id}` });
      seen.add(id);
    });
  });
}

const settingsTerms = {
  allowedSeats: distinct(boundedArray(Seat, ALLOWED_SEATS_MAX)).meta({
    description: "Buyer seats the account's campaigns may name as `seat` (distinct). A campaign without a seat bids under the bidder's house seat",
  }),
  allowedPmpDealIds: distinct(boundedArray(PmpDealId, ALLOWED_PMP_DEAL_IDS_MAX)).meta({
    description: "Exchange-side PMP deal ids the account's campaigns may name in `pmpDealIds` (distinct)",
  }),
};

export const ReplaceBiddingSettingsRequest = z.strictObject(settingsTerms).meta({
  id: 'ReplaceBiddingSettingsRequest',
  description: 'Body of PUT /accounts/{accountId}/bidding-settings: both lists, replacing the current ones whole',
});
export type ReplaceBiddingSettingsRequest = z.infer<typeof ReplaceBiddingSettingsRequest>;

export const BiddingSettingsResponse = z
  .object({
    accountId: EntityId,
    ...settingsTerms,
    version: Version,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: EntityId,
    updatedBy: EntityId,
  })
  .meta({ id: 'BiddingSettings', description: "An account's bidding settings: what its campaigns may bid with" });
export type BiddingSettingsResponse = z.infer<typeof BiddingSettingsResponse>;

export function toBiddingSettingsResponse(settings: AccountBiddingSettings): BiddingSettingsResponse {
  return wireFields(BiddingSettingsResponse, settings);
}

export type ReplaceBiddingSettingsRequestFitsDomain = Expect<Assignable<ReplaceBiddingSettingsRequest, BiddingSettingsTerms>>;
export type BiddingSettingsFitsResponse = Expect<Assignable<AccountBiddingSettings, BiddingSettingsResponse>>;
