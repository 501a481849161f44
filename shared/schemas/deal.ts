import { z } from 'zod';
import type { CreateDealInput } from '../domain/deal/create.js';
import type { DealPatch } from '../domain/deal/amend.js';
import { DEAL_STATUSES, DEAL_TYPES, type Deal } from '../domain/deal/deal.js';
import { Cursor, EntityId, IsoDate, Limit, MoneySchema, Name, Timestamp, Version, listResponse, moneyBoundDescription } from './common.js';
import { atLeastOneField, wireFields, type Assignable, type Expect } from './helpers.js';

export const DealTypeSchema = z.enum(DEAL_TYPES).meta({ id: 'DealType', description: 'Kind of deal' });
export const DealStatusSchema = z.enum(DEAL_STATUSES).meta({ id: 'DealStatus', description: 'Lifecycle status of a deal' });

const dealTerms = {
  name: Name,
  type: DealTypeSchema,
  totalValue: MoneySchema.meta({ description: `Total value of the deal; ${moneyBoundDescription('totalValue')}` }),
  startDate: IsoDate,
  endDate: IsoDate.meta({ description: 'Calendar date YYYY-MM-DD, after startDate' }),
  ownerId: EntityId.meta({ description: 'User id of the deal owner' }),
};

export const CreateDealRequest = z
  .strictObject({
    accountId: EntityId.meta({ description: 'Account the deal belongs to; the caller must be a member' }),
    ...dealTerms,
    ownerId: dealTerms.ownerId.optional().meta({ description: 'User id of the deal owner; defaults to the caller' }),
  })
  .meta({ id: 'CreateDealRequest', description: 'Body of POST /deals' });
export type CreateDealRequest = z.infer<typeof CreateDealRequest>;

export const AmendDealRequest = atLeastOneField(
  z.strictObject(dealTerms).partial(),
).meta({
  id: 'AmendDealRequest',
  description:
    'Body of PATCH /deals/{dealId}: any non-empty subset of the fields. In draft and rejected every field may change; ' +
    'in other open statuses only name and ownerId.',
});
export type AmendDealRequest = z.infer<typeof AmendDealRequest>;

export const DealResponse = z
  .object({
    id: EntityId,
    accountId: EntityId,
    name: z.string(),
    type: DealTypeSchema,
    totalValue: MoneySchema,
    startDate: IsoDate,
    endDate: IsoDate,
    ownerId: EntityId,
    status: DealStatusSchema,
    version: Version,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: EntityId,
    updatedBy: EntityId,
  })
  .meta({ id: 'Deal', description: 'A deal (one version of it)' });
export type DealResponse = z.infer<typeof DealResponse>;

export const DealListResponse = listResponse(DealResponse, 'DealList', 'A page of deals');
export const DealVersionListResponse = listResponse(DealResponse, 'DealVersionList', 'A page of deal versions, newest first');

export const ListDealsQuery = z
  .strictObject({
    accountId: EntityId.optional().meta({ description: "Required unless the caller belongs to exactly one account" }),
    status: DealStatusSchema.optional(),
    type: DealTypeSchema.optional(),
    limit: Limit,
    cursor: Cursor.optional(),
  })
  .meta({ description: 'Query of GET /deals' });
export type ListDealsQuery = z.infer<typeof ListDealsQuery>;

/** Projects a stored deal onto the wire shape (drops anything that is not part of the contract; see wireFields). */
export function toDealResponse(deal: Deal): DealResponse {
  return wireFields(DealResponse, deal);
}

// Compile-time guarantees that what the schemas accept is what the domain expects.
export type CreateDealRequestFitsDomain = Expect<Assignable<CreateDealRequest, CreateDealInput>>;
export type AmendDealRequestFitsDomain = Expect<Assignable<AmendDealRequest, DealPatch>>;
export type DealFitsResponse = Expect<Assignable<Deal, DealResponse>>;
