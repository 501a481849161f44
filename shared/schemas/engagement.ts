import { z } from 'zod';
import { ENGAGEMENT_TIERS } from '../engagement/config.js';
import type { EngagementScore } from '../engagement/model.js';
import { Cursor, EntityId, Limit, Timestamp, Version, listResponse } from './common.js';
import { wireFields, type Assignable, type Expect } from './helpers.js';

export const EngagementTierSchema = z.enum(ENGAGEMENT_TIERS).meta({
  id: 'EngagementTier',
  description: 'hot (score 75 and above), warm (50 to 75), cold (25 to 50), at_risk (below 25), with the default bounds',
});

const Points = z.number().min(0).max(100);

export const EngagementResponse = z
  .object({
    dealId: EntityId,
    dealVersion: Version.meta({ description: 'The version of the deal the score reflects' }),
    score: Points.meta({ description: 'Weighted sum of the components, 0..100, two decimals' }),
    tier: EngagementTierSchema,
    components: z
      .object({
        recency: Points.meta({ description: 'How soon the latest activity followed the one before (100: at once; halves every 7 days of gap)' }),
        frequency: Points.meta({ description: 'Recent changes of the deal and its campaigns (counted with a 15-day half-life; 10 or more: 100)' }),
        monetary: Points.meta({ description: "The deal's total value on a log scale against a reference value (100 at or above it)" }),
        behavioral: Points.meta({ description: 'From 50: a fast approval raises it, amendments after submission and rejections lower it' }),
        accountHealth: Points.meta({ description: "Share of the account's deals that are approved, active or completed (open ones count half)" }),
      })
      .meta({ description: 'Each component 0..100, two decimals (docs/engagement.md)' }),
    computedAt: Timestamp.meta({ description: 'When the score was last computed (from the latest change of the deal or its campaigns)' }),
  })
  .meta({ id: 'Engagement', description: "A deal's engagement score, kept up to date from its changes" });
export type EngagementResponse = z.infer<typeof EngagementResponse>;

export const EngagementListResponse = listResponse(EngagementResponse, 'EngagementList', "A page of an account's deal scores, highest first");

export const ListEngagementQuery = z
  .strictObject({
    accountId: EntityId.optional().meta({ description: 'Required unless the caller belongs to exactly one account' }),
    tier: EngagementTierSchema.optional(),
    limit: Limit,
    cursor: Cursor.optional(),
  })
  .meta({ description: 'Query of GET /engagement' });
export type ListEngagementQuery = z.infer<typeof ListEngagementQuery>;

/** Projects a stored score onto the wire shape (the state it is computed from stays inside). */
export function toEngagementResponse(score: EngagementScore): EngagementResponse {
  return wireFields(EngagementResponse, score);
}

export type EngagementFitsResponse = Expect<Assignable<Omit<EngagementScore, 'accountId'>, EngagementResponse>>;
