import { canSeeAccount } from '../../../shared/domain/access.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { toEngagementResponse } from '../../../shared/schemas/engagement.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import { httpHandler } from '../http/handler.js';
import { productionEngagementApiDeps, type EngagementApiDeps } from './deps.js';

/** GET /deals/{dealId}/engagement → the deal's stored score; 404 when it has none yet or the caller may not see it. */
export function makeHandler(deps: EngagementApiDeps) {
  return httpHandler(
    {
      name: 'engagement.get',
      access: 'deal.read',
      params: DealPathParams,
      handle: async ({ pathParameters, actor, deps }) => {
        const score = await deps.engagement.get(pathParameters.dealId);
        // Another account's score answers exactly like a missing one, so ids reveal nothing.
        if (!score || !canSeeAccount(actor, score.accountId)) throw new NotFoundError('engagement score', pathParameters.dealId);
        return { body: toEngagementResponse(score) };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionEngagementApiDeps());
