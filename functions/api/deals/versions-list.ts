import { PageQuery } from '../../../shared/schemas/common.js';
import { toDealResponse } from '../../../shared/schemas/deal.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { listBody, loadVisibleDeal, pageRequest } from '../support.js';

/** GET /deals/{dealId}/versions → every stored version, newest first. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.versions.list',
      access: 'deal.read',
      params: DealPathParams,
      query: PageQuery,
      handle: async ({ pathParameters, query, actor, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const page = await deps.repo.listDealVersions(deal.id, pageRequest(query));
        return { body: listBody(page, toDealResponse) };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
