/**
 * API Gateway HTTP API payload format 2.0: building the Lambda event from an HTTP request, and turning
 * the function's result into the HTTP response the way API Gateway interprets it.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface IncomingRequest {
  method: string;
  /** Path and query exactly as received, e.g. "/deals?limit=2". */
  url: string;
  /** Node's rawHeaders: [name, value, name, value, …] */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** e.g. "HTTP/1.1" */
  protocol: string;
}

export interface EventContext {
  routeKey: string;
  pathParameters: Record<string, string>;
  authorizer?: { claims: Record<string, string>; scopes: string[] | null };
  requestId: string;
  apiId: string;
  accountId: string;
  /** Host the API was called on (domainName). */
  domainName?: string;
  now?: Date;
  /** For x-forwarded-port. */
  port?: number;
}

/** The 2.0 event, with `authorizer` absent on routes without authorization. */
export type HttpApiEventV2 = Omit<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'> & {
  requestContext: Omit<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'> & {
    authorizer?: { jwt: { claims: Record<string, string>; scopes: string[] | null } };
  };
};

const TEXT_TYPES = [
  /^text\//i,
  /^application\/(.+\+)?json\b/i,
  /^application\/(.+\+)?xml\b/i,
  /^application\/(x-)?javascript\b/i,
  /^application\/x-www-form-urlencoded\b/i,
  /^application\/graphql\b/i,
  /^application\/yaml\b/i,
];

/** Whether API Gateway passes a body of this content type as text (otherwise base64). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return TEXT_TYPES.some((re) => re.test(contentType.trim()));
}

/** Lower-cased header names, repeated headers comma-joined (as format 2.0 does). */
export function combineHeaders(rawHeaders: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** requestContext.time, e.g. "12/Mar/2020:19:03:58 +0000". */
export function formatRequestTime(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** An id shaped like API Gateway's (e.g. "Mc7UVioPPHcEKPA="). */
export function newRequestId(): string {
  return randomBytes(11).toString('base64');
}

export function newTraceId(now = Date.now()): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function parseQuery(raw: string): Record<string, string> | undefined {
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decode(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : decode(pair.slice(eq + 1));
    out[k] = k in out ? `${out[k]},${v}` : v;
  }
  return Object.keys(out).length ? out : undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function buildEventV2(req: IncomingRequest, ctx: EventContext): HttpApiEventV2 {
  const now = ctx.now ?? new Date();
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQueryString = q < 0 ? '' : req.url.slice(q + 1);
  const headers = combineHeaders(req.rawHeaders);
  let cookies: string[] | undefined;
  if ('cookie' in headers) {
    const list: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() !== 'cookie') continue;
      list.push(...req.rawHeaders[i + 1]!.split(';').map((c) => c.trim()).filter(Boolean));
    }
    cookies = list;
    delete headers.cookie;
  }
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${req.sourceIp}` : req.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  if (ctx.port !== undefined) headers['x-forwarded-port'] ??= String(ctx.port);
  headers['x-amzn-trace-id'] ??= newTraceId(now.getTime());
  if (req.body.length > 0) headers['content-length'] ??= String(req.body.length);

  const domainName = ctx.domainName ?? headers.host ?? `${ctx.apiId}.execute-api.local`;
  const event: HttpApiEventV2 = {
    version: '2.0',
    routeKey: ctx.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      ...(ctx.authorizer ? { authorizer: { jwt: { claims: ctx.authorizer.claims, scopes: ctx.authorizer.scopes } } } : {}),
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method: req.method.toUpperCase(),
        path: rawPath,
        protocol: req.protocol,
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: ctx.requestId,
      routeKey: ctx.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  } as HttpApiEventV2;
  const query = parseQuery(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (Object.keys(ctx.pathParameters).length > 0) event.pathParameters = ctx.pathParameters;
  if (req.body.length > 0) {
    const text = isTextContentType(headers['content-type']);
    event.body = text ? req.body.toString('utf8') : req.body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

export interface HttpResponse {
  statusCode: number;
  /** Pairs, so that set-cookie can repeat. */
  headers: [string, string][];
  body: Buffer;
}

export class InvalidIntegrationResponse extends Error {}

function jsonResponse(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(body)) };
}

export const GATEWAY_RESPONSES = {
  notFound: () => jsonResponse(404, { message: 'Not Found' }),
  unauthorized: () => jsonResponse(401, { message: 'Unauthorized' }),
  forbidden: () => jsonResponse(403, { message: 'Forbidden' }),
  internalError: () => jsonResponse(500, { message: 'Internal Server Error' }),
  serviceUnavailable: () => jsonResponse(503, { message: 'Service Unavailable' }),
  tooLarge: () => jsonResponse(413, { message: 'Request Entity Too Large' }),
};

/**
 * Interprets a format-2.0 Lambda result: an object with `statusCode` is a response; anything else
 * (an object without statusCode, a string, a number) becomes a 200 application/json whose body is
 * the result (a string as is, anything else as JSON).
 */
export function mapResultV2(result: unknown): HttpResponse {
  const isResponse = result !== null && typeof result === 'object' && !Array.isArray(result) && 'statusCode' in result;
  if (!isResponse) {
    const body = typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
    return { statusCode: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const r = result as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    cookies?: unknown[];
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  const statusCode = Number(r.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new InvalidIntegrationResponse(`invalid statusCode ${JSON.stringify(r.statusCode)}`);
  }
  const headers: [string, string][] = [];
  const seen = new Set<string>();
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    if (v === undefined || v === null) continue;
    headers.push([k.toLowerCase(), String(v)]);
    seen.add(k.toLowerCase());
  }
  for (const [k, vs] of Object.entries(r.multiValueHeaders ?? {})) {
    if (!Array.isArray(vs)) continue;
    const name = k.toLowerCase();
    if (seen.has(name)) continue;
    if (name === 'set-cookie') for (const v of vs) headers.push([name, String(v)]);
    else headers.push([name, vs.map(String).join(',')]);
  }
  for (const c of r.cookies ?? []) headers.push(['set-cookie', String(c)]);
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body !== 'string') throw new InvalidIntegrationResponse('body must be a string');
  else body = r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  return { statusCode, headers, body };
}
