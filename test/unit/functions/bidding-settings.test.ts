import './support/env.js';
import { describe, expect, it } from 'vitest';
import { makeHandler as makeGetSettings } from '../../../functions/api/accounts/bidding-settings-get.js';
import { makeHandler as makePutSettings } from '../../../functions/api/accounts/bidding-settings-put.js';
import { makeHandler as makeAmendCampaign } from '../../../functions/api/campaigns/amend.js';
import { makeHandler as makeCreateCampaign } from '../../../functions/api/campaigns/create.js';
import { makeHandler as makeCreateDeal } from '../../../functions/api/deals/create.js';
import { makeHandler as makeSubmit } from '../../../functions/api/deals/submit.js';
import { testDeps } from './support/deps.js';
import { ADMIN, apiEvent, CAMPAIGN_MANAGER, type Caller, DEAL_MANAGER, FINANCE, OTHER_ACCOUNT_MANAGER } from './support/events.js';
import { invoke } from './support/invoke.js';

const ROUTE = '/accounts/{accountId}/bidding-settings';
const settings = { allowedSeats: ['seat-demo'], allowedPmpDealIds: ['pmp-1', 'pmp-2'] };

const campaign = {
  name: 'Homepage',
  type: 'display',
  budget: { amountMinor: 400_000, currency: 'USD' },
  dailyBudget: { amountMinor: 10_000, currency: 'USD' },
  targeting: { audienceSegments: [], geo: { countries: [] }, devices: [] },
  schedule: { startDate: '2026-03-01', endDate: '2026-05-31', pacing: 'even' },
  creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
  bidStrategy: 'max_cpm',
  maxBid: { amountMinor: 2_500, currency: 'USD' },
};
const creative = { id: 'cr-1', format: 'banner', w: 300, h: 250, adm: '<img src="a.png">', adomain: ['brand.example'], cat: [] };

function setup() {
  const deps = testDeps();
  const handlers = {
    get: makeGetSettings(deps),
    put: makePutSettings(deps),
    createDeal: makeCreateDeal(deps),
    submit: makeSubmit(deps),
    createCampaign: makeCreateCampaign(deps),
    amendCampaign: makeAmendCampaign(deps),
  };
  const getEvent = (caller: Caller, accountId = 'acct-demo') => apiEvent({ routeKey: `GET ${ROUTE}`, pathParameters: { accountId }, caller });
  const putEvent = (caller: Caller, body: unknown, ifMatch?: string, accountId = 'acct-demo') =>
    apiEvent({ routeKey: `PUT ${ROUTE}`, pathParameters: { accountId }, caller, body, ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}) });
  const newDeal = async () => {
    const body = { accountId: 'acct-demo', name: 'Host', type: 'programmatic', totalValue: { amountMinor: 5_000_000, currency: 'USD' }, startDate: '2026-01-01', endDate: '2026-12-31' };
    return (await invoke(handlers.createDeal, apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body }))).body.id as string;
  };
  const createCampaign = (dealId: string, body: unknown) =>
    invoke(handlers.createCampaign, apiEvent({ routeKey: 'POST /deals/{dealId}/campaigns', pathParameters: { dealId }, caller: CAMPAIGN_MANAGER, body }));
  const amendCampaign = (dealId: string, campaignId: string, body: unknown, version: number) =>
    invoke(
      handlers.amendCampaign,
      apiEvent({ routeKey: 'PATCH /deals/{dealId}/campaigns/{campaignId}', pathParameters: { dealId, campaignId }, caller: CAMPAIGN_MANAGER, body, headers: { 'if-match': `"${version}"` } }),
    );
  return { deps, ...handlers, getEvent, putEvent, newDeal, createCampaign, amendCampaign };
}

