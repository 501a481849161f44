import './support/env.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { makeHandler as makeCreate } from '../../../functions/api/deals/create.js';
import { makeHandler as makeList } from '../../../functions/api/deals/list.js';
import { makeHandler as makeHealth } from '../../../functions/api/health.js';
import { MAX_BODY_BYTES, httpHandler, type HttpDeps } from '../../../functions/api/http/handler.js';
import { InMemoryClientRateLimiter } from '../../../shared/adapters/memory/memory-client-rate-limiter.js';
import type { ClientRateLimiter } from '../../../shared/ports/client-rate-limiter.js';
import { NOW, testDeps } from './support/deps.js';
import { apiEvent, DEAL_MANAGER, FINANCE } from './support/events.js';
import { invoke } from './support/invoke.js';

const validDeal = {
  accountId: 'acct-demo',
  name: 'Chain test',
  type: 'standard',
  totalValue: { amountMinor: 100_000, currency: 'USD' },
  startDate: '2026-01-01',
  endDate: '2026-02-01',
};

const createEvent = (body: unknown, headers: Record<string, string | undefined> = {}, isBase64Encoded = false) =>
  apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER, body, headers, isBase64Encoded });

describe('request body guard', () => {
  it('answers 400 malformed_json for a body that is not JSON', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    // Act
    const answer = await invoke(handler, createEvent('{"accountId": "acct-demo",'));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('malformed_json');
  });

  it('answers 415 for a Content-Type other than application/json, and without one', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    // Act
    const textPlain = await invoke(handler, createEvent(validDeal, { 'content-type': 'text/plain' }));
    const form = await invoke(handler, createEvent(validDeal, { 'content-type': 'application/x-www-form-urlencoded' }));
    const missing = await invoke(handler, createEvent(validDeal, { 'content-type': undefined }));
    // Assess
    expect([textPlain.status, form.status, missing.status]).toEqual([415, 415, 415]);
    expect(textPlain.body.error.code).toBe('unsupported_media_type');
  });

  it('accepts application/json with a utf-8 charset, in any case', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    // Act
    const answer = await invoke(handler, createEvent(validDeal, { 'content-type': 'Application/JSON; charset=UTF-8' }));
    // Assess
    expect(answer.status).toBe(201);
  });

  it('answers 413 for a body over 256 KiB, before parsing it', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    const body = JSON.stringify({ ...validDeal, name: 'x'.repeat(MAX_BODY_BYTES) });
    // Act
    const answer = await invoke(handler, createEvent(body));
    // Assess
    expect(MAX_BODY_BYTES).toBe(256 * 1024);
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
  });

  it('measures base64 bodies decoded: 256 KiB of JSON sent as ~341 KiB of base64 is accepted', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    const padding = ' '.repeat(MAX_BODY_BYTES - JSON.stringify(validDeal).length - 1);
    const body = `${JSON.stringify(validDeal)}${padding}`;
    // Act
    const answer = await invoke(handler, createEvent(body, {}, true));
    // Assess
    expect(Buffer.from(body).toString('base64').length).toBeGreaterThan(MAX_BODY_BYTES);
    expect(answer.status).toBe(201);
  });

  it('decodes base64 bodies before parsing them', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    // Act
    const answer = await invoke(handler, createEvent(validDeal, {}, true));
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.body.name).toBe('Chain test');
  });

  it('answers 400 validation_failed for a missing body', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    // Act
    const answer = await invoke(handler, apiEvent({ routeKey: 'POST /deals', caller: DEAL_MANAGER }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
  });
});

describe('identity from JWT claims', () => {
  it('reads cognito:groups in API Gateway\'s "[a b]" form and custom:account_ids comma-separated', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    const event = apiEvent({
      routeKey: 'POST /deals',
      body: { ...validDeal, accountId: 'acct-two' },
      claims: { sub: 'user-x', 'cognito:groups': '[finance deal_manager]', 'custom:account_ids': 'acct-one, acct-two' },
    });
    // Act
    const answer = await invoke(handler, event);
    // Assess
    expect(answer.status).toBe(201);
    expect(answer.body.createdBy).toBe('user-x');
  });

  it('tolerates cognito:groups as a JSON array string', async () => {
    // Prepare
    const handler = makeCreate(testDeps());
    const event = apiEvent({
      routeKey: 'POST /deals',
      body: validDeal,
      claims: { sub: 'user-y', 'cognito:groups': '["deal_manager"]', 'custom:account_ids': 'acct-demo' },
    });
    // Act
    const answer = await invoke(handler, event);
    // Assess
    expect(answer.status).toBe(201);
  });
});

