import { assertMemberOfAccount } from '../../../shared/domain/access.js';
import { dealAuditEntry } from '../../../shared/domain/audit-entry.js';
import { createDeal } from '../../../shared/domain/deal/create.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import { CreateDealRequest, toDealResponse } from '../../../shared/schemas/deal.js';
import { createOnce, created } from '../create-once.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler, type HttpResult } from '../http/handler.js';
import { creationRequest } from '../http/idempotency.js';

const ROUTE = 'deals.create';

/** POST /deals → 201, Location, ETag "1"; a draft at version 1. One deal per Idempotency-Key. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: ROUTE,
      access: 'deal.create',
      body: CreateDealRequest,
      idempotent: true,
      handle: async (input) => {
        const { body, actor, context, deps } = input;
        assertMemberOfAccount(actor, body.accountId);
        const creation = creationRequest(ROUTE, input);
        return createOnce(deps.repo, creation, {
          replay: async (record) => dealCreated(created(await deps.repo.getDealVersion(record.entityId, 1), record)),
          create: async () => {
            const deal = createDeal(body, context.change, { dealId: deps.newId() });
            await deps.repo.createDeal(deal, dealAuditEntry(deal, 'deal.created', context.change), creation);
            return dealCreated(deal);
          },
        });
      },
    },
    deps,
  );
}

function dealCreated(deal: Deal): HttpResult {
  return { statusCode: 201, body: toDealResponse(deal), etag: deal.version, location: `/deals/${encodeURIComponent(deal.id)}` };
}

export const handler = makeHandler(productionDeps({ idempotent: true }));
