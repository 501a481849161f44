import { NotFoundError } from '../../../shared/domain/errors.js';
import { toDealResponse } from '../../../shared/schemas/deal.js';
import { DealVersionPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { loadVisibleDeal } from '../support.js';

/** GET /deals/{dealId}/versions/{version} → that snapshot, ETag its version. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.versions.get',
      access: 'deal.read',
      params: DealVersionPathParams,
      handle: async ({ pathParameters, actor, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const snapshot = await deps.repo.getDealVersion(deal.id, pathParameters.version);
        if (!snapshot) throw new NotFoundError('version', `${deal.id}@${pathParameters.version}`);
        return { body: toDealResponse(snapshot), etag: snapshot.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
