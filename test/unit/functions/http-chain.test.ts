import './support/env.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { makeHandler as makeCreate } from '../../../functions/api/deals/create.js';
import { MAX_BODY_BYTES, httpHandler, type HttpDeps } from '../../../functions/api/http/handler.js';
import { NOW, testDeps } from './support/deps.js';
import { apiEvent, DEAL_MANAGER } from './support/events.js';
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
    const deps: HttpDeps = { clock: () => NOW, logger };
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
      { clock: () => NOW },
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
