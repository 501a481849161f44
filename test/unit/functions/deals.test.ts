import './support/env.js';
import { describe, expect, it } from 'vitest';
import { makeHandler as makeAmend } from '../../../functions/api/deals/amend.js';
import { makeHandler as makeAuditList } from '../../../functions/api/deals/audit-list.js';
import { makeHandler as makeCancel } from '../../../functions/api/deals/cancel.js';
import { makeHandler as makeCreate } from '../../../functions/api/deals/create.js';
import { makeHandler as makeGet } from '../../../functions/api/deals/get.js';
import { makeHandler as makeList } from '../../../functions/api/deals/list.js';
import { makeHandler as makeSubmit } from '../../../functions/api/deals/submit.js';
import { makeHandler as makeVersionsGet } from '../../../functions/api/deals/versions-get.js';
import { makeHandler as makeVersionsList } from '../../../functions/api/deals/versions-list.js';
import type { ApiDeps } from '../../../functions/api/deps.js';
import { testDeps } from './support/deps.js';
import { ADMIN, apiEvent, CAMPAIGN_MANAGER, type Caller, DEAL_MANAGER, FINANCE, OTHER_ACCOUNT_MANAGER } from './support/events.js';
import { invoke } from './support/invoke.js';

const validDeal = {
  accountId: 'acct-demo',
  name: 'Q1 video push',
  type: 'guaranteed',
  totalValue: { amountMinor: 5_000_000, currency: 'USD' },
  startDate: '2026-01-01',
  endDate: '2026-03-31',
};

/** All deal handlers over one in-memory repository. */
function api(deps: ApiDeps = testDeps()) {
  const handlers = {
    create: makeCreate(deps),
    get: makeGet(deps),
    list: makeList(deps),
    amend: makeAmend(deps),
    cancel: makeCancel(deps),
    submit: makeSubmit(deps),
    versionsList: makeVersionsList(deps),
    versionsGet: makeVersionsGet(deps),
    auditList: makeAuditList(deps),
  };
  return {
    deps,
    ...handlers,
    createDeal: async (caller: Caller = DEAL_MANAGER, body: object = validDeal) => {
      const answer = await invoke(handlers.create, apiEvent({ routeKey: 'POST /deals', caller, body }));
      expect(answer.status).toBe(201);
      return answer.body as { id: string; version: number };
    },
  };
}

const post = (route: string, dealId: string, caller: Caller, ifMatch?: string) =>
  apiEvent({
    routeKey: `POST /deals/{dealId}/${route}`,
    pathParameters: { dealId },
    caller,
    ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}),
  });

describe('POST /deals', () => {
  it('creates a draft at version 1: 201, Location, ETag "1", stamped by the caller', async () => {
    // Prepare
    const { create } = api();
    // Act
    const answer = await invoke(create, apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body: validDeal }));
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.headers.etag).toBe('"1"');
    expect(answer.headers.location).toBe(`/deals/${answer.body.id}`);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.body).toMatchObject({
      ...validDeal,
      status: 'draft',
      version: 1,
      ownerId: DEAL_MANAGER.sub,
      createdBy: DEAL_MANAGER.sub,
      updatedBy: DEAL_MANAGER.sub,
      createdAt: '2026-11-22T04:12:00.000Z',
    });
  });

  it('records an audit entry with the actor, correlation id, source ip and user agent', async () => {
    // Prepare
    const { create, deps } = api();
    const event = apiEvent({
      routeKey: 'POST /deals',
      caller: DEAL_MANAGER,
      body: validDeal,
      requestId: 'apigw-req-42',
      sourceIp: '198.51.100.9',
      headers: { 'user-agent': 'dealdesk-cli/2.1' },
    });
    // Act
    const answer = await invoke(create, event);
    // Assess
    const audit = await deps.repo.listAudit(answer.body.id, { limit: 10 });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      action: 'deal.created',
      version: 1,
      actor: { userId: DEAL_MANAGER.sub, groups: ['deal_manager'] },
      correlationId: 'apigw-req-42',
      sourceIp: '198.51.100.9',
      userAgent: 'dealdesk-cli/2.1',
      at: '2026-11-22T04:12:00.000Z',
    });
    expect(answer.headers['x-correlation-id']).toBe('apigw-req-42');
  });

  it('answers 400 naming an unknown field', async () => {
    // Prepare
    const { create } = api();
    // Act
    const answer = await invoke(
      create,
      apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body: { ...validDeal, discount: 10 } }),
    );
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.issues).toContainEqual(expect.objectContaining({ path: 'discount' }));
  });

  it('answers 400 naming a nested bad field', async () => {
    // Prepare
    const { create } = api();
    const body = { ...validDeal, totalValue: { amountMinor: 12.5, currency: 'USD' } };
    // Act
    const answer = await invoke(create, apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toContain('totalValue.amountMinor');
  });

  it('answers 403 to a caller without deal_manager', async () => {
    // Prepare
    const { create, deps } = api();
    // Act
    const answer = await invoke(create, apiEvent({ routeKey: 'POST /deals', caller: CAMPAIGN_MANAGER, body: validDeal }));
    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(0);
  });

  it('answers 403 when the deal would belong to an account the caller is not in', async () => {
    // Prepare
    const { create } = api();
    // Act
    const answer = await invoke(
      create,
      apiEvent({ routeKey: 'POST /deals', caller: OTHER_ACCOUNT_MANAGER, body: validDeal }),
    );
    // Assess
    expect(answer.status).toBe(403);
  });

  it('answers 401 without JWT claims', async () => {
    // Prepare
    const { create } = api();
    // Act
    const answer = await invoke(create, apiEvent({ routeKey: 'POST /deals', body: validDeal }));
    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthorized');
  });
});

