import { z } from 'zod';
import { EntityId } from './common.js';

/** Path parameters. Values arrive as strings; `version` is coerced. */
export const DealPathParams = z.strictObject({ dealId: EntityId });
export const AccountPathParams = z.strictObject({ accountId: EntityId });
export const CampaignPathParams = z.strictObject({ dealId: EntityId, campaignId: EntityId });
export const DealVersionPathParams = z.strictObject({
  dealId: EntityId,
  version: z.coerce.number('must be a number').int('must be a whole number').min(1, 'must be at least 1'),
});
