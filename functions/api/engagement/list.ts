import { resolveListAccount } from '../../../shared/domain/access.js';
import { ListEngagementQuery, toEngagementResponse } from '../../../shared/schemas/engagement.js';
import { httpHandler } from '../http/handler.js';
import { listBody, pageRequest } from '../support.js';
import { productionEngagementApiDeps, type EngagementApiDeps } from './deps.js';

/** GET /engagement?accountId&tier&limit&cursor → a page of the account's deal scores, highest first. */
export function makeHandler(deps: EngagementApiDeps) {
  return httpHandler(
    {
      name: 'engagement.list',
      access: 'deal.read',
      query: ListEngagementQuery,
      handle: async ({ query, actor, deps }) => {
        const accountId = resolveListAccount(actor, query.accountId);
        const page = await deps.engagement.listByAccount({
          accountId,
          ...(query.tier ? { tier: query.tier } : {}),
          ...pageRequest(query),
        });
        return { body: listBody(page, toEngagementResponse) };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionEngagementApiDeps());
