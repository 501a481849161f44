import type { Context } from 'aws-lambda';
import type { ApiEvent } from '../../../../functions/api/http/types.js';

export interface Caller {
  sub: string;
  groups?: string[];
  accountIds?: string[];
}

export const DEAL_MANAGER: Caller = { sub: 'user-dm', groups: ['deal_manager'], accountIds: ['acct-demo'] };
export const CAMPAIGN_MANAGER: Caller = { sub: 'user-cm', groups: ['campaign_manager'], accountIds: ['acct-demo'] };
export const FINANCE: Caller = { sub: 'user-fin', groups: ['finance'], accountIds: ['acct-demo'] };
export const OTHER_ACCOUNT_MANAGER: Caller = { sub: 'user-other', groups: ['deal_manager'], accountIds: ['acct-other'] };
export const ADMIN: Caller = { sub: 'user-admin', groups: ['admin'], accountIds: [] };

export interface EventOptions {
  /** Route key as API Gateway names it, e.g. "POST /deals" or "GET /deals/{dealId}". */
  routeKey: string;
  /** The request's method when the route key says ANY. */
  method?: string;
  /** The concrete path; defaults to the route key's path with pathParameters filled in. */
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** Added or overriding headers; undefined removes a default one (e.g. content-type). */
  headers?: Record<string, string | undefined>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  isBase64Encoded?: boolean;
  /** undefined → no authorizer at all (public route or an unauthenticated call). */
  caller?: Caller | undefined;
  /** Extra or overriding claims, as API Gateway would hand them over (strings). */
  claims?: Record<string, string>;
  requestId?: string;
  sourceIp?: string;
}

let requestCounter = 0;

/**
 * A payload format 2.0 event as API Gateway HTTP API builds it: lower-cased header names, a
 * requestContext with http.method/path/sourceIp, and JWT claims stringified the way API Gateway does
 * (`cognito:groups` as "[a b]", custom attributes as plain strings).
 */
export function apiEvent(options: EventOptions): ApiEvent {
  const [routeMethod = 'GET', template = '/'] = options.routeKey.split(' ');
  const method = options.method ?? routeMethod;
  const path =
    options.path ??
    template.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => encodeURIComponent(options.pathParameters?.[name] ?? ''));
  const body =
    options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'unit-test/1.0',
    'x-forwarded-for': options.sourceIp ?? '203.0.113.7',
    ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name.toLowerCase()];
    else headers[name.toLowerCase()] = value;
  }
  const requestId = options.requestId ?? `req-${++requestCounter}`;
  const query = options.query;
  const claims = options.caller ? { ...claimsOf(options.caller), ...options.claims } : options.claims;

  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    ...(body !== undefined ? { body: options.isBase64Encoded ? Buffer.from(body).toString('base64') : body } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '203.0.113.7',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: options.routeKey,
      stage: '$default',
      time: '22/Nov/2026:04:12:00 +0000',
      timeEpoch: 1795407120000,
      ...(claims
        ? {
            authorizer: {
              principalId: '',
              integrationLatency: 0,
              jwt: { claims, scopes: [] },
            },
          }
        : {}),
    },
  } as ApiEvent;
}

/** Claims the way API Gateway HTTP API passes a Cognito ID token's claims to Lambda. */
export function claimsOf(caller: Caller): Record<string, string> {
  return {
    sub: caller.sub,
    iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_unit',
    aud: 'unit-client-id',
    token_use: 'id',
    auth_time: '1795407000',
    exp: '1795410600',
    iat: '1795407000',
    'cognito:username': caller.sub,
    ...(caller.groups ? { 'cognito:groups': `[${caller.groups.join(' ')}]` } : {}),
    ...(caller.accountIds ? { 'custom:account_ids': caller.accountIds.join(',') } : {}),
  };
}

/** A Lambda context with a deadline (Powertools idempotency uses it for the in-progress expiry). */
export function lambdaContext(functionName = 'dealdesk-api-unit'): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `aws-req-${++requestCounter}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/22/[$LATEST]unit',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
