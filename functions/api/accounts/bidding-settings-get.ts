import { assertCanSeeAccountSettings } from '../../../shared/domain/access.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { toBiddingSettingsResponse } from '../../../shared/schemas/bidding-settings.js';
import { AccountPathParams } from '../../../shared/schemas/params.js';
import { productionDeps, type ApiDeps } from '../deps.js';
import { httpHandler } from '../http/handler.js';

/** GET /accounts/{accountId}/bidding-settings → the account's settings with their ETag; 404 when none. */
export function makeHandler(deps: ApiDeps) {
  return httpHandler(
    {
      name: 'accounts.biddingSettings.get',
      access: 'biddingSettings.read',
      params: AccountPathParams,
      handle: async ({ pathParameters, actor, deps }) => {
        assertCanSeeAccountSettings(actor, pathParameters.accountId);
        const settings = await deps.biddingSettings.getBiddingSettings(pathParameters.accountId);
        if (!settings) throw new NotFoundError('bidding settings', pathParameters.accountId);
        return { body: toBiddingSettingsResponse(settings), etag: settings.version };
      },
    },
    deps,
  );
}

export const handler = makeHandler(productionDeps({ idempotent: false }));
