import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.js';
import { dealBody, freshAccount, jwtPayload, uid } from './fixtures.js';

const stack = useLocalStack();

describe('POST /deals', () => {
  it('creates a draft deal: 201, ETag "1", Location and the deal', async () => {
    // Prepare
    const body = dealBody(stack.d.accountId, { type: 'programmatic' });
    // Act
    const r = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body });
    // Assess
    expect(r.status).toBe(201);
    expect(r.headers.get('etag')).toBe('"1"');
    expect(r.headers.get('location')).toBe(`/deals/${r.body.id}`);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const sub = jwtPayload(stack.d.tokens.deal_manager).sub;
    expect(r.body).toMatchObject({
      accountId: stack.d.accountId,
      name: body.name,
      type: 'programmatic',
      totalValue: { amountMinor: 10_000_000, currency: 'USD' },
      startDate: '2027-01-01',
      endDate: '2027-06-30',
      ownerId: sub,
      status: 'draft',
      version: 1,
      createdBy: sub,
      updatedBy: sub,
    });
    expect(typeof r.body.id).toBe('string');
    expect(Date.parse(r.body.createdAt)).not.toBeNaN();
    expect(r.body.updatedAt).toBe(r.body.createdAt);
  });

  it('names the offending field of an invalid deal (400)', async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      body: dealBody(stack.d.accountId, { totalValue: { amountMinor: -5, currency: 'USD' } }),
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.issues.map((i: { path: string }) => i.path)).toContain('totalValue.amountMinor');
  });

  it('refuses an end date before the start date (400 naming endDate)', async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      body: dealBody(stack.d.accountId, { startDate: '2027-05-01', endDate: '2027-04-01' }),
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error.issues)).toContain('endDate');
  });
});

describe('GET /deals/{dealId} and GET /deals', () => {
  const account = freshAccount();
  const ids: string[] = [];
  let programmaticId: string;
  let submittedId: string;
  beforeAll(async () => {
    // Admins may act in any account: an account of our own keeps the counts exact.
    for (let i = 0; i < 5; i++) {
      const r = await stack.api('POST', '/deals', {
        token: stack.d.tokens.admin,
        body: dealBody(account, { type: i === 2 ? 'programmatic' : 'standard', name: `list ${i} ${uid()}` }),
      });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    programmaticId = ids[2]!;
    submittedId = ids[4]!;
    const s = await stack.api('POST', `/deals/${submittedId}/submit`, { token: stack.d.tokens.admin, ifMatch: 1 });
    expect(s.status).toBe(200);
  });

  it('gets a deal with its ETag', async () => {
    const r = await stack.api('GET', `/deals/${ids[0]}`, { token: stack.d.tokens.admin });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"1"');
    expect(r.body).toMatchObject({ id: ids[0], accountId: account, version: 1, status: 'draft' });
  });

  it('answers 404 for an unknown deal', async () => {
    const r = await stack.api('GET', '/deals/does-not-exist', { token: stack.d.tokens.deal_manager });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });

  it('pages through every deal of the account with cursors, without duplicates', async () => {
    // Act
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ accountId: account, limit: '2', ...(cursor ? { cursor } : {}) });
      const r = await stack.api('GET', `/deals?${q}`, { token: stack.d.tokens.admin });
      expect(r.status).toBe(200);
      pageSizes.push(r.body.items.length);
      seen.push(...r.body.items.map((d: { id: string }) => d.id));
      cursor = r.body.nextCursor;
    } while (cursor && pageSizes.length < 10);
    // Assess
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it('filters by type and by status', async () => {
    const byType = await stack.api('GET', `/deals?accountId=${account}&type=programmatic`, { token: stack.d.tokens.admin });
    expect(byType.status).toBe(200);
    expect(byType.body.items.map((d: { id: string }) => d.id)).toEqual([programmaticId]);
    const byStatus = await stack.api('GET', `/deals?accountId=${account}&status=pending_approval`, { token: stack.d.tokens.admin });
    expect(byStatus.body.items.map((d: { id: string }) => d.id)).toEqual([submittedId]);
    const drafts = await stack.api('GET', `/deals?accountId=${account}&status=draft&limit=100`, { token: stack.d.tokens.admin });
    expect(drafts.body.items).toHaveLength(4);
  });

  it('lists the caller\'s only account without accountId', async () => {
    const r = await stack.api('GET', '/deals?limit=5', { token: stack.d.tokens.deal_manager });
    expect(r.status).toBe(200);
    for (const d of r.body.items) expect(d.accountId).toBe(stack.d.accountId);
  });

  it('refuses a bad limit, status or cursor with 400 naming the parameter', async () => {
    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['status=nope', 'status'],
      ['cursor=%%%garbage', 'cursor'],
    ] as const) {
      const r = await stack.api('GET', `/deals?accountId=${account}&${q}`, { token: stack.d.tokens.admin });
      expect(r.status, q).toBe(400);
      expect(JSON.stringify(r.body.error), q).toContain(field);
    }
  });
});

