import { toDealResponse } from '../../../shared/schemas/deal.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { loadVisibleDeal } from '../support.js';

/** GET /deals/{dealId} → the current version, with its ETag. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.get',
      access: 'deal.read',
      params: DealPathParams,
      handle: async ({ pathParameters, actor, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        return { body: toDealResponse(deal), etag: deal.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
