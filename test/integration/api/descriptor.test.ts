import { describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../../infra/api/routes.js';
import { TOKEN_NAMES } from '../../../local/tokens.js';
import { useLocalStack } from '../../support/local-stack.js';
import { jwtPayload } from './fixtures.js';

const stack = useLocalStack();

describe('local stack descriptor', () => {
  it('has a loopback API URL and a token for every group plus other_account', () => {
    // Prepare
    const d = stack.d;
    // Act
    const names = Object.keys(d.tokens).sort();
    // Assess
    expect(d.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(names).toEqual([...TOKEN_NAMES].sort());
    expect(names).toEqual(['admin', 'campaign_manager', 'deal_manager', 'finance', 'legal', 'other_account', 'sales_manager']);
    for (const name of TOKEN_NAMES) expect(d.tokens[name]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('mints Cognito-like ID tokens for the demo account, valid for hours', () => {
    const d = stack.d;
    for (const name of ['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin'] as const) {
      const p = jwtPayload(d.tokens[name]);
      expect(p.iss).toBe(d.issuer);
      expect(p.aud).toBe(d.audience);
      expect(p.token_use).toBe('id');
      expect(p['custom:account_ids']).toBe(d.accountId);
      expect(p['cognito:groups']).toEqual([name]);
      expect(typeof p.sub).toBe('string');
      expect((p.exp as number) - Date.now() / 1000).toBeGreaterThan(3600);
    }
  });

  it('makes other_account a deal manager of a second account', () => {
    const d = stack.d;
    const p = jwtPayload(d.tokens.other_account);
    expect(d.otherAccountId).not.toBe(d.accountId);
    expect(p['custom:account_ids']).toBe(d.otherAccountId);
    expect(p['cognito:groups']).toEqual(['deal_manager']);
    expect(p.sub).not.toBe(jwtPayload(d.tokens.deal_manager).sub);
  });

  it('lists the tables and routes it serves from the synthesized template', () => {
    const d = stack.d;
    expect(Object.keys(d.tables).length).toBeGreaterThanOrEqual(4);
    expect(d.routes).toEqual(expect.arrayContaining(['GET /health', 'POST /deals', 'PATCH /deals/{dealId}', 'ANY /{proxy+}']));
    expect(d.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves exactly the routes of the synthesized template (the route table, nothing hand-written)', () => {
    expect([...stack.d.routes].sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('describes the bidding part: bidder URL, auction endpoint, exchange headers, Redis, stream, DSPs', () => {
    const d = stack.d;
    expect(d.bidderUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.bidderEndpoint).toBe(`${d.bidderUrl}/openrtb2/auction`);
    expect(d.exchangeKeyHeader).toBe('x-exchange-key');
    expect(d.bidderHeaders).toEqual({ 'content-type': 'application/json', 'x-openrtb-version': '2.6', 'x-exchange-key': d.exchangeKey });
    expect(d.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(d.kinesisEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The stream the BiddingStack template declares (locally named <stack>-<logicalId>).
    expect(d.bidEventsStream).toMatch(/^DealDesk-Bidding-BidEvents[0-9A-F]{8}$/);
    expect(d.spendTable).toBe(Object.entries(d.tables).find(([id]) => id.startsWith('Spend'))?.[1]);
    expect(d.dsps!.map((x) => x.id)).toEqual(['sim-dsp-a', 'sim-dsp-b', 'sim-dsp-c', 'sim-dsp-d', 'sim-dsp-e']);
    for (const dsp of d.dsps!) expect(dsp.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  });

  it('serves the issuer JWKS', async () => {
    const res = await fetch(stack.d.jwksUrl);
    const jwks = (await res.json()) as { keys: { kid: string; kty: string }[] };
    expect(res.status).toBe(200);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA' });
  });
});
