import {
  biddingSettingsAuditEntry,
  createBiddingSettings,
  replaceBiddingSettings,
} from '../../../shared/domain/account/bidding-settings.js';
import { VersionConflictError } from '../../../shared/domain/errors.js';
import { ReplaceBiddingSettingsRequest, toBiddingSettingsResponse } from '../../../shared/schemas/bidding-settings.js';
import { parseIfMatch } from '../../../shared/schemas/headers.js';
import { AccountPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';
import { assertVersion } from '../support.js';

/**
 * PUT /accounts/{accountId}/bidding-settings (admin only). Without If-Match it creates the settings of an
 * account that has none (201, ETag "1"); replacing existing settings needs If-Match (428 without, 412
 * when stale). Lists equal to the current ones change nothing and answer the current version.
 */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'accounts.biddingSettings.put',
      access: 'biddingSettings.replace',
      params: AccountPathParams,
      body: ReplaceBiddingSettingsRequest,
      handle: async ({ pathParameters, body, headers, context, deps }) => {
        const { accountId } = pathParameters;
        const current = await deps.biddingSettings.getBiddingSettings(accountId);
        if (!current) {
          if (headers['if-match'] !== undefined) throw new VersionConflictError(parseIfMatch(headers['if-match']), 0);
          const created = createBiddingSettings(accountId, body, context.change);
          await deps.biddingSettings.createBiddingSettings(created, biddingSettingsAuditEntry(created, 'biddingSettings.created', context.change));
          return { statusCode: 201, body: toBiddingSettingsResponse(created), etag: created.version };
        }
        const expectedVersion = parseIfMatch(headers['if-match']);
        assertVersion(current, expectedVersion);
        const replaced = replaceBiddingSettings(current, body, context.change);
        if (!replaced) return { body: toBiddingSettingsResponse(current), etag: current.version };
        const audit = biddingSettingsAuditEntry(replaced.next, 'biddingSettings.replaced', context.change, replaced.changes);
        await deps.biddingSettings.saveBiddingSettings(replaced.next, expectedVersion, audit);
        return { body: toBiddingSettingsResponse(replaced.next), etag: replaced.next.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
