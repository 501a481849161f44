import { z } from 'zod';
import { API_OPERATIONS, type ApiOperation } from './api-operations.js';
import { ERROR_STATUS, ErrorResponse } from './errors.js';

/** Loose JSON shapes: the document is data, checked by tests rather than by a typed OpenAPI model. */
type Json = Record<string, unknown>;

export interface OpenApiOptions {
  title?: string;
  version?: string;
  /** e.g. the API Gateway URL; omitted → no `servers` (clients use the document's origin). */
  serverUrl?: string;
}

const COMPONENT_REF = '#/components/schemas/';
/** Where zod puts id'd sub-schemas that were not registered themselves; folded into components below. */
const SHARED_REF = `${COMPONENT_REF}__shared#/$defs/`;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (validation_failed, malformed_json); issues name each bad field',
  401: 'Missing or invalid bearer token',
  403: "The caller's groups or accounts do not allow this",
  404: 'Not found, or not visible to the caller',
  405: 'The path exists under another method (see Allow)',
  409: 'illegal_transition (names currentStatus), field_locked (names fields and the deal status), budget_exceeded (names totalValue, allocated, available, required) or idempotency_in_progress',
  412: 'version_conflict: If-Match is stale; body has currentVersion, ETag the current version',
  413: 'Body too large',
  415: 'Body is not application/json',
  422: 'idempotency_key_reused with a different body',
  428: 'If-Match is required',
  429: 'rate_limited: this caller made as many requests as its window allows; retry after Retry-After seconds',
  500: 'Internal error (generic message)',
};

/**
 * Builds the OpenAPI 3.1.0 document from the same zod schemas the handlers validate with, via zod 4's
 * native JSON Schema output (draft 2020-12, the dialect OpenAPI 3.1 uses). Request schemas are
 * rendered as input types (defaults optional, coercions as received).
 */
export function buildOpenApiDocument(
  routes: readonly ApiOperation[] = Object.values(API_OPERATIONS),
  options: OpenApiOptions = {},
): Json {
  const documented = routes.filter((r) => r.documented);
  const { schemas, paramSchemas } = renderSchemas(documented);

  const paths: Record<string, Json> = {};
  for (const op of documented) {
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = renderOperation(op, paramSchemas);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'dealdesk API',
      version: options.version ?? '0.1.0',
      description: 'Deals and campaigns of the dealdesk platform. Errors use ErrorResponse; money is integer minor units.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      parameters: {
        IfMatch: {
          name: 'If-Match',
          in: 'header',
          required: true,
          description: 'Current version as an ETag, e.g. "3" (quotes optional, W/ tolerated). Missing → 428, stale → 412.',
          schema: { type: 'string' },
        },
        IfMatchToReplace: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'Omit to create the resource when it does not exist; the current version, e.g. "3", to replace it (428 without it, 412 when stale).',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Retries with the same key and body get the first answer; a different body is 422.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      headers: {
        ETag: { description: 'Entity version, e.g. "3"; send it back as If-Match', schema: { type: 'string' } },
        Location: { description: 'URL path of the created entity', schema: { type: 'string' } },
        Allow: { description: 'Methods the path supports', schema: { type: 'string' } },
        RetryAfter: { description: 'Seconds until the caller may send again', schema: { type: 'integer', minimum: 1 } },
      },
    },
  };
}

interface Rendered {
  schemas: Record<string, Json>;
  /** Per parameter-object schema: the JSON Schema of each of its properties, and which are required. */
  paramSchemas: Map<z.ZodObject, { properties: Record<string, Json>; required: string[] }>;
}