describe('amend, versions and audit', () => {
  let id: string;
  let created: Record<string, any>;
  const ua = `dealdesk-it/${uid()}`;
  const corr = `it-corr-${uid()}`;
  beforeAll(async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      body: dealBody(stack.d.accountId, { name: 'Before amend' }),
      headers: { 'user-agent': ua, 'x-correlation-id': `${corr}-create` },
    });
    expect(r.status).toBe(201);
    id = r.body.id;
    created = r.body;
  });

  it('amends with If-Match: 200, version 2, ETag "2"', async () => {
    // Act
    const r = await stack.api('PATCH', `/deals/${id}`, {
      token: stack.d.tokens.deal_manager,
      ifMatch: '"1"',
      body: { name: 'After amend', totalValue: { amountMinor: 12_000_000, currency: 'USD' } },
      headers: { 'user-agent': ua, 'x-correlation-id': `${corr}-amend` },
    });
    // Assess
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"2"');
    expect(r.body).toMatchObject({ id, name: 'After amend', version: 2, totalValue: { amountMinor: 12_000_000 }, createdAt: created.createdAt });
  });

  it('requires If-Match (428)', async () => {
    const r = await stack.api('PATCH', `/deals/${id}`, { token: stack.d.tokens.deal_manager, body: { name: 'no if-match' } });
    expect(r.status).toBe(428);
    expect(r.body.error.code).toBe('precondition_required');
  });

  it('refuses a stale If-Match with 412 and the current version', async () => {
    const r = await stack.api('PATCH', `/deals/${id}`, { token: stack.d.tokens.deal_manager, ifMatch: 1, body: { name: 'stale' } });
    expect(r.status).toBe(412);
    expect(r.body.error).toMatchObject({ code: 'version_conflict', currentVersion: 2 });
    expect(r.headers.get('etag')).toBe('"2"');
  });

  it('tolerates a weak and an unquoted If-Match', async () => {
    const weak = await stack.api('PATCH', `/deals/${id}`, { token: stack.d.tokens.deal_manager, ifMatch: 'W/"1"', body: { name: 'weak' } });
    expect(weak.status).toBe(412);
    const bare = await stack.api('PATCH', `/deals/${id}`, { token: stack.d.tokens.deal_manager, ifMatch: '1', body: { name: 'bare' } });
    expect(bare.status).toBe(412);
  });

  it('refuses an empty amendment (400)', async () => {
    const r = await stack.api('PATCH', `/deals/${id}`, { token: stack.d.tokens.deal_manager, ifMatch: 2, body: {} });
    expect(r.status).toBe(400);
  });

  it('keeps every version: list newest first, get one', async () => {
    const list = await stack.api('GET', `/deals/${id}/versions`, { token: stack.d.tokens.finance });
    expect(list.status).toBe(200);
    expect(list.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const v1 = await stack.api('GET', `/deals/${id}/versions/1`, { token: stack.d.tokens.finance });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ id, version: 1, name: 'Before amend', totalValue: { amountMinor: 10_000_000 } });
    expect(v1.headers.get('etag')).toBe('"1"');
    const missing = await stack.api('GET', `/deals/${id}/versions/9`, { token: stack.d.tokens.finance });
    expect(missing.status).toBe(404);
  });

  it('submits: pending_approval; submitting again is 409 naming the status', async () => {
    const first = await stack.api('POST', `/deals/${id}/submit`, {
      token: stack.d.tokens.deal_manager,
      ifMatch: 2,
      headers: { 'user-agent': ua, 'x-correlation-id': `${corr}-submit` },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending_approval', version: 3 });
    expect(first.headers.get('etag')).toBe('"3"');
    const again = await stack.api('POST', `/deals/${id}/submit`, { token: stack.d.tokens.deal_manager, ifMatch: 3 });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'illegal_transition', currentStatus: 'pending_approval' });
    expect(again.body.error.message).toContain('pending_approval');
  });

  it('submit and cancel require If-Match (428)', async () => {
    expect((await stack.api('POST', `/deals/${id}/submit`, { token: stack.d.tokens.deal_manager })).status).toBe(428);
    expect((await stack.api('POST', `/deals/${id}/cancel`, { token: stack.d.tokens.deal_manager })).status).toBe(428);
  });

  it('records one audit entry per change, oldest first, with actor, correlation id, source ip, user agent and old/new values', async () => {
    // Act
    const r = await stack.api('GET', `/deals/${id}/audit`, { token: stack.d.tokens.legal });
    // Assess
    expect(r.status).toBe(200);
    const entries = r.body.items as any[];
    expect(entries.map((e) => [e.action, e.version])).toEqual([
      ['deal.created', 1],
      ['deal.amended', 2],
      ['deal.submitted', 3],
    ]);
    const sub = jwtPayload(stack.d.tokens.deal_manager).sub;
    for (const e of entries) {
      expect(e.dealId).toBe(id);
      expect(e.entityType).toBe('deal');
      expect(e.actor).toMatchObject({ userId: sub, groups: ['deal_manager'] });
      expect(e.sourceIp).toBe('127.0.0.1');
      expect(e.userAgent).toBe(ua);
      expect(Date.parse(e.at)).not.toBeNaN();
    }
    expect(entries.map((e) => e.correlationId)).toEqual([`${corr}-create`, `${corr}-amend`, `${corr}-submit`]);
    const amended = entries[1];
    expect(amended.changes).toEqual(
      expect.arrayContaining([
        { field: 'name', old: 'Before amend', new: 'After amend' },
        expect.objectContaining({ field: expect.stringMatching(/^totalValue/) }),
      ]),
    );
    expect(entries[2].changes).toEqual(expect.arrayContaining([{ field: 'status', old: 'draft', new: 'pending_approval' }]));
  });

  it('uses the API Gateway request id as correlation id when the caller sends none', async () => {
    const d = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body: dealBody(stack.d.accountId) });
    const requestId = d.headers.get('apigw-requestid');
    expect(d.headers.get('x-correlation-id')).toBe(requestId);
    const audit = await stack.api('GET', `/deals/${d.body.id}/audit`, { token: stack.d.tokens.deal_manager });
    expect(audit.body.items[0].correlationId).toBe(requestId);
  });
});

describe('cancel', () => {
  it('cancels a draft (If-Match), then refuses amend and a second cancel with 409', async () => {
    // Prepare
    const c = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body: dealBody(stack.d.accountId) });
    // Act
    const r = await stack.api('POST', `/deals/${c.body.id}/cancel`, { token: stack.d.tokens.deal_manager, ifMatch: 1 });
    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'cancelled', version: 2 });
    const amend = await stack.api('PATCH', `/deals/${c.body.id}`, { token: stack.d.tokens.deal_manager, ifMatch: 2, body: { name: 'too late' } });
    expect(amend.status).toBe(409);
    expect(amend.body.error.currentStatus).toBe('cancelled');
    const again = await stack.api('POST', `/deals/${c.body.id}/cancel`, { token: stack.d.tokens.deal_manager, ifMatch: 2 });
    expect(again.status).toBe(409);
    const audit = await stack.api('GET', `/deals/${c.body.id}/audit`, { token: stack.d.tokens.deal_manager });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['deal.created', 'deal.cancelled']);
  });
});