describe('errors', () => {
  function failingHandler(error: unknown, logger = new Logger({ logLevel: 'SILENT' })) {
    const deps: HttpDeps = { clock: () => NOW, logger, rateLimiter: unlimited() };
    return httpHandler(
      {
        name: 'test.failing',
        access: 'deal.read',
        handle: async () => {
          throw error;
        },
      },
      deps,
    );
  }

  it('answers 500 internal_error with a generic message: no stack, no error text', async () => {
    // Prepare
    const secret = new Error('connect ECONNREFUSED 10.0.0.12:8000 table=prod-deals');
    const handler = failingHandler(secret);
    // Act
    const answer = await invoke(handler, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, requestId: 'req-500' }));
    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('internal_error');
    expect(answer.raw.body).not.toContain('ECONNREFUSED');
    expect(answer.raw.body).not.toContain('prod-deals');
    expect(answer.raw.body).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(Object.keys(answer.body.error).sort()).toEqual(['code', 'message']);
    expect(answer.headers['x-correlation-id']).toBe('req-500');
  });

  it('logs the unexpected error with its stack', async () => {
    // Prepare
    const logger = new Logger({ logLevel: 'SILENT' });
    const logged = vi.spyOn(logger, 'error');
    const boom = new TypeError('cannot read properties of undefined');
    const handler = failingHandler(boom, logger);
    // Act
    await invoke(handler, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER }));
    // Assess
    expect(logged).toHaveBeenCalledWith('unhandled error', boom);
    expect(boom.stack).toContain('TypeError');
  });

  it('maps a thrown non-Error value to 500 too', async () => {
    // Prepare
    const handler = failingHandler('just a string');
    // Act
    const answer = await invoke(handler, apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER }));
    // Assess
    expect(answer.status).toBe(500);
  });

  it('uses a valid x-correlation-id from the caller, and the request id otherwise', async () => {
    // Prepare
    const handler = failingHandler(new Error('x'));
    // Act
    const given = await invoke(
      handler,
      apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, headers: { 'x-correlation-id': 'trace-abc-123' } }),
    );
    const injected = await invoke(
      handler,
      apiEvent({ routeKey: 'GET /deals', caller: DEAL_MANAGER, requestId: 'req-77', headers: { 'x-correlation-id': 'bad value\n{}' } }),
    );
    // Assess
    expect(given.headers['x-correlation-id']).toBe('trace-abc-123');
    expect(injected.headers['x-correlation-id']).toBe('req-77');
  });
});

