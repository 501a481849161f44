import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.js';
import { dealBody } from './fixtures.js';

const stack = useLocalStack();

describe('authentication (JWT authorizer)', () => {
  it('serves /health without a token', async () => {
    // Act
    const r = await stack.api('GET', '/health');
    // Assess
    expect(r.status).toBe(200);
    expect(r.headers.get('apigw-requestid')).toBeTruthy();
  });

  it.each([
    ['no Authorization header', () => undefined],
    ['a token that is not a JWT', () => 'not-a-jwt'],
    ['a bad signature', () => stack.d.invalidTokens.badSignature],
    ['an expired token', () => stack.d.invalidTokens.expired],
    ['a token for another audience', () => stack.d.invalidTokens.wrongAudience],
    ['a token from another issuer', () => stack.d.invalidTokens.wrongIssuer],
  ])('answers 401 {"message":"Unauthorized"} with %s', async (_name, token) => {
    // Prepare
    const t = token();
    // Act
    const r = await stack.api('GET', `/deals?accountId=${stack.d.accountId}`, t ? { token: t } : {});
    // Assess
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ message: 'Unauthorized' });
  });

  it('refuses a token on a write route before the handler runs (no deal created)', async () => {
    const body = dealBody(stack.d.accountId, { name: `unauthorised ${Date.now()}` });
    const r = await stack.api('POST', '/deals', { token: stack.d.invalidTokens.expired, body });
    expect(r.status).toBe(401);
    const list = await stack.api('GET', `/deals?accountId=${stack.d.accountId}&limit=100`, { token: stack.d.tokens.admin });
    expect(list.body.items.map((d: { name: string }) => d.name)).not.toContain(body.name);
  });
});

describe('authorization', () => {
  let dealId: string;
  beforeAll(async () => {
    const r = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body: dealBody(stack.d.accountId) });
    expect(r.status).toBe(201);
    dealId = r.body.id;
  });

  it('forbids a finance user from creating a deal (403)', async () => {
    const r = await stack.api('POST', '/deals', { token: stack.d.tokens.finance, body: dealBody(stack.d.accountId) });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
  });

  it('forbids a campaign manager from amending a deal (403)', async () => {
    const r = await stack.api('PATCH', `/deals/${dealId}`, { token: stack.d.tokens.campaign_manager, ifMatch: 1, body: { name: 'x' } });
    expect(r.status).toBe(403);
  });

  it('lets every group read a deal of its account', async () => {
    for (const g of ['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin'] as const) {
      const r = await stack.api('GET', `/deals/${dealId}`, { token: stack.d.tokens[g] });
      expect(r.status, g).toBe(200);
    }
  });

  it('hides the demo account from another account (404 on get, amend, versions, audit, campaigns)', async () => {
    const t = stack.d.tokens.other_account;
    for (const [method, path, extra] of [
      ['GET', `/deals/${dealId}`, {}],
      ['PATCH', `/deals/${dealId}`, { ifMatch: 1, body: { name: 'stolen' } }],
      ['GET', `/deals/${dealId}/versions`, {}],
      ['GET', `/deals/${dealId}/audit`, {}],
      ['GET', `/deals/${dealId}/campaigns`, {}],
    ] as const) {
      const r = await stack.api(method, path, { token: t, ...extra });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    const still = await stack.api('GET', `/deals/${dealId}`, { token: stack.d.tokens.deal_manager });
    expect(still.body.version).toBe(1);
  });

  it('does not let another account list or create in the demo account', async () => {
    const list = await stack.api('GET', `/deals?accountId=${stack.d.accountId}`, { token: stack.d.tokens.other_account });
    expect([403, 404]).toContain(list.status);
    const create = await stack.api('POST', '/deals', { token: stack.d.tokens.other_account, body: dealBody(stack.d.accountId) });
    expect([403, 404]).toContain(create.status);
  });
});
