import { toCampaignResponse } from '../../../shared/schemas/campaign.js';
import { PageQuery } from '../../../shared/schemas/common.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { listBody, loadVisibleDeal, pageRequest } from '../support.js';

/** GET /deals/{dealId}/campaigns → a page of the deal's campaigns. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'campaigns.list',
      access: 'campaign.read',
      params: DealPathParams,
      query: PageQuery,
      handle: async ({ pathParameters, query, actor, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const page = await deps.repo.listCampaigns(deal.id, pageRequest(query));
        return { body: listBody(page, toCampaignResponse) };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