describe('query validation', () => {
  it('answers 400 naming an unknown query parameter', async () => {
    // Prepare
    const handler = httpHandler(
      {
        name: 'test.query',
        access: 'deal.read',
        query: z.strictObject({ limit: z.coerce.number().int().default(25) }),
        handle: async ({ query }) => ({ body: query }),
      },
      { clock: () => NOW, rateLimiter: unlimited() },
    );
    // Act
    const ok = await invoke(handler, apiEvent({ routeKey: 'GET /x', caller: DEAL_MANAGER, query: { limit: '5' } }));
    const bad = await invoke(handler, apiEvent({ routeKey: 'GET /x', caller: DEAL_MANAGER, query: { sort: 'name' } }));
    // Assess
    expect(ok.body).toEqual({ limit: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('sort');
  });
});

describe('client rate limit', () => {
  const listEvent = (caller = DEAL_MANAGER, headers: Record<string, string> = {}) =>
    apiEvent({ routeKey: 'GET /deals', caller, query: { accountId: 'acct-demo' }, headers });
  const createEvent = (body: unknown, caller = DEAL_MANAGER) => apiEvent({ routeKey: 'POST /deals', caller, body });

  function limitedDeps(limiter: ClientRateLimiter) {
    const metrics = new Metrics({ namespace: 'dealdesk-unit', serviceName: 'unit' });
    const logger = new Logger({ logLevel: 'SILENT' });
    return { deps: testDeps({ rateLimiter: limiter, metrics, logger }), metric: vi.spyOn(metrics, 'addMetric'), warn: vi.spyOn(logger, 'warn') };
  }

  it('answers 429 rate_limited with Retry-After once one caller used up its window, while another caller still passes', async () => {
    // Prepare: 3 requests per minute; the clock is 04:12:00.00x, so the window ends in 60 s.
    const { deps, metric } = limitedDeps(new InMemoryClientRateLimiter({ requests: 3, windowSeconds: 60 }));
    const handler = makeList(deps);
    // Act
    const within = [];
    for (let i = 0; i < 3; i++) within.push(await invoke(handler, listEvent()));
    const over = await invoke(handler, listEvent(DEAL_MANAGER, { 'x-correlation-id': 'trace-429' }));
    const someoneElse = await invoke(handler, listEvent({ ...DEAL_MANAGER, sub: 'user-dm-2' }));
    // Assess
    expect(within.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBe('60');
    expect(over.headers['x-correlation-id']).toBe('trace-429');
    expect(over.body).toEqual({
      error: {
        code: 'rate_limited',
        message: 'too many requests: each caller may make 3 per 60 s; retry after 60 s',
        retryAfterSeconds: 60,
        limit: 3,
        windowSeconds: 60,
      },
    });
    expect(someoneElse.status).toBe(200);
    expect(metric.mock.calls.filter(([name]) => name === 'RateLimited')).toHaveLength(1);
  });

  it('counts every route of the caller against one limit', async () => {
    // Prepare
    const limiter = new InMemoryClientRateLimiter({ requests: 2, windowSeconds: 60 });
    const { deps } = limitedDeps(limiter);
    const deal = { accountId: 'acct-demo', name: 'Counted', type: 'standard', totalValue: { amountMinor: 1, currency: 'USD' }, startDate: '2026-01-01', endDate: '2026-02-01' };
    // Act
    const created = await invoke(makeCreate(deps), createEvent(deal));
    const listed = await invoke(makeList(deps), listEvent());
    const refused = await invoke(makeCreate(deps), createEvent(deal));
    // Assess
    expect([created.status, listed.status, refused.status]).toEqual([201, 200, 429]);
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toHaveLength(1);
  });

  it('limits right after authentication: no token is 401 and not counted; forbidden and malformed requests count', async () => {
    // Prepare
    const limiter = new InMemoryClientRateLimiter({ requests: 2, windowSeconds: 60 });
    const { deps } = limitedDeps(limiter);
    const create = makeCreate(deps);
    const deal = { accountId: 'acct-demo', name: 'Never', type: 'standard', totalValue: { amountMinor: 1, currency: 'USD' }, startDate: '2026-01-01', endDate: '2026-02-01' };
    // Act
    const anonymous = await invoke(create, apiEvent({ routeKey: 'POST /deals', body: deal }));
    const forbidden = await invoke(create, createEvent(deal, FINANCE));
    const malformed = [await invoke(create, createEvent('{"name":')), await invoke(create, createEvent('{"name":'))];
    const limited = await invoke(create, createEvent(deal));
    // Assess
    expect([anonymous.status, forbidden.status, ...malformed.map((a) => a.status), limited.status]).toEqual([401, 403, 400, 400, 429]);
    expect(limiter.countAt(FINANCE.sub, NOW)).toBe(1);
    expect(limiter.countAt(DEAL_MANAGER.sub, NOW)).toBe(2);
    expect((await deps.repo.listDeals({ accountId: 'acct-demo', limit: 10 })).items).toEqual([]);
  });

  it('admits the request when the limiter fails (fail-open), logging it and counting RateLimiterUnavailable', async () => {
    // Prepare
    const outage = new Error('ProvisionedThroughputExceededException');
    const broken: ClientRateLimiter = { limit: { requests: 1, windowSeconds: 1 }, admit: async () => Promise.reject(outage) };
    const { deps, metric, warn } = limitedDeps(broken);
    // Act
    const answer = await invoke(makeList(deps), listEvent());
    // Assess
    expect(answer.status).toBe(200);
    expect(metric).toHaveBeenCalledWith('RateLimiterUnavailable', 'Count', 1);
    expect(warn).toHaveBeenCalledWith('client rate limiter unavailable; request admitted', { error: outage });
  });

  it('never consults the limiter on public routes', async () => {
    // Prepare
    const admit = vi.fn();
    const handler = makeHealth({ clock: () => NOW, rateLimiter: { limit: { requests: 1, windowSeconds: 1 }, admit } });
    // Act
    const answer = await invoke(handler, apiEvent({ routeKey: 'GET /health' }));
    // Assess
    expect(answer.status).toBe(200);
    expect(admit).not.toHaveBeenCalled();
  });

  it('refuses to build a signed-in route without a limiter', () => {
    expect(() => makeList({ ...testDeps(), rateLimiter: undefined })).toThrow(/deals.list needs a signed-in caller but no client rate limiter/);
  });
});

/** A limiter that never refuses (these tests are about other parts of the chain). */
function unlimited(): ClientRateLimiter {
  return new InMemoryClientRateLimiter({ requests: 100_000, windowSeconds: 1 });
}
