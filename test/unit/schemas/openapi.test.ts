import { describe, expect, it } from 'vitest';
import { API_OPERATIONS, OPERATION_KEYS, findOperation } from '../../../shared/schemas/api-operations.js';
import { buildOpenApiDocument } from '../../../shared/schemas/openapi.js';

type Json = Record<string, any>;
const doc = buildOpenApiDocument() as Json;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function* walk(value: unknown, path = '#'): Generator<[string, Json]> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* walk(item, `${path}/${i}`);
  } else if (typeof value === 'object' && value !== null) {
    yield [path, value as Json];
    for (const [key, child] of Object.entries(value)) yield* walk(child, `${path}/${key}`);
  }
}

function resolvePointer(root: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, segment) => (node as Json | undefined)?.[segment], root);
}

function operations(): Array<[string, string, Json]> {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => [method, path, op as Json] as [string, string, Json]),
  );
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1.0 with info, paths and components', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    expect(doc.components.schemas).toBeTypeOf('object');
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('documents every route of the operation list except the catch-all', () => {
    // Prepare
    const expected = OPERATION_KEYS.filter((k) => findOperation(k)!.documented);
    // Act
    const documented = operations().map(([method, path]) => `${method.toUpperCase()} ${path}`);
    // Assess
    expect(documented.sort()).toEqual([...expected].sort());
    expect(expected).toHaveLength(OPERATION_KEYS.length - 1);
    expect(documented).not.toContain('ANY /{proxy+}');
  });

  it('resolves every $ref', () => {
    const refs = [...walk(doc)].filter(([, node]) => typeof node.$ref === 'string');
    expect(refs.length).toBeGreaterThan(20);
    for (const [where, node] of refs) expect(resolvePointer(doc, node.$ref), `${where} → ${node.$ref}`).toBeDefined();
  });

  it('keeps components clean: no zod scratch definitions, no per-schema $id/$schema', () => {
    const schemas = doc.components.schemas as Json;
    expect(schemas).not.toHaveProperty('__shared');
    expect(Object.keys(schemas).some((k) => k.startsWith('__params'))).toBe(false);
    for (const schema of Object.values(schemas)) {
      expect(schema).not.toHaveProperty('$id');
      expect(schema).not.toHaveProperty('$schema');
    }
    for (const name of ['Money', 'Deal', 'Campaign', 'AuditEntry', 'ErrorResponse', 'CreateDealRequest', 'AmendDealRequest']) {
      expect(schemas, name).toHaveProperty(name);
    }
  });

  it('renders request schemas from the zod definitions: strict, required fields, money as integers', () => {
    const { CreateDealRequest, AmendDealRequest, Money } = doc.components.schemas as Json;
    expect(CreateDealRequest.additionalProperties).toBe(false);
    expect(CreateDealRequest.required).toEqual(['accountId', 'name', 'type', 'totalValue', 'startDate', 'endDate']);
    expect(AmendDealRequest.additionalProperties).toBe(false);
    expect(AmendDealRequest.minProperties).toBe(1);
    expect(Money.properties.amountMinor).toMatchObject({ type: 'integer', minimum: 0 });
    expect(Money.properties.currency.pattern).toBe('^[A-Z]{3}$');
  });

  it('gives unique operationIds and declares every path template parameter', () => {
    const ids = operations().map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [method, path, op] of operations()) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual(templated.sort());
      expect(declared.every((p) => p.required === true)).toBe(true);
    }
  });

  it('documents list query parameters with the limit bounds and default', () => {
    const list = doc.paths['/deals'].get as Json;
    const limit = (list.parameters as Json[]).find((p) => p.name === 'limit')!;
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } });
    expect((list.parameters as Json[]).map((p) => p.name)).toEqual(['accountId', 'status', 'type', 'limit', 'cursor']);
  });

  it('secures every route with the JWT bearer scheme except health and openapi.json', () => {
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const [method, path, op] of operations()) {
      const isPublic = path === '/health' || path === '/openapi.json';
      expect(op.security, `${method} ${path}`).toEqual(isPublic ? [] : [{ bearerAuth: [] }]);
    }
  });

  it('documents If-Match, Idempotency-Key, ETag and Location where the contract uses them', () => {
    for (const key of OPERATION_KEYS) {
      const spec = findOperation(key)!;
      if (!spec.documented) continue;
      const op = doc.paths[spec.path][spec.method.toLowerCase()] as Json;
      const paramRefs = ((op.parameters ?? []) as Json[]).map((p) => p.$ref).filter(Boolean);
      expect(paramRefs.includes('#/components/parameters/IfMatch'), key).toBe(spec.requiresIfMatch === true);
      expect(paramRefs.includes('#/components/parameters/IfMatchToReplace'), key).toBe(spec.requiresIfMatch === 'to-replace');
      expect(paramRefs.includes('#/components/parameters/IdempotencyKey'), key).toBe(spec.acceptsIdempotencyKey);
      const success = op.responses[String(spec.success.status)] as Json;
      expect(Boolean(success.headers?.ETag), key).toBe(spec.success.etag);
      expect(Boolean(success.headers?.Location), key).toBe(Boolean(spec.success.location));
    }
    expect(API_OPERATIONS['POST /deals'].success.status).toBe(201);
  });

  it('documents the bidding-settings PUT: optional If-Match, 200 on replace and 201 with an ETag on create, admin only', () => {
    // Prepare
    const put = doc.paths['/accounts/{accountId}/bidding-settings'].put as Json;
    // Assess
    expect(doc.components.parameters.IfMatchToReplace.required).toBe(false);
    expect(put.responses['201'].headers.ETag).toBeDefined();
    expect(put.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/BiddingSettings' });
    expect(put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ReplaceBiddingSettingsRequest' });
    expect(put['x-dealdesk-groups']).toEqual(['admin']);
    expect(put.tags).toEqual(['accounts']);
  });

  it('documents error responses with the ErrorResponse schema, 412 with the current ETag', () => {
    const amend = doc.paths['/deals/{dealId}'].patch as Json;
    for (const status of ['400', '401', '403', '404', '409', '412', '428', '500']) {
      expect(amend.responses[status]?.content['application/json'].schema, status).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    }
    expect(amend.responses['412'].headers.ETag).toBeDefined();
    expect(amend.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AmendDealRequest' });
  });

  it('documents 429 rate_limited with Retry-After on every signed-in operation, and on no public one', () => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, operation] of Object.entries(item as Json)) {
        if (!METHODS.includes(method)) continue;
        const op = operation as Json;
        const signedIn = (op.security as unknown[]).length > 0;
        expect(op.responses['429'] !== undefined, `${method} ${path}`).toBe(signedIn);
        if (signedIn) expect(op.responses['429'].headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
      }
    }
    const errorCodes = (resolvePointer(doc, '#/components/schemas/ErrorResponse') as Json).properties.error.properties.code.enum as string[];
    expect(errorCodes).toContain('rate_limited');
  });

  it('takes title, version and server from options', () => {
    const custom = buildOpenApiDocument(undefined, { title: 'T', version: '9', serverUrl: 'https://api.example' }) as Json;
    expect(custom.info).toMatchObject({ title: 'T', version: '9' });
    expect(custom.servers).toEqual([{ url: 'https://api.example' }]);
  });
});
