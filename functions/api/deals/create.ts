import { assertMemberOfAccount } from '../../../shared/domain/access.js';
import { dealAuditEntry } from '../../../shared/domain/audit-entry.js';
import { createDeal } from '../../../shared/domain/deal/create.js';
import { CreateDealRequest, toDealResponse } from '../../../shared/schemas/deal.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';

/** POST /deals → 201, Location, ETag "1"; a draft at version 1. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.create',
      access: 'deal.create',
      body: CreateDealRequest,
      idempotent: true,
      handle: async ({ body, actor, context, deps }) => {
        assertMemberOfAccount(actor, body.accountId);
        const deal = createDeal(body, context.change, { dealId: deps.newId() });
        await deps.repo.createDeal(deal, dealAuditEntry(deal, 'deal.created', context.change));
        return {
          statusCode: 201,
          body: toDealResponse(deal),
          etag: deal.version,
          location: `/deals/${encodeURIComponent(deal.id)}`,
        };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: true }));
