import { toCampaignResponse } from '../../../shared/schemas/campaign.js';
import { CampaignPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { loadCampaign, loadVisibleDeal } from '../support.js';

/** GET /deals/{dealId}/campaigns/{campaignId} → the campaign, with its ETag. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'campaigns.get',
      access: 'campaign.read',
      params: CampaignPathParams,
      handle: async ({ pathParameters, actor, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const campaign = await loadCampaign(deps.repo, deal.id, pathParameters.campaignId);
        return { body: toCampaignResponse(campaign), etag: campaign.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