describe('PUT /accounts/{accountId}/bidding-settings', () => {
  it('creates the settings without If-Match (201, ETag "1"), audited as the admin', async () => {
    // Prepare
    const app = setup();
    // Act
    const answer = await invoke(app.put, app.putEvent(ADMIN, settings));
    const audit = await app.deps.biddingSettings.listAccountAudit('acct-demo', { limit: 10 });
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.headers.etag).toBe('"1"');
    expect(answer.body).toMatchObject({ accountId: 'acct-demo', ...settings, version: 1, createdBy: 'user-admin' });
    expect(audit.items).toEqual([expect.objectContaining({ action: 'biddingSettings.created', version: 1, actor: { userId: 'user-admin', groups: ['admin'] } })]);
  });

  it('replaces them under If-Match: 428 without it, 412 when stale, 200 with the new version', async () => {
    // Prepare
    const app = setup();
    await invoke(app.put, app.putEvent(ADMIN, settings));
    const narrowed = { allowedSeats: [], allowedPmpDealIds: ['pmp-1'] };
    // Act
    const missing = await invoke(app.put, app.putEvent(ADMIN, narrowed));
    const replaced = await invoke(app.put, app.putEvent(ADMIN, narrowed, '"1"'));
    const stale = await invoke(app.put, app.putEvent(ADMIN, settings, '"1"'));
    const audit = await app.deps.biddingSettings.listAccountAudit('acct-demo', { limit: 10 });
    // Assess
    expect(missing.status).toBe(428);
    expect(replaced.status).toBe(200);
    expect(replaced.headers.etag).toBe('"2"');
    expect(replaced.body).toMatchObject({ ...narrowed, version: 2 });
    expect(stale.status).toBe(412);
    expect(stale.body.error.currentVersion).toBe(2);
    expect(audit.items.map((e) => [e.action, e.changes.map((c) => c.field)])).toEqual([
      ['biddingSettings.created', ['allowedSeats', 'allowedPmpDealIds']],
      ['biddingSettings.replaced', ['allowedSeats', 'allowedPmpDealIds']],
    ]);
  });

  it("answers 403 to every group of the account itself: it cannot grant itself seats", async () => {
    // Prepare
    const app = setup();
    // Act
    const answers = await Promise.all([DEAL_MANAGER, CAMPAIGN_MANAGER, FINANCE].map((caller) => invoke(app.put, app.putEvent(caller, settings))));
    // Assess
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403]);
    expect(await app.deps.biddingSettings.getBiddingSettings('acct-demo')).toBeUndefined();
  });

  it('answers 400 naming a malformed or repeated id', async () => {
    // Prepare
    const app = setup();
    // Act
    const answer = await invoke(app.put, app.putEvent(ADMIN, { allowedSeats: ['a b'], allowedPmpDealIds: ['pmp-1', 'pmp-1'] }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['allowedSeats.0', 'allowedPmpDealIds.1']);
  });
});

describe('GET /accounts/{accountId}/bidding-settings', () => {
  it("shows the settings to the account's members and admins, 404 to other accounts and before any exist", async () => {
    // Prepare
    const app = setup();
    const before = await invoke(app.get, app.getEvent(FINANCE));
    await invoke(app.put, app.putEvent(ADMIN, settings));
    // Act
    const member = await invoke(app.get, app.getEvent(FINANCE));
    const admin = await invoke(app.get, app.getEvent(ADMIN));
    const other = await invoke(app.get, app.getEvent(OTHER_ACCOUNT_MANAGER));
    // Assess
    expect(before.status).toBe(404);
    expect(member.status).toBe(200);
    expect(member.headers.etag).toBe('"1"');
    expect(member.body).toMatchObject(settings);
    expect(admin.status).toBe(200);
    expect(other.status).toBe(404);
  });
});

