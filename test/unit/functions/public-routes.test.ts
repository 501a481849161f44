import './support/env.js';
import { describe, expect, it } from 'vitest';
import { makeHandler as makeFallback } from '../../../functions/api/fallback.js';
import { makeHandler as makeHealth } from '../../../functions/api/health.js';
import { makeHandler as makeOpenApi } from '../../../functions/api/openapi.js';
import { NOW } from './support/deps.js';
import { apiEvent } from './support/events.js';
import { invoke } from './support/invoke.js';

const ROUTES = [
  'GET /health',
  'GET /openapi.json',
  'POST /deals',
  'GET /deals',
  'GET /deals/{dealId}',
  'PATCH /deals/{dealId}',
  'POST /deals/{dealId}/cancel',
  'POST /deals/{dealId}/submit',
  'GET /deals/{dealId}/versions/{version}',
  'ANY /{proxy+}',
];

const fallback = makeFallback({ clock: () => NOW, routes: ROUTES });
const fallbackEvent = (method: string, path: string) =>
  apiEvent({ routeKey: 'ANY /{proxy+}', method, path, pathParameters: { proxy: path.slice(1) } });

describe('fallback (ANY /{proxy+})', () => {
  it('answers 404 not_found for a path no route has', async () => {
    // Act
    const answer = await invoke(fallback, fallbackEvent('GET', '/dealz'));
    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });

  it('answers 405 with Allow listing the methods the path does have', async () => {
    // Act
    const answer = await invoke(fallback, fallbackEvent('DELETE', '/deals/d-123'));
    // Assess
    expect(answer.status).toBe(405);
    expect(answer.body.error.code).toBe('method_not_allowed');
    expect(answer.headers.allow).toBe('GET, PATCH');
  });

  it('matches literal segments after parameters and tolerates a trailing slash', async () => {
    // Act
    const cancel = await invoke(fallback, fallbackEvent('GET', '/deals/d-1/cancel/'));
    const version = await invoke(fallback, fallbackEvent('DELETE', '/deals/d-1/versions/3'));
    const deeper = await invoke(fallback, fallbackEvent('GET', '/deals/d-1/versions/3/extra'));
    // Assess
    expect(cancel.status).toBe(405);
    expect(cancel.headers.allow).toBe('POST');
    expect(version.headers.allow).toBe('GET');
    expect(deeper.status).toBe(404);
  });

  it('needs no token', async () => {
    // Act
    const answer = await invoke(fallback, fallbackEvent('PUT', '/health'));
    // Assess
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET');
  });
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document of the API routes', async () => {
    // Prepare
    const handler = makeOpenApi({ clock: () => NOW });
    // Act
    const answer = await invoke(handler, apiEvent({ routeKey: 'GET /openapi.json' }));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.body.openapi).toMatch(/^3\.1/);
    expect(Object.keys(answer.body.paths)).toEqual(expect.arrayContaining(['/deals', '/deals/{dealId}', '/deals/{dealId}/campaigns']));
    expect(answer.body.paths['/{proxy+}']).toBeUndefined();
  });
});

describe('GET /health', () => {
  it('answers 200 ok without a token', async () => {
    // Prepare
    const handler = makeHealth({ clock: () => NOW });
    // Act
    const answer = await invoke(handler, apiEvent({ routeKey: 'GET /health' }));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
  });
});
