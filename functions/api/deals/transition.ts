import { dealAuditEntry } from '../../../shared/domain/audit-entry.js';
import { transitionDeal, type DealAction } from '../../../shared/domain/deal/transitions.js';
import type { AccessAction } from '../../../shared/domain/access.js';
import { toDealResponse } from '../../../shared/schemas/deal.js';
import { parseIfMatch } from '../../../shared/schemas/headers.js';
import { DealPathParams } from '../../../shared/schemas/params.js';
import type { ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { assertVersion, loadVisibleDeal } from '../support.js';

/**
 * POST /deals/{dealId}/{cancel|submit}: a status change under optimistic locking (If-Match required),
 * idempotent with Idempotency-Key. 409 naming the current status when the status machine refuses it.
 */
export function makeTransitionHandler(action: Extract<DealAction, 'cancel' | 'submit'>, deps: ApiDeps) {
  return httpHandler(
    {
      name: `deals.${action}`,
      access: `deal.${action}` satisfies AccessAction,
      params: DealPathParams,
      idempotent: true,
      handle: async ({ pathParameters, headers, actor, context, deps }) => {
        const expectedVersion = parseIfMatch(headers['if-match']);
        const deal = await loadVisibleDeal(deps.repo, actor, pathParameters.dealId);
        assertVersion(deal, expectedVersion);
        const { next, changes, auditAction } = transitionDeal(deal, action, context.change);
        await deps.repo.saveDeal(next, expectedVersion, dealAuditEntry(next, auditAction, context.change, changes));
        return { body: toDealResponse(next), etag: next.version };
      },
    },
    deps,
  );
}
