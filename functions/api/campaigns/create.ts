import { campaignAuditEntry } from '../../../shared/domain/audit-entry.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import { CreateCampaignRequest, toCampaignResponse } from '../../../shared/schemas/campaign.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { createOnce, created } from '../create-once.js';
import { assertAllowedByAccount } from './bidding-choices.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler, type HttpResult } from '../http/handler.js';
import { creationRequest } from '../http/idempotency.js';
import { allCampaigns, loadVisibleDeal } from '../support.js';

const ROUTE = 'campaigns.create';

/**
 * POST /deals/{dealId}/campaigns → 201, Location, ETag "1"; checked against the deal and its campaigns
 * (the budget sum again inside the repository's transaction). One campaign per Idempotency-Key.
 */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: ROUTE,
      access: 'campaign.create',
      params: DealPathParams,
      body: CreateCampaignRequest,
      idempotent: true,
      handle: async (input) => {
        const { pathParameters, body, actor, context, deps } = input;
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const creation = creationRequest(ROUTE, input);
        return createOnce(deps.repo, creation, {
          replay: async (record) =>
            campaignCreated(created(await deps.repo.getCampaignVersion(record.dealId, record.entityId, 1), record)),
          create: async () => {
            const existing = await allCampaigns(deps.repo, deal.id);
            const campaign = createCampaign(deal, existing, body, context.change, { campaignId: deps.newId() });
            await assertAllowedByAccount(deps.biddingSettings, campaign);
            await deps.repo.createCampaign(campaign, campaignAuditEntry(campaign, 'campaign.created', context.change), creation);
            return campaignCreated(campaign);
          },
        });
      },
    },
    deps,
  );
}

function campaignCreated(campaign: Campaign): HttpResult {
  return {
    statusCode: 201,
    body: toCampaignResponse(campaign),
    etag: campaign.version,
    location: `/deals/${encodeURIComponent(campaign.dealId)}/campaigns/${encodeURIComponent(campaign.id)}`,
  };
}

export const handler = makeHandler(productionDeps({ idempotent: true }));