describe('GET /deals/{dealId}', () => {
  it('returns the deal with its ETag', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(
      app.get,
      apiEvent({ routeKey: 'GET /deals/{dealId}', pathParameters: { dealId: id }, caller: FINANCE }),
    );
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toBe('"1"');
    expect(answer.body.id).toBe(id);
  });

  it("answers 404 for another account's deal, exactly like a missing one", async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const foreign = await invoke(
      app.get,
      apiEvent({ routeKey: 'GET /deals/{dealId}', pathParameters: { dealId: id }, caller: OTHER_ACCOUNT_MANAGER }),
    );
    const missing = await invoke(
      app.get,
      apiEvent({ routeKey: 'GET /deals/{dealId}', pathParameters: { dealId: 'nope' }, caller: OTHER_ACCOUNT_MANAGER }),
    );
    // Assess
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect(missing.status).toBe(404);
  });

  it('lets an admin see every account', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(app.get, apiEvent({ routeKey: 'GET /deals/{dealId}', pathParameters: { dealId: id }, caller: ADMIN }));
    // Assess
    expect(answer.status).toBe(200);
  });

  it('answers 403 to a token without any group', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(
      app.get,
      apiEvent({ routeKey: 'GET /deals/{dealId}', pathParameters: { dealId: id }, caller: { sub: 'u', accountIds: ['acct-demo'] } }),
    );
    // Assess
    expect(answer.status).toBe(403);
  });
});

describe('GET /deals', () => {
  it("lists the caller's only account, filtered by status, paged with a cursor", async () => {
    // Prepare
    const app = api();
    for (let i = 0; i < 3; i++) await app.createDeal(DEAL_MANAGER, { ...validDeal, name: `deal ${i}` });
    // Act
    const first = await invoke(app.list, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, query: { limit: '2', status: 'draft' } }));
    const second = await invoke(
      app.list,
      apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, query: { limit: '2', status: 'draft', cursor: first.body.nextCursor } }),
    );
    // Assess
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('answers 400 for a limit out of range and for a cursor that does not decode', async () => {
    // Prepare
    const app = api();
    // Act
    const badLimit = await invoke(app.list, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, query: { limit: '500' } }));
    const badCursor = await invoke(app.list, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, query: { cursor: '!!' } }));
    // Assess
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.issues[0].path).toBe('limit');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.issues[0].path).toBe('cursor');
  });

  it('answers 403 when asking for an account the caller is not in', async () => {
    // Prepare
    const app = api();
    // Act
    const answer = await invoke(app.list, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, query: { accountId: 'acct-other' } }));
    // Assess
    expect(answer.status).toBe(403);
  });
});

describe('PATCH /deals/{dealId}', () => {
  const patch = (dealId: string, body: unknown, headers: Record<string, string> = {}, caller: Caller = DEAL_MANAGER) =>
    apiEvent({ routeKey: 'PATCH /deals/{dealId}', pathParameters: { dealId }, caller, body, headers });

  it('amends with a matching If-Match: 200, the new version and its ETag; quotes optional, W/ tolerated', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const quoted = await invoke(app.amend, patch(id, { name: 'Renamed' }, { 'if-match': '"1"' }));
    const bare = await invoke(app.amend, patch(id, { name: 'Renamed again' }, { 'if-match': '2' }));
    const weak = await invoke(app.amend, patch(id, { name: 'Third name' }, { 'if-match': 'W/"3"' }));
    // Assess
    expect([quoted.status, bare.status, weak.status]).toEqual([200, 200, 200]);
    expect(weak.headers.etag).toBe('"4"');
    expect(weak.body).toMatchObject({ name: 'Third name', version: 4 });
  });

  it('answers 428 without If-Match and changes nothing', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(app.amend, patch(id, { name: 'Renamed' }));
    // Assess
    expect(answer.status).toBe(428);
    expect(answer.body.error.code).toBe('precondition_required');
    expect((await app.deps.repo.getDeal(id))?.version).toBe(1);
  });

  it('answers 412 with currentVersion and the current ETag when If-Match is stale', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    await invoke(app.amend, patch(id, { name: 'Second' }, { 'if-match': '"1"' }));
    // Act
    const answer = await invoke(app.amend, patch(id, { name: 'Lost update' }, { 'if-match': '"1"' }));
    // Assess
    expect(answer.status).toBe(412);
    expect(answer.body.error).toMatchObject({ code: 'version_conflict', currentVersion: 2 });
    expect(answer.headers.etag).toBe('"2"');
    expect((await app.deps.repo.getDeal(id))?.name).toBe('Second');
  });

  it('answers 400 for an If-Match that is not a version', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(app.amend, patch(id, { name: 'x' }, { 'if-match': '"abc"' }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues[0].path).toBe('If-Match');
  });

  it('answers 400 for an empty patch', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(app.amend, patch(id, {}, { 'if-match': '"1"' }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
  });

  it('answers 409 naming the status when the deal is cancelled', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    await invoke(app.cancel, post('cancel', id, DEAL_MANAGER, '"1"'));
    // Act
    const answer = await invoke(app.amend, patch(id, { name: 'Too late' }, { 'if-match': '"2"' }));
    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'illegal_transition', currentStatus: 'cancelled' });
  });
});

