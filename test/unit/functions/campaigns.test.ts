import './support/env.js';
import { describe, expect, it } from 'vitest';
import { makeHandler as makeAmend } from '../../../functions/api/campaigns/amend.js';
import { makeHandler as makeCreate } from '../../../functions/api/campaigns/create.js';
import { makeHandler as makeGet } from '../../../functions/api/campaigns/get.js';
import { makeHandler as makeList } from '../../../functions/api/campaigns/list.js';
import { makeHandler as makeAuditList } from '../../../functions/api/deals/audit-list.js';
import { makeHandler as makeCancelDeal } from '../../../functions/api/deals/cancel.js';
import { makeHandler as makeCreateDeal } from '../../../functions/api/deals/create.js';
import { biddingSettingsAuditEntry, createBiddingSettings } from '../../../shared/domain/account/bidding-settings.js';
import { campaignAuditEntry } from '../../../shared/domain/audit-entry.js';
import { ErrorResponse } from '../../../shared/schemas/errors.js';
import { testDeps } from './support/deps.js';
import { apiEvent, CAMPAIGN_MANAGER, type Caller, DEAL_MANAGER, FINANCE, OTHER_ACCOUNT_MANAGER } from './support/events.js';
import { invoke } from './support/invoke.js';

const deal = {
  accountId: 'acct-demo',
  name: 'Campaign host',
  type: 'programmatic',
  totalValue: { amountMinor: 1_000_000, currency: 'USD' },
  startDate: '2026-01-01',
  endDate: '2026-12-31',
};

const campaign = {
  name: 'Spring video',
  type: 'video',
  budget: { amountMinor: 400_000, currency: 'USD' },
  dailyBudget: { amountMinor: 10_000, currency: 'USD' },
  targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['ctv'] },
  schedule: { startDate: '2026-03-01', endDate: '2026-05-31', pacing: 'even' },
  creativeSpecs: [{ format: 'video', width: 1920, height: 1080, mimeTypes: ['video/mp4'], maxDurationSeconds: 30 }],
  bidStrategy: 'max_cpm',
  maxBid: { amountMinor: 2_500, currency: 'USD' },
};

async function setup() {
  const deps = testDeps();
  const handlers = {
    create: makeCreate(deps),
    get: makeGet(deps),
    list: makeList(deps),
    amend: makeAmend(deps),
    audit: makeAuditList(deps),
    cancelDeal: makeCancelDeal(deps),
  };
  const created = await invoke(makeCreateDeal(deps), apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body: deal }));
  return { deps, ...handlers, dealId: created.body.id as string };
}

const createEvent = (dealId: string, body: unknown, caller: Caller = CAMPAIGN_MANAGER) =>
  apiEvent({ routeKey: 'POST /deals/{dealId}/campaigns', pathParameters: { dealId }, caller, body });

describe('POST /deals/{dealId}/campaigns', () => {
  it('creates a draft campaign: 201, Location under the deal, ETag "1", audited on the deal', async () => {
    // Prepare
    const app = await setup();
    // Act
    const answer = await invoke(app.create, createEvent(app.dealId, campaign));
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.headers.etag).toBe('"1"');
    expect(answer.headers.location).toBe(`/deals/${app.dealId}/campaigns/${answer.body.id}`);
    expect(answer.body).toMatchObject({ dealId: app.dealId, accountId: 'acct-demo', status: 'draft', version: 1 });
    const audit = await invoke(app.audit, apiEvent({ routeKey: 'GET /deals/{dealId}/audit', pathParameters: { dealId: app.dealId }, caller: FINANCE }));
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual(['deal.created', 'campaign.created']);
  });

  it('answers 400 naming the rule a campaign breaks (budget above the deal total)', async () => {
    // Prepare
    const app = await setup();
    const tooBig = { ...campaign, budget: { amountMinor: 2_000_000, currency: 'USD' } };
    // Act
    const answer = await invoke(app.create, createEvent(app.dealId, tooBig));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toContain('budget.amountMinor');
  });

  it("answers 409 budget_exceeded naming the deal's total and what is available when the other campaigns leave too little", async () => {
    // Prepare: 400,000 + 400,000 of 1,000,000 taken
    const app = await setup();
    await invoke(app.create, createEvent(app.dealId, campaign));
    await invoke(app.create, createEvent(app.dealId, campaign));
    // Act
    const answer = await invoke(app.create, createEvent(app.dealId, campaign));
    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({
      code: 'budget_exceeded',
      totalValue: { amountMinor: 1_000_000, currency: 'USD' },
      allocated: { amountMinor: 800_000, currency: 'USD' },
      available: { amountMinor: 200_000, currency: 'USD' },
      required: { amountMinor: 400_000, currency: 'USD' },
    });
    expect(answer.body.error.message).toContain('1000000 USD');
    expect(ErrorResponse.parse(answer.body)).toEqual(answer.body);
    expect((await app.deps.repo.listCampaigns(app.dealId, { limit: 10 })).items).toHaveLength(2);
  });

  it('answers 400 naming an unknown nested field', async () => {
    // Prepare
    const app = await setup();
    const body = { ...campaign, targeting: { ...campaign.targeting, weather: 'sunny' } };
    // Act
    const answer = await invoke(app.create, createEvent(app.dealId, body));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues).toContainEqual(expect.objectContaining({ path: 'targeting.weather' }));
  });

  it('answers 409 naming the status under a cancelled deal', async () => {
    // Prepare
    const app = await setup();
    await invoke(
      app.cancelDeal,
      apiEvent({ routeKey: 'POST /deals/{dealId}/cancel', pathParameters: { dealId: app.dealId }, caller: DEAL_MANAGER, headers: { 'if-match': '"1"' } }),
    );
    // Act
    const answer = await invoke(app.create, createEvent(app.dealId, campaign));
    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error.currentStatus).toBe('cancelled');
  });

  it('answers 403 to finance and 404 under another account', async () => {
    // Prepare
    const app = await setup();
    // Act
    const finance = await invoke(app.create, createEvent(app.dealId, campaign, FINANCE));
    const foreign = await invoke(app.create, createEvent(app.dealId, campaign, OTHER_ACCOUNT_MANAGER));
    // Assess
    expect(finance.status).toBe(403);
    expect(foreign.status).toBe(404);
  });
});

