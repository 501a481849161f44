import { campaignAuditEntry } from '../../../shared/domain/audit-entry.js';
import { amendCampaign } from '../../../shared/domain/campaign/amend.js';
import { AmendCampaignRequest, toCampaignResponse } from '../../../shared/schemas/campaign.js';
import { parseIfMatch } from '../../../shared/schemas/headers.js';
import { CampaignPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { allCampaigns, assertVersion, loadCampaign, loadVisibleDeal } from '../support.js';
import { assertAllowedByAccount } from './bidding-choices.js';

/** PATCH /deals/{dealId}/campaigns/{campaignId} with If-Match (the campaign's version) → the new version. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'campaigns.amend',
      access: 'campaign.amend',
      params: CampaignPathParams,
      body: AmendCampaignRequest,
      handle: async ({ pathParameters, body, headers, actor, context, deps }) => {
        const expectedVersion = parseIfMatch(headers['if-match']);
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        const campaign = await loadCampaign(deps.repo, deal.id, pathParameters.campaignId);
        assertVersion(campaign, expectedVersion);
        const siblings = await allCampaigns(deps.repo, deal.id);
        const { next, changes } = amendCampaign(deal, siblings, campaign, body, context.change);
        await assertAllowedByAccount(deps.biddingSettings, next, campaign);
        const audit = campaignAuditEntry(next, 'campaign.amended', context.change, changes);
        await deps.repo.saveCampaign(next, expectedVersion, audit);
        return { body: toCampaignResponse(next), etag: next.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