describe('POST /deals/{dealId}/submit and /cancel', () => {
  it('submits a draft: 200, pending_approval, version 2, audited as deal.submitted', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(app.submit, post('submit', id, DEAL_MANAGER, '"1"'));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'pending_approval', version: 2 });
    expect(answer.headers.etag).toBe('"2"');
    const audit = await app.deps.repo.listAudit(id, { limit: 10 });
    expect(audit.items.map((a) => a.action)).toEqual(['deal.created', 'deal.submitted']);
  });

  it('answers 409 naming the current status for an illegal transition', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    await invoke(app.submit, post('submit', id, DEAL_MANAGER, '"1"'));
    // Act
    const answer = await invoke(app.submit, post('submit', id, DEAL_MANAGER, '"2"'));
    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'illegal_transition', currentStatus: 'pending_approval' });
    expect(answer.body.error.message).toContain('pending_approval');
  });

  it('answers 428 for cancel without If-Match and 412 for a stale one', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    await invoke(app.submit, post('submit', id, DEAL_MANAGER, '"1"'));
    // Act
    const missing = await invoke(app.cancel, post('cancel', id, DEAL_MANAGER));
    const stale = await invoke(app.cancel, post('cancel', id, DEAL_MANAGER, '"1"'));
    // Assess
    expect(missing.status).toBe(428);
    expect(stale.status).toBe(412);
    expect(stale.body.error.currentVersion).toBe(2);
  });

  it('answers 403 to finance and 404 to another account', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const finance = await invoke(app.cancel, post('cancel', id, FINANCE, '"1"'));
    const foreign = await invoke(app.cancel, post('cancel', id, OTHER_ACCOUNT_MANAGER, '"1"'));
    // Assess
    expect(finance.status).toBe(403);
    expect(foreign.status).toBe(404);
    expect((await app.deps.repo.getDeal(id))?.status).toBe('draft');
  });
});

describe('history routes', () => {
  it('lists versions newest first, gets one version, and lists the audit oldest first', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    await invoke(
      app.amend,
      apiEvent({ routeKey: 'PATCH /deals/{dealId}', pathParameters: { dealId: id }, caller: DEAL_MANAGER, body: { name: 'v2' }, headers: { 'if-match': '"1"' } }),
    );
    // Act
    const versions = await invoke(app.versionsList, apiEvent({ routeKey: 'GET /deals/{dealId}/versions', pathParameters: { dealId: id }, caller: FINANCE }));
    const v1 = await invoke(
      app.versionsGet,
      apiEvent({ routeKey: 'GET /deals/{dealId}/versions/{version}', pathParameters: { dealId: id, version: '1' }, caller: FINANCE }),
    );
    const audit = await invoke(app.auditList, apiEvent({ routeKey: 'GET /deals/{dealId}/audit', pathParameters: { dealId: id }, caller: FINANCE }));
    // Assess
    expect(versions.body.items.map((d: { version: number }) => d.version)).toEqual([2, 1]);
    expect(v1.status).toBe(200);
    expect(v1.headers.etag).toBe('"1"');
    expect(v1.body.name).toBe(validDeal.name);
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual(['deal.created', 'deal.amended']);
    expect(audit.body.items[1].changes).toEqual([{ field: 'name', old: validDeal.name, new: 'v2' }]);
  });

  it('answers 404 for a version that does not exist and 400 for one that is not a number', async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const missing = await invoke(
      app.versionsGet,
      apiEvent({ routeKey: 'GET /deals/{dealId}/versions/{version}', pathParameters: { dealId: id, version: '7' }, caller: FINANCE }),
    );
    const notANumber = await invoke(
      app.versionsGet,
      apiEvent({ routeKey: 'GET /deals/{dealId}/versions/{version}', pathParameters: { dealId: id, version: 'latest' }, caller: FINANCE }),
    );
    // Assess
    expect(missing.status).toBe(404);
    expect(notANumber.status).toBe(400);
    expect(notANumber.body.error.issues[0].path).toBe('version');
  });

  it("hides another account's history (404)", async () => {
    // Prepare
    const app = api();
    const { id } = await app.createDeal();
    // Act
    const answer = await invoke(app.auditList, apiEvent({ routeKey: 'GET /deals/{dealId}/audit', pathParameters: { dealId: id }, caller: OTHER_ACCOUNT_MANAGER }));
    // Assess
    expect(answer.status).toBe(404);
  });
});
