import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.js';
import { dealBody } from './fixtures.js';

const stack = useLocalStack();

describe('request errors', () => {
  it('answers 400 malformed_json for a body that is not JSON', async () => {
    // Act
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      rawBody: '{"accountId": "acct-demo", ',
      headers: { 'content-type': 'application/json' },
    });
    // Assess
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('malformed_json');
  });

  it('answers 400 naming an unknown field by its path', async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      body: { ...dealBody(stack.d.accountId), colour: 'red', totalValue: { amountMinor: 5, currency: 'USD', cents: 1 } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    const paths = r.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['colour', 'totalValue.cents']));
  });

  it('answers 415 for a body that is not application/json', async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      rawBody: 'accountId=acct-demo',
      headers: { 'content-type': 'text/plain' },
    });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('unsupported_media_type');
  });

  it('answers 415 for a binary body (base64-encoded by the gateway)', async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      rawBody: new Uint8Array([0, 1, 2, 3, 255]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(r.status).toBe(415);
  });

  it('answers 413 for a body over the limit', async () => {
    const r = await stack.api('POST', '/deals', {
      token: stack.d.tokens.deal_manager,
      body: dealBody(stack.d.accountId, { name: 'x'.repeat(300 * 1024) }),
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  it('answers 404 for an unknown route, with or without a token', async () => {
    const anon = await stack.api('GET', '/no/such/route');
    expect(anon.status).toBe(404);
    expect(anon.body.error.code).toBe('not_found');
    const authed = await stack.api('GET', '/dealz', { token: stack.d.tokens.deal_manager });
    expect(authed.status).toBe(404);
  });

  it('answers the gateway\'s 404 for the root path (no route matches it)', async () => {
    const r = await stack.api('GET', '/');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'Not Found' });
  });

  it('answers 405 with Allow for a method the path does not have', async () => {
    const r = await stack.api('DELETE', '/deals/some-id', { token: stack.d.tokens.deal_manager });
    expect(r.status).toBe(405);
    expect(r.body.error.code).toBe('method_not_allowed');
    const allow = (r.headers.get('allow') ?? '').split(',').map((s) => s.trim()).sort();
    expect(allow).toEqual(expect.arrayContaining(['GET', 'PATCH']));
    const put = await stack.api('PUT', '/deals');
    expect(put.status).toBe(405);
    expect((put.headers.get('allow') ?? '').split(',').map((s) => s.trim()).sort()).toEqual(expect.arrayContaining(['GET', 'POST']));
  });

  it('never answers 5xx with a stack trace to bad input', async () => {
    const r = await stack.api('POST', '/deals', { token: stack.d.tokens.deal_manager, body: [1, 2, 3] });
    expect(r.status).toBe(400);
    expect(r.text).not.toMatch(/at .+\.(ts|js|mjs):\d+/);
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing every route of the template', async () => {
    // Act
    const r = await stack.api('GET', '/openapi.json');
    // Assess
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');
    expect(typeof doc.info?.version).toBe('string');
    expect(typeof doc.paths).toBe('object');
    const templateRoutes = stack.d.routes.filter((k) => !k.startsWith('ANY ') && k !== '$default');
    expect(templateRoutes.length).toBeGreaterThanOrEqual(15);
    for (const key of templateRoutes) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op, `${key} missing from openapi.json`).toBeDefined();
      expect(Object.keys(op.responses ?? {}).length, `${key} has no responses`).toBeGreaterThan(0);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        const p = name.slice(1, -1);
        const params = [...(op.parameters ?? []), ...(doc.paths[path].parameters ?? [])];
        const resolved = params.map((x: any) => (x.$ref ? doc.components?.parameters?.[x.$ref.split('/').pop()] : x));
        expect(resolved.some((x: any) => x?.name === p && x?.in === 'path'), `${key}: path parameter ${p}`).toBe(true);
      }
    }
    // Every $ref points at something in the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/[^"]+"/g) ?? [];
    for (const ref of refs) {
      const ptr = ref.slice(9, -1).split('/').slice(1);
      let node: any = doc;
      for (const part of ptr) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      expect(node, ref).toBeDefined();
    }
    const schemes = Object.values(doc.components?.securitySchemes ?? {}) as any[];
    expect(schemes.some((s) => s.type === 'http' && s.scheme === 'bearer' || s.type === 'openIdConnect' || s.type === 'oauth2')).toBe(true);
  });
});