describe('GET and PATCH /deals/{dealId}/campaigns/{campaignId}', () => {
  it('gets, lists and amends a campaign under If-Match', async () => {
    // Prepare
    const app = await setup();
    const created = await invoke(app.create, createEvent(app.dealId, campaign));
    const params = { dealId: app.dealId, campaignId: created.body.id as string };
    // Act
    const got = await invoke(app.get, apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns/{campaignId}', pathParameters: params, caller: FINANCE }));
    const listed = await invoke(app.list, apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns', pathParameters: { dealId: app.dealId }, caller: FINANCE }));
    const amended = await invoke(
      app.amend,
      apiEvent({
        routeKey: 'PATCH /deals/{dealId}/campaigns/{campaignId}',
        pathParameters: params,
        caller: CAMPAIGN_MANAGER,
        body: { name: 'Spring video (final)', status: 'active' },
        headers: { 'if-match': '"1"' },
      }),
    );
    // Assess
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(listed.body.items).toHaveLength(1);
    expect(amended.status).toBe(200);
    expect(amended.headers.etag).toBe('"2"');
    expect(amended.body).toMatchObject({ name: 'Spring video (final)', status: 'active', version: 2 });
  });

  it('answers 428 without If-Match, 412 with a stale one, 404 for an unknown campaign', async () => {
    // Prepare
    const app = await setup();
    const created = await invoke(app.create, createEvent(app.dealId, campaign));
    const params = { dealId: app.dealId, campaignId: created.body.id as string };
    const patch = (headers: Record<string, string>, pathParameters = params) =>
      apiEvent({ routeKey: 'PATCH /deals/{dealId}/campaigns/{campaignId}', pathParameters, caller: CAMPAIGN_MANAGER, body: { name: 'n' }, headers });
    await invoke(app.amend, patch({ 'if-match': '"1"' }));
    // Act
    const missing = await invoke(app.amend, patch({}));
    const stale = await invoke(app.amend, patch({ 'if-match': '"1"' }));
    const unknown = await invoke(app.amend, patch({ 'if-match': '"1"' }, { ...params, campaignId: 'nope' }));
    // Assess
    expect(missing.status).toBe(428);
    expect(stale.status).toBe(412);
    expect(stale.body.error.currentVersion).toBe(2);
    expect(stale.headers.etag).toBe('"2"');
    expect(unknown.status).toBe(404);
  });
});

describe('reading campaigns stored before a bound tightened', () => {
  it('serves a stored campaign whose lists exceed today\'s request bounds (200, unchanged), instead of failing the read', async () => {
    // Prepare: a campaign written when audience segments were unbounded (150, over today's 100).
    const app = await setup();
    const created = await invoke(app.create, createEvent(app.dealId, campaign));
    const stored = (await app.deps.repo.getCampaign(app.dealId, created.body.id as string))!;
    const segments = Array.from({ length: 150 }, (_, i) => `segment-${i}`);
    const older = { ...stored, targeting: { ...stored.targeting, audienceSegments: segments }, version: 2 };
    const change = { actor: { userId: 'migration', groups: ['admin' as const], accountIds: [] }, correlationId: 'c', sourceIp: '127.0.0.1', userAgent: 'test', at: new Date().toISOString() };
    await app.deps.repo.saveCampaign(older, 1, campaignAuditEntry(older, 'campaign.amended', change));
    // Act
    const got = await invoke(app.get, apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns/{campaignId}', pathParameters: { dealId: app.dealId, campaignId: stored.id }, caller: FINANCE }));
    const listed = await invoke(app.list, apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns', pathParameters: { dealId: app.dealId }, caller: FINANCE }));
    // Assess
    expect(got.status).toBe(200);
    expect(got.body.targeting.audienceSegments).toHaveLength(150);
    expect(got.body).not.toHaveProperty('pk');
    expect(listed.status).toBe(200);
  });
});

describe('bidder fields through the API (creatives, pmpDealIds, seat)', () => {
  const creative = {
    id: 'cr-1',
    format: 'banner',
    w: 300,
    h: 250,
    adm: '<a href="https://brand.example/?p=${AUCTION_PRICE}"><img src="https://cdn.brand.example/a.png"></a>',
    adomain: ['brand.example'],
    cat: ['IAB3-1'],
  };
  const display = {
    ...campaign,
    type: 'display',
    targeting: { ...campaign.targeting, devices: ['desktop'] },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
  };
  const patchEvent = (params: { dealId: string; campaignId: string }, body: unknown, version: number) =>
    apiEvent({
      routeKey: 'PATCH /deals/{dealId}/campaigns/{campaignId}',
      pathParameters: params,
      caller: CAMPAIGN_MANAGER,
      body,
      headers: { 'if-match': `"${version}"` },
    });

  /** The account holds the seats and PMP deal these tests name (set as the platform operator would). */
  async function allowBidderChoices(app: Awaited<ReturnType<typeof setup>>) {
    const ctx = { actor: { userId: 'operator', groups: ['admin' as const], accountIds: [] }, correlationId: 'c', sourceIp: '127.0.0.1', userAgent: 'test', at: '2026-01-01T00:00:00.000Z' };
    const settings = createBiddingSettings('acct-demo', { allowedSeats: ['seat-9', 'seat-2'], allowedPmpDealIds: ['pmp-1'] }, ctx);
    await app.deps.biddingSettings.createBiddingSettings(settings, biddingSettingsAuditEntry(settings, 'biddingSettings.created', ctx));
  }

  it('creates a campaign with creatives, PMP deal ids and seat: stored and returned', async () => {
    // Prepare
    const app = await setup();
    await allowBidderChoices(app);
    const body = { ...display, creatives: [creative], pmpDealIds: ['pmp-1'], seat: 'seat-9' };
    // Act
    const created = await invoke(app.create, createEvent(app.dealId, body));
    const got = await invoke(
      app.get,
      apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns/{campaignId}', pathParameters: { dealId: app.dealId, campaignId: created.body.id }, caller: FINANCE }),
    );
    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ creatives: [creative], pmpDealIds: ['pmp-1'], seat: 'seat-9' });
    expect(got.body).toMatchObject({ creatives: [creative], pmpDealIds: ['pmp-1'], seat: 'seat-9' });
  });

  it('amends creatives: new version and an audit change with old and new values', async () => {
    // Prepare
    const app = await setup();
    await allowBidderChoices(app);
    const created = await invoke(app.create, createEvent(app.dealId, { ...display, creatives: [creative] }));
    const params = { dealId: app.dealId, campaignId: created.body.id as string };
    const replacement = [{ ...creative, adm: '<img src="https://cdn.brand.example/b.png">' }, { ...creative, id: 'cr-2' }];
    // Act
    const amended = await invoke(app.amend, patchEvent(params, { creatives: replacement, seat: 'seat-2' }, 1));
    const audit = await invoke(app.audit, apiEvent({ routeKey: 'GET /deals/{dealId}/audit', pathParameters: { dealId: app.dealId }, caller: FINANCE }));
    // Assess
    expect(amended.status).toBe(200);
    expect(amended.headers.etag).toBe('"2"');
    expect(amended.body).toMatchObject({ version: 2, creatives: replacement, seat: 'seat-2' });
    const entry = audit.body.items.find((a: { action: string }) => a.action === 'campaign.amended');
    expect(entry.changes).toEqual([
      { field: 'creatives', old: [creative], new: replacement },
      { field: 'seat', old: null, new: 'seat-2' },
    ]);
  });

  it.each([
    ['zero width', { ...creative, w: 0 }, 'creatives.0.w'],
    ['an advertiser domain that is a URL', { ...creative, adomain: ['https://brand.example/'] }, 'creatives.0.adomain.0'],
    ['a category that is no IAB code', { ...creative, cat: ['sports'] }, 'creatives.0.cat.0'],
    ['an unknown field inside a creative', { ...creative, clickUrl: 'https://brand.example' }, 'creatives.0.clickUrl'],
    ['a banner size no creativeSpec declares', { ...creative, w: 728, h: 90 }, 'creatives.0.w'],
  ])('answers 400 naming the path for %s', async (_, bad, path) => {
    // Prepare
    const app = await setup();
    // Act
    const answer = await invoke(app.create, createEvent(app.dealId, { ...display, creatives: [bad] }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toEqual([path]);
  });

  it('answers 400 naming a duplicate creative id on PATCH and keeps the campaign unchanged', async () => {
    // Prepare
    const app = await setup();
    const created = await invoke(app.create, createEvent(app.dealId, display));
    const params = { dealId: app.dealId, campaignId: created.body.id as string };
    // Act
    const answer = await invoke(app.amend, patchEvent(params, { creatives: [creative, { ...creative }] }, 1));
    const got = await invoke(app.get, apiEvent({ routeKey: 'GET /deals/{dealId}/campaigns/{campaignId}', pathParameters: params, caller: FINANCE }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['creatives.1.id']);
    expect(got.body.version).toBe(1);
    expect(got.body).not.toHaveProperty('creatives');
  });
});