describe("campaigns may name only their account's seats and PMP deal ids", () => {
  it('refuses a seat or PMP deal id the account does not hold, naming it, and accepts allowed ones', async () => {
    // Prepare
    const app = setup();
    await invoke(app.put, app.putEvent(ADMIN, settings));
    const dealId = await app.newDeal();
    // Act
    const refused = await app.createCampaign(dealId, { ...campaign, seat: 'seat-other', pmpDealIds: ['pmp-1', 'deal-x'] });
    const accepted = await app.createCampaign(dealId, { ...campaign, seat: 'seat-demo', pmpDealIds: ['pmp-2'] });
    const house = await app.createCampaign(dealId, campaign);
    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([
      { path: 'seat', message: "seat-other is not one of account acct-demo's allowed buyer seats" },
      { path: 'pmpDealIds.1', message: "deal-x is not one of account acct-demo's allowed PMP deal ids" },
    ]);
    expect(accepted.status).toBe(201);
    expect(house.status).toBe(201);
  });

  it('refuses an amendment to a PMP deal id the account does not hold, and one after the settings narrowed', async () => {
    // Prepare
    const app = setup();
    await invoke(app.put, app.putEvent(ADMIN, settings));
    const dealId = await app.newDeal();
    const created = await app.createCampaign(dealId, { ...campaign, pmpDealIds: ['pmp-1'] });
    await invoke(app.put, app.putEvent(ADMIN, { allowedSeats: [], allowedPmpDealIds: ['pmp-1'] }, '"1"'));
    // Act
    const added = await app.amendCampaign(dealId, created.body.id, { pmpDealIds: ['pmp-1', 'pmp-2'] }, 1);
    const renamed = await app.amendCampaign(dealId, created.body.id, { name: 'Still pmp-1' }, 1);
    // Assess
    expect(added.status).toBe(400);
    expect(added.body.error.issues).toEqual([{ path: 'pmpDealIds.1', message: "pmp-2 is not one of account acct-demo's allowed PMP deal ids" }]);
    expect(renamed.status).toBe(200);
  });

  it('refuses every seat of an account without settings', async () => {
    // Prepare
    const app = setup();
    const dealId = await app.newDeal();
    // Act
    const answer = await app.createCampaign(dealId, { ...campaign, seat: 'seat-demo' });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['seat']);
  });
});

describe('bidder-facing fields of a submitted deal', () => {
  it('answers 409 field_locked naming the fields and the deal status; budget and status still change', async () => {
    // Prepare
    const app = setup();
    await invoke(app.put, app.putEvent(ADMIN, settings));
    const dealId = await app.newDeal();
    const created = await app.createCampaign(dealId, { ...campaign, creatives: [creative], seat: 'seat-demo' });
    await invoke(app.submit, apiEvent({ routeKey: 'POST /deals/{dealId}/submit', pathParameters: { dealId }, caller: DEAL_MANAGER, headers: { 'if-match': '"1"' } }));
    // Act
    const locked = await app.amendCampaign(dealId, created.body.id, { creatives: [{ ...creative, adm: '<img src="b.png">' }] }, 1);
    const newOne = await app.createCampaign(dealId, { ...campaign, name: 'Late', creatives: [creative] });
    const budget = await app.amendCampaign(dealId, created.body.id, { budget: { amountMinor: 300_000, currency: 'USD' }, status: 'active' }, 1);
    // Assess
    expect(locked.status).toBe(409);
    expect(locked.body.error).toMatchObject({ code: 'field_locked', fields: ['creatives'], currentStatus: 'pending_approval' });
    expect(locked.body.error.message).toContain('new approval round');
    expect(newOne.status).toBe(409);
    expect(newOne.body.error).toMatchObject({ code: 'field_locked', fields: ['creatives'] });
    expect(budget.status).toBe(200);
  });
});

describe('money bounds per currency', () => {
  it('answers 400 for a JPY daily budget of 10,000,000, naming the maximum for JPY', async () => {
    // Prepare
    const app = setup();
    const body = { accountId: 'acct-demo', name: 'Tokyo', type: 'programmatic', totalValue: { amountMinor: 4_000_000_000, currency: 'JPY' }, startDate: '2026-01-01', endDate: '2026-12-31' };
    const dealId = (await invoke(app.createDeal, apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body }))).body.id as string;
    const jpy = (amountMinor: number) => ({ amountMinor, currency: 'JPY' });
    // Act
    const answer = await app.createCampaign(dealId, { ...campaign, budget: jpy(3_000_000_000), dailyBudget: jpy(10_000_000), maxBid: jpy(500) });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues).toEqual([{ path: 'dailyBudget.amountMinor', message: 'must be at most 9007199 for JPY' }]);
  });
});