/** Renders every body/response schema (by its meta id) and every parameter object in one pass so $refs line up. */
function renderSchemas(routes: readonly ApiOperation[]): Rendered {
  const registry = z.registry<{ id: string }>();
  const register = (schema: z.ZodType, fallbackId?: string): void => {
    if (registry.has(schema)) return;
    const id = (z.globalRegistry.get(schema)?.id as string | undefined) ?? fallbackId;
    if (!id) throw new Error('every request body and response schema needs .meta({ id })');
    registry.add(schema, { id });
  };

  register(ErrorResponse);
  const paramObjects: z.ZodObject[] = [];
  for (const op of routes) {
    if (op.body) register(op.body);
    register(op.success.schema);
    for (const params of [op.pathParams, op.query]) {
      if (params && !paramObjects.includes(params)) {
        paramObjects.push(params);
        register(params, `__params${paramObjects.length}`);
      }
    }
  }

  const rendered = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `${COMPONENT_REF}${id}`,
  }) as { schemas: Record<string, Json> };

  const all = rewriteSharedRefs(rendered.schemas) as Record<string, Json>;
  const { __shared: shared, ...own } = all;
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries({ ...own, ...((shared?.$defs as Record<string, Json> | undefined) ?? {}) })) {
    // `$id`/`$schema` per component are noise inside an OpenAPI document (and a fragment `$id` is invalid).
    const { $id: _id, $schema: _schema, ...body } = schema;
    schemas[id] = body;
  }

  const paramSchemas: Rendered['paramSchemas'] = new Map();
  for (const params of paramObjects) {
    const id = registry.get(params)!.id;
    const schema = schemas[id]!;
    delete schemas[id];
    paramSchemas.set(params, {
      properties: (schema.properties as Record<string, Json> | undefined) ?? {},
      required: (schema.required as string[] | undefined) ?? [],
    });
  }
  return { schemas, paramSchemas };
}

/** `#/components/schemas/__shared#/$defs/Money` → `#/components/schemas/Money`. */
function rewriteSharedRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteSharedRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' ? child.replace(SHARED_REF, COMPONENT_REF) : rewriteSharedRefs(child);
  }
  return out;
}

function ref(id: string): Json {
  return { $ref: `${COMPONENT_REF}${id}` };
}

function schemaId(schema: z.ZodType): string {
  return z.globalRegistry.get(schema)!.id as string;
}

function renderOperation(op: ApiOperation, paramSchemas: Rendered['paramSchemas']): Json {
  const parameters: Json[] = [];
  for (const [location, params] of [['path', op.pathParams], ['query', op.query]] as const) {
    if (!params) continue;
    const { properties, required } = paramSchemas.get(params)!;
    for (const [name, schema] of Object.entries(properties)) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: location,
        required: location === 'path' || required.includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  if (op.requiresIfMatch === 'to-replace') parameters.push({ $ref: '#/components/parameters/IfMatchToReplace' });
  else if (op.requiresIfMatch) parameters.push({ $ref: '#/components/parameters/IfMatch' });
  if (op.acceptsIdempotencyKey) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });

  const successHeaders: Json = {};
  if (op.success.etag) successHeaders.ETag = { $ref: '#/components/headers/ETag' };
  if (op.success.location) successHeaders.Location = { $ref: '#/components/headers/Location' };

  const responses: Json = {
    [String(op.success.status)]: {
      description: op.success.description,
      ...(Object.keys(successHeaders).length > 0 ? { headers: successHeaders } : {}),
      content: { 'application/json': { schema: ref(schemaId(op.success.schema)) } },
    },
  };
  if (op.success.created) {
    responses['201'] = {
      description: op.success.created.description,
      headers: { ETag: { $ref: '#/components/headers/ETag' } },
      content: { 'application/json': { schema: ref(schemaId(op.success.schema)) } },
    };
  }
  // Every signed-in route counts its caller's requests (functions/api/http/rate-limit.ts).
  const errors = op.auth === 'jwt' && !op.errors.includes(429) ? [...op.errors, 429] : op.errors;
  for (const status of errors) {
    const headers =
      status === 412
        ? { ETag: { $ref: '#/components/headers/ETag' } }
        : status === 405
          ? { Allow: { $ref: '#/components/headers/Allow' } }
          : status === 429
            ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } }
            : undefined;
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? errorCodesFor(status).join(', '),
      ...(headers ? { headers } : {}),
      content: { 'application/json': { schema: ref('ErrorResponse') } },
    };
  }

  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [tagOf(op.path)],
    security: op.auth === 'jwt' ? [{ bearerAuth: [] }] : [],
    'x-dealdesk-groups': op.groups === 'any' ? ['any'] : [...new Set([...op.groups, ...(op.auth === 'jwt' ? ['admin'] : [])])],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(schemaId(op.body)) } } } }
      : {}),
    responses,
  };
}

function tagOf(path: string): string {
  if (path.startsWith('/deals/{dealId}/campaigns')) return 'campaigns';
  if (path.startsWith('/deals')) return 'deals';
  if (path.startsWith('/accounts')) return 'accounts';
  return 'meta';
}

function errorCodesFor(status: number): string[] {
  return Object.entries(ERROR_STATUS)
    .filter(([, s]) => s === status)
    .map(([code]) => code);
}
