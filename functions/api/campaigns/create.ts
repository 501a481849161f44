import { campaignAuditEntry } from '../../../shared/domain/audit-entry.js';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import { CreateCampaignRequest, toCampaignResponse } from '../../../shared/schemas/campaign.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { allCampaigns, loadVisibleDeal } from '../support.js';

/** POST /deals/{dealId}/campaigns → 201, Location, ETag "1"; checked against the deal and its campaigns. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'campaigns.create',
      access: 'campaign.create',
      params: DealPathParams,
      body: CreateCampaignRequest,
      idempotent: true,
      handle: async ({ pathParameters, body, actor, context, deps }) => {
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const existing = await allCampaigns(deps.repo, deal.id);
        const campaign = createCampaign(deal, existing, body, context.change, { campaignId: deps.newId() });
        await deps.repo.createCampaign(campaign, campaignAuditEntry(campaign, 'campaign.created', context.change));
        return {
          statusCode: 201,
          body: toCampaignResponse(campaign),
          etag: campaign.version,
          location: `/deals/${encodeURIComponent(deal.id)}/campaigns/${encodeURIComponent(campaign.id)}`,
        };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: true }));
