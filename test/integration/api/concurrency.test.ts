import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.js';
import { campaignBody, dealBody, freshAccount, uid } from './fixtures.js';

const stack = useLocalStack();
const N = 20;

describe('optimistic locking under concurrency', () => {
  it(`lets exactly one of ${N} concurrent PATCHes with the same If-Match win`, async () => {
    // Prepare
    const c = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body: dealBody(stack.d.accountId) });
    expect(c.status).toBe(201);
    const id = c.body.id as string;
    // Act
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        stack.api('PATCH', `/deals/${id}`, { token: stack.d.tokens.deal_manager, ifMatch: 1, body: { name: `racer ${i}` } }),
      ),
    );
    // Assess
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(N - 1);
    for (const r of results.filter((x) => x.status === 412)) expect(r.body.error.currentVersion).toBe(2);
    const winner = results.find((r) => r.status === 200)!;
    const versions = await stack.api('GET', `/deals/${id}/versions`, { token: stack.d.tokens.deal_manager });
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(versions.body.items[0].name).toBe(winner.body.name);
    const audit = await stack.api('GET', `/deals/${id}/audit`, { token: stack.d.tokens.deal_manager });
    expect(audit.body.items).toHaveLength(2);
  });
});

describe('idempotent POST /deals', () => {
  it(`creates exactly one deal for ${N} concurrent POSTs with one Idempotency-Key`, async () => {
    // Prepare
    const account = freshAccount();
    const key = `it-${uid()}`;
    const body = dealBody(account);
    // Act
    const results = await Promise.all(
      Array.from({ length: N }, () => stack.api('POST', '/deals', { token: stack.d.tokens.admin, idempotencyKey: key, body })),
    );
    // Assess
    const created = results.filter((r) => r.status === 201);
    const inProgress = results.filter((r) => r.status === 409);
    expect(created.length + inProgress.length, JSON.stringify(results.map((r) => [r.status, r.body]))).toBe(N);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of inProgress) expect(r.body.error.code).toBe('idempotency_in_progress');
    const list = await stack.api('GET', `/deals?accountId=${account}&limit=100`, { token: stack.d.tokens.admin });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].id).toBe(created[0]!.body.id);
  });

  it('replays the first response after completion and refuses the key with another body (422)', async () => {
    // Prepare
    const account = freshAccount();
    const key = `it-${uid()}`;
    const body = dealBody(account);
    const first = await stack.api('POST', '/deals', { token: stack.d.tokens.admin, idempotencyKey: key, body });
    expect(first.status).toBe(201);
    // Act
    const replay = await stack.api('POST', '/deals', { token: stack.d.tokens.admin, idempotencyKey: key, body });
    const reused = await stack.api('POST', '/deals', { token: stack.d.tokens.admin, idempotencyKey: key, body: { ...body, name: 'different' } });
    // Assess
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('etag')).toBe('"1"');
    expect(replay.headers.get('location')).toBe(first.headers.get('location'));
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    const list = await stack.api('GET', `/deals?accountId=${account}`, { token: stack.d.tokens.admin });
    expect(list.body.items).toHaveLength(1);
  });

  it('scopes keys to the caller: the same key from another user is a new request', async () => {
    const key = `it-${uid()}`;
    const a = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, idempotencyKey: key, body: dealBody(stack.d.accountId) });
    const b = await stack.api('POST', '/deals', { token: stack.d.tokens.admin, idempotencyKey: key, body: dealBody(stack.d.accountId) });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });
});

describe('campaign budgets under concurrency', () => {
  const budgetOf = (r: { body: { budget: { amountMinor: number } } }) => r.body.budget.amountMinor;

  it(`never lets ${N} concurrent campaign POSTs, each within the deal total alone, together exceed it`, async () => {
    // Prepare: a deal of 10,000,000 and ${N} campaigns of 1,000,000
    const token = stack.d.tokens.admin;
    const deal = await stack.api('POST', '/deals', { token, body: dealBody(freshAccount()) });
    expect(deal.status).toBe(201);
    const id = deal.body.id as string;
    // Act
    const results = await Promise.all(
      Array.from({ length: N }, () => stack.api('POST', `/deals/${id}/campaigns`, { token, body: campaignBody() })),
    );
    // Assess
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(created.reduce((sum, r) => sum + budgetOf(r), 0)).toBeLessThanOrEqual(10_000_000);
    expect(created).toHaveLength(10);
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error).toMatchObject({
        code: 'budget_exceeded',
        totalValue: { amountMinor: 10_000_000, currency: 'USD' },
        available: { amountMinor: 0, currency: 'USD' },
        required: { amountMinor: 1_000_000, currency: 'USD' },
      });
    }
    const listed = await stack.api('GET', `/deals/${id}/campaigns?limit=100`, { token });
    expect(listed.body.items.map((c: { id: string }) => c.id).sort()).toEqual(created.map((r) => r.body.id).sort());
    // Campaigns do not move the deal's version: clients' ETags of the deal stay valid.
    const after = await stack.api('GET', `/deals/${id}`, { token });
    expect(after.headers.get('etag')).toBe('"1"');
  });

  it('keeps the sum within the total when a PATCH cutting the deal total races campaign POSTs', async () => {
    // Prepare: 10,000,000 with 4,000,000 held; 10 POSTs of 1,000,000 race a cut to 6,000,000
    const token = stack.d.tokens.admin;
    const deal = await stack.api('POST', '/deals', { token, body: dealBody(freshAccount()) });
    const id = deal.body.id as string;
    const held = await stack.api('POST', `/deals/${id}/campaigns`, {
      token,
      body: campaignBody({ budget: { amountMinor: 4_000_000, currency: 'USD' } }),
    });
    expect(held.status).toBe(201);
    // Act
    const [cut, ...posts] = await Promise.all([
      stack.api('PATCH', `/deals/${id}`, { token, ifMatch: 1, body: { totalValue: { amountMinor: 6_000_000, currency: 'USD' } } }),
      ...Array.from({ length: 10 }, () => stack.api('POST', `/deals/${id}/campaigns`, { token, body: campaignBody() })),
    ]);
    // Assess
    expect([200, 409]).toContain(cut!.status);
    for (const r of posts) expect([201, 409]).toContain(r.status);
    const total = (await stack.api('GET', `/deals/${id}`, { token })).body.totalValue.amountMinor as number;
    const listed = await stack.api('GET', `/deals/${id}/campaigns?limit=100`, { token });
    const allocated = listed.body.items.reduce((sum: number, c: { budget: { amountMinor: number } }) => sum + c.budget.amountMinor, 0);
    expect(allocated).toBeLessThanOrEqual(total);
    expect(total).toBe(cut!.status === 200 ? 6_000_000 : 10_000_000);
  });
});
