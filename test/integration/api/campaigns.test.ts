import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.js';
import { campaignBody, dealBody } from './fixtures.js';

const stack = useLocalStack();

describe('campaigns', () => {
  let dealId: string;
  let campaignId: string;
  beforeAll(async () => {
    const d = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body: dealBody(stack.d.accountId) });
    expect(d.status).toBe(201);
    dealId = d.body.id;
  });

  it('creates a campaign under a deal: 201, ETag "1", draft', async () => {
    // Prepare
    const body = campaignBody({ name: 'Spring display' });
    // Act
    const r = await stack.api('POST', `/deals/${dealId}/campaigns`, { token: stack.d.tokens.campaign_manager, body });
    // Assess
    expect(r.status).toBe(201);
    expect(r.headers.get('etag')).toBe('"1"');
    expect(r.headers.get('location')).toBe(`/deals/${dealId}/campaigns/${r.body.id}`);
    expect(r.body).toMatchObject({
      dealId,
      accountId: stack.d.accountId,
      name: 'Spring display',
      status: 'draft',
      version: 1,
      budget: body.budget,
      targeting: body.targeting,
      schedule: body.schedule,
    });
    campaignId = r.body.id;
  });

  it('gets and lists campaigns', async () => {
    const g = await stack.api('GET', `/deals/${dealId}/campaigns/${campaignId}`, { token: stack.d.tokens.sales_manager });
    expect(g.status).toBe(200);
    expect(g.headers.get('etag')).toBe('"1"');
    expect(g.body.id).toBe(campaignId);
    const l = await stack.api('GET', `/deals/${dealId}/campaigns`, { token: stack.d.tokens.sales_manager });
    expect(l.status).toBe(200);
    expect(l.body.items.map((c: { id: string }) => c.id)).toEqual([campaignId]);
  });

  it('amends a campaign with If-Match; 428 without; 412 when stale', async () => {
    const ok = await stack.api('PATCH', `/deals/${dealId}/campaigns/${campaignId}`, {
      token: stack.d.tokens.campaign_manager,
      ifMatch: 1,
      body: { name: 'Spring display v2', maxBid: { amountMinor: 1_500, currency: 'USD' } },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"2"');
    expect(ok.body).toMatchObject({ name: 'Spring display v2', version: 2, maxBid: { amountMinor: 1_500 } });
    const none = await stack.api('PATCH', `/deals/${dealId}/campaigns/${campaignId}`, { token: stack.d.tokens.campaign_manager, body: { name: 'x' } });
    expect(none.status).toBe(428);
    const stale = await stack.api('PATCH', `/deals/${dealId}/campaigns/${campaignId}`, { token: stack.d.tokens.campaign_manager, ifMatch: 1, body: { name: 'x' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.currentVersion).toBe(2);
  });

  it('audits campaign changes in the deal\'s trail', async () => {
    const a = await stack.api('GET', `/deals/${dealId}/audit`, { token: stack.d.tokens.deal_manager });
    const campaignEntries = a.body.items.filter((e: { entityType: string }) => e.entityType === 'campaign');
    expect(campaignEntries.map((e: { action: string; version: number }) => [e.action, e.version])).toEqual([
      ['campaign.created', 1],
      ['campaign.amended', 2],
    ]);
    expect(campaignEntries[1].changes).toEqual(expect.arrayContaining([{ field: 'name', old: 'Spring display', new: 'Spring display v2' }]));
  });

  it('enforces campaign rules with 400 naming the field', async () => {
    const wrongCurrency = await stack.api('POST', `/deals/${dealId}/campaigns`, {
      token: stack.d.tokens.campaign_manager,
      body: campaignBody({ budget: { amountMinor: 1_000, currency: 'EUR' }, dailyBudget: { amountMinor: 10, currency: 'EUR' }, maxBid: { amountMinor: 10, currency: 'EUR' } }),
    });
    expect(wrongCurrency.status).toBe(400);
    const daily = await stack.api('POST', `/deals/${dealId}/campaigns`, {
      token: stack.d.tokens.campaign_manager,
      body: campaignBody({ budget: { amountMinor: 100, currency: 'USD' }, dailyBudget: { amountMinor: 200, currency: 'USD' } }),
    });
    expect(daily.status).toBe(400);
    expect(JSON.stringify(daily.body.error.issues)).toContain('dailyBudget');
  });

  it('forbids finance from creating campaigns (403) and hides them from another account (404)', async () => {
    const f = await stack.api('POST', `/deals/${dealId}/campaigns`, { token: stack.d.tokens.finance, body: campaignBody() });
    expect(f.status).toBe(403);
    const o = await stack.api('GET', `/deals/${dealId}/campaigns/${campaignId}`, { token: stack.d.tokens.other_account });
    expect(o.status).toBe(404);
  });
});
