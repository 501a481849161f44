import { describe, expect, it } from 'vitest';
import { OTHER_ACCOUNT_ID } from '../../../local/tokens.js';
import { useLocalStack } from '../../support/local-stack.js';
import { campaignBody, dealBody, freshAccount } from './fixtures.js';

const stack = useLocalStack();
const settingsPath = (accountId: string) => `/accounts/${accountId}/bidding-settings`;
const creative = { id: 'cr-1', format: 'banner', w: 300, h: 250, adm: '<img src="https://cdn.example/a.png">', adomain: ['brand.example'], cat: ['IAB1'] };

/** A draft deal in `accountId`, created by an admin (admins may write to any account). */
async function draftDeal(accountId: string): Promise<string> {
  const r = await stack.api('POST', '/deals', { token: stack.d.tokens.admin, body: dealBody(accountId) });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

describe('account bidding settings over HTTP', () => {
  it('are created and replaced by an admin only, and read by the account and admins', async () => {
    // Prepare: the other account's own deal manager, and a token of another account
    const otherAccount = OTHER_ACCOUNT_ID;
    const admin = stack.d.tokens.admin;
    const current = await stack.api('GET', settingsPath(otherAccount), { token: admin });
    // Act
    const selfGrant = await stack.api('PUT', settingsPath(otherAccount), { token: stack.d.tokens.other_account, body: { allowedSeats: ['seat-x'], allowedPmpDealIds: [] } });
    const put = await stack.api('PUT', settingsPath(otherAccount), {
      token: admin,
      body: { allowedSeats: ['seat-other'], allowedPmpDealIds: ['pmp-other'] },
      ...(current.status === 200 ? { ifMatch: current.body.version } : {}),
    });
    const noIfMatch = await stack.api('PUT', settingsPath(otherAccount), { token: admin, body: { allowedSeats: [], allowedPmpDealIds: [] } });
    const member = await stack.api('GET', settingsPath(otherAccount), { token: stack.d.tokens.other_account });
    const outsider = await stack.api('GET', settingsPath(otherAccount), { token: stack.d.tokens.deal_manager });
    // Assess
    expect(selfGrant.status).toBe(403);
    expect(put.status).toBe(current.status === 200 ? 200 : 201);
    expect(put.headers.get('etag')).toBe(`"${put.body.version}"`);
    expect(noIfMatch.status).toBe(428);
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({ accountId: otherAccount, allowedSeats: ['seat-other'], allowedPmpDealIds: ['pmp-other'] });
    expect(outsider.status).toBe(404);
  });

  it("refuses a campaign naming a seat or PMP deal id the account does not hold, and accepts the account's own", async () => {
    // Prepare
    const account = freshAccount();
    const admin = stack.d.tokens.admin;
    const created = await stack.api('PUT', settingsPath(account), { token: admin, body: { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-a'] } });
    const dealId = await draftDeal(account);
    // Act
    const foreign = await stack.api('POST', `/deals/${dealId}/campaigns`, { token: admin, body: campaignBody({ seat: 'seat-b', pmpDealIds: ['pmp-a', 'pmp-b'] }) });
    const own = await stack.api('POST', `/deals/${dealId}/campaigns`, { token: admin, body: campaignBody({ seat: 'seat-a', pmpDealIds: ['pmp-a'] }) });
    const amended = await stack.api('PATCH', `/deals/${dealId}/campaigns/${own.body.id}`, { token: admin, ifMatch: 1, body: { pmpDealIds: ['pmp-b'] } });
    // Assess
    expect(created.status).toBe(201);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.issues).toEqual([
      { path: 'seat', message: `seat-b is not one of account ${account}'s allowed buyer seats` },
      { path: 'pmpDealIds.1', message: `pmp-b is not one of account ${account}'s allowed PMP deal ids` },
    ]);
    expect(own.status).toBe(201);
    expect(amended.status).toBe(400);
    expect(amended.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['pmpDealIds.0']);
  });

  it('locks creatives, PMP deal ids and seat once the deal is submitted (409 field_locked); the budget still changes', async () => {
    // Prepare
    const account = freshAccount();
    const admin = stack.d.tokens.admin;
    await stack.api('PUT', settingsPath(account), { token: admin, body: { allowedSeats: ['seat-a'], allowedPmpDealIds: [] } });
    const dealId = await draftDeal(account);
    const campaign = await stack.api('POST', `/deals/${dealId}/campaigns`, { token: admin, body: campaignBody({ creatives: [creative], seat: 'seat-a' }) });
    const submitted = await stack.api('POST', `/deals/${dealId}/submit`, { token: admin, ifMatch: 1 });
    const path = `/deals/${dealId}/campaigns/${campaign.body.id}`;
    // Act
    const locked = await stack.api('PATCH', path, { token: admin, ifMatch: 1, body: { creatives: [{ ...creative, adomain: ['other.example'] }] } });
    const budget = await stack.api('PATCH', path, { token: admin, ifMatch: 1, body: { budget: { amountMinor: 900_000, currency: 'USD' } } });
    // Assess
    expect(submitted.status).toBe(200);
    expect(locked.status).toBe(409);
    expect(locked.body.error).toMatchObject({ code: 'field_locked', fields: ['creatives'], currentStatus: 'pending_approval' });
    expect(budget.status).toBe(200);
  });
});
