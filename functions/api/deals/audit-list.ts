import { AuditEntryResponse } from '../../../shared/schemas/audit.js';
import { PageQuery } from '../../../shared/schemas/common.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { listBody, loadVisibleDeal, pageRequest } from '../support.js';

/** GET /deals/{dealId}/audit → the deal's and its campaigns' audit entries, oldest first. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.audit.list',
      access: 'deal.read',
      params: DealPathParams,
      query: PageQuery,
      handle: async ({ pathParameters, query, actor, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const page = await deps.repo.listAudit(deal.id, pageRequest(query));
        return { body: listBody(page, (entry) => AuditEntryResponse.parse(entry)) };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
