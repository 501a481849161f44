import { dealAuditEntry } from '../../../shared/domain/audit-entry.js';
import { amendDeal } from '../../../shared/domain/deal/amend.js';
import { AmendDealRequest, toDealResponse } from '../../../shared/schemas/deal.js';
import { parseIfMatch } from '../../../shared/schemas/headers.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { allCampaigns, assertVersion, loadVisibleDeal } from '../support.js';

/** PATCH /deals/{dealId} with If-Match → the new version (428 without If-Match, 412 when stale). */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.amend',
      access: 'deal.amend',
      params: DealPathParams,
      body: AmendDealRequest,
      handle: async ({ pathParameters, body, headers, actor, context, deps }) => {
        const expectedVersion = parseIfMatch(headers['if-match']);
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        assertVersion(deal, expectedVersion);
        const campaigns = await allCampaigns(deps.repo, deal.id);
        const { next, changes } = amendDeal(deal, body, context.change, { campaigns });
        await deps.repo.saveDeal(next, expectedVersion, dealAuditEntry(next, 'deal.amended', context.change, changes));
        return { body: toDealResponse(next), etag: next.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
