import { resolveListAccount } from '../../../shared/domain/access.js';
import { ListDealsQuery, toDealResponse } from '../../../shared/schemas/deal.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { listBody, pageRequest } from '../support.js';

/** GET /deals?accountId&status&type&limit&cursor → a page of the account's deals, newest first. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'deals.list',
      access: 'deal.read',
      query: ListDealsQuery,
      handle: async ({ query, actor, deps }) => {
        const accountId = resolveListAccount(actor, query.accountId);
        const page = await deps.repo.listDeals({
          accountId,
          ...(query.status ? { status: query.status } : {}),
          ...(query.type ? { type: query.type } : {}),
          ...pageRequest(query),
        });
        return { body: listBody(page, toDealResponse) };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
