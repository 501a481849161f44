import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { assertMayAct, type AccessAction } from '../../../shared/domain/access.js';
import type { Actor, ChangeContext } from '../../../shared/domain/actor.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../../shared/schemas/headers.js';
import { parseOrThrow } from '../../../shared/schemas/parse.js';
import type { ClientRateLimiter } from '../../../shared/ports/client-rate-limiter.js';
import { mapError } from './error-mapper.js';
import { UnauthorizedError } from './errors.js';
import { idempotency } from './idempotency.js';
import { actorFromClaims, type JwtClaims } from './identity.js';
import { clientRateLimit } from './rate-limit.js';
import {
  assertJsonContentType,
  decodeBody,
  definedValues,
  lowerCaseHeaders,
  parseJson,
  pickCorrelationId,
} from './request.js';
import { CORRELATION_HEADER, JSON_HEADERS, toApiResponse, withCorrelationId, type HttpResult } from './response.js';
import type { ApiEvent, ApiResponse } from './types.js';

export { MAX_BODY_BYTES } from './request.js';
export type { HttpResult } from './response.js';


/** Who may call the route: nobody needs to sign in ('public'), or an action from shared/domain/access.ts. */
export type Access = 'public' | AccessAction;

/** What every handler may be given; tests pass fakes, the deployed entry passes the real things. */
export interface HttpDeps {
  clock: () => Date;
  /** Required for `idempotent` routes. */
  idempotencyStore?: BasePersistenceLayer | undefined;
  /** Required for every route that is not public: each caller's requests per window. */
  rateLimiter?: ClientRateLimiter | undefined;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

export interface RequestInfo<A extends Access> {
  correlationId: string;
  sourceIp: string;
  userAgent: string;
  lambda: Context;
  /** Who, where and when, for the audit entry; stamped with deps.clock() once per request. */
  change: A extends 'public' ? undefined : ChangeContext;
}

export interface HandlerInput<B, Q, P, D, A extends Access> {
  body: B;
  query: Q;
  /** Parsed by the `params` schema when given, else the raw strings. */
  pathParameters: P;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  actor: A extends 'public' ? undefined : Actor;
  context: RequestInfo<A>;
  deps: D;
  event: ApiEvent;
}

type Out<S, Otherwise> = S extends z.ZodType ? z.output<S> : Otherwise;

export interface HttpHandlerSpec<
  D extends HttpDeps,
  A extends Access,
  BS extends z.ZodType | undefined,
  QS extends z.ZodType | undefined,
  PS extends z.ZodType | undefined,
> {
  /** Route name, e.g. "deals.create": metric dimension, log key and idempotency key prefix. */
  name: string;
  access: A;
  body?: BS;
  query?: QS;
  params?: PS;
  /** Honour `Idempotency-Key` (every POST). */
  idempotent?: boolean;
  handle: (input: HandlerInput<Out<BS, undefined>, Out<QS, undefined>, Out<PS, Record<string, string>>, D, A>) => Promise<HttpResult>;
}

interface RequestState {
  correlationId: string;
  /** deps.clock() read once per request (the rate limit's window and the audit entry's time agree). */
  receivedAt?: Date;
  headers: Record<string, string>;
  actor?: Actor;
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

/**
 * Builds a Lambda handler for one API route: the whole middy chain, so the route module only says what
 * it needs (body/query schema, access, idempotency) and what it does.
 *
 * Order (before: top → bottom; after/onError: bottom → top):
 *   1. Logger (clearState, correlation id)   2. Metrics (EMF, route dimension)
 *   3. http-response: correlation id, request/error counts, the one error mapper, JSON response headers
 *   4. authenticate: Actor from JWT claims (401)
 *   5. client-rate-limit: the caller's requests per window (429 with Retry-After; fails open)
 *   6. authorize: role gate (403)
 *   7. body: size (413), Content-Type (415), base64 decoding, JSON (400 malformed_json)
 *   8. validate: zod → ValidationError (400 with issues), Idempotency-Key shape
 *   9. idempotency (POSTs): replay, 422 key reused, 409 in progress; stores 2xx only
 */
export function httpHandler<
  D extends HttpDeps,
  A extends Access,
  BS extends z.ZodType | undefined = undefined,
  QS extends z.ZodType | undefined = undefined,
  PS extends z.ZodType | undefined = undefined,
>(spec: HttpHandlerSpec<D, A, BS, QS, PS>, deps: D) {
  const logger =
    deps.logger ?? new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-api', persistentKeys: { route: spec.name } });
  const metrics =
    deps.metrics ??
    new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dealdesk',
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-api',
      defaultDimensions: { route: spec.name },
    });
  if (spec.idempotent && !deps.idempotencyStore) {
    throw new Error(`route ${spec.name} is idempotent but no idempotency store was configured`);
  }
  if (spec.access !== 'public' && !deps.rateLimiter) {
    throw new Error(`route ${spec.name} needs a signed-in caller but no client rate limiter was configured`);
  }
  const states = new WeakMap<ApiEvent, RequestState>();
  const stateOf = (event: ApiEvent): RequestState => {
    const state = states.get(event);
    if (!state) throw new Error('request state missing: the http-response middleware did not run');
    return state;
  };
  const receivedAt = (event: ApiEvent): Date => {
    const state = stateOf(event);
    return (state.receivedAt ??= deps.clock());
  };

  const core = async (event: ApiEvent, lambda: Context): Promise<ApiResponse> => {
    const state = stateOf(event);
    const authenticated = spec.access !== 'public';
    const requestContext = event.requestContext;
    const info = {
      correlationId: state.correlationId,
      sourceIp: requestContext.http?.sourceIp ?? 'unknown',
      userAgent: state.headers['user-agent'] ?? requestContext.http?.userAgent ?? 'unknown',
    };
    const change: ChangeContext | undefined =
      authenticated && state.actor ? { actor: state.actor, ...info, at: receivedAt(event).toISOString() } : undefined;
    const result = await spec.handle({
      body: state.body,
      query: state.query,
      pathParameters: state.params,
      headers: state.headers,
      actor: state.actor,
      context: { ...info, lambda, change },
      deps,
      event,
    } as Parameters<typeof spec.handle>[0]);
    return toApiResponse(result);
  };

  const httpResponse: MiddlewareObj<ApiEvent, ApiResponse> = {
    name: 'http-response',
    before: (request) => {
      const headers = lowerCaseHeaders(request.event.headers);
      const correlationId = pickCorrelationId(request.event, request.context, headers);
      states.set(request.event, { correlationId, headers });
      logger.setCorrelationId(correlationId);
      logger.appendKeys({ method: request.event.requestContext.http?.method, path: request.event.rawPath });
      metrics.addMetric('Requests', MetricUnit.Count, 1);
    },
    after: (request) => {
      const response = request.response ?? toApiResponse({ statusCode: 204 });
      request.response = withCorrelationId(response, states.get(request.event)?.correlationId);
      countOutcome(response.statusCode ?? 200);
    },
    onError: (request) => {
      const failure = mapError(request.error);
      if (failure.unexpected) {
        logger.error('unhandled error', request.error as Error);
      } else {
        logger.info('request refused', { status: failure.statusCode, code: failure.body.error.code, reason: failure.body.error.message });
      }
      countOutcome(failure.statusCode);
      const correlationId = states.get(request.event)?.correlationId;
      // Set, not returned: returning would stop middy's onError chain before the Metrics and Logger
      // middlewares flush and clear their state.
      request.response = withCorrelationId(
        { statusCode: failure.statusCode, headers: { ...JSON_HEADERS, ...failure.headers }, body: JSON.stringify(failure.body) },
        correlationId,
      );
    },
  };

  function countOutcome(status: number): void {
    if (status >= 500) metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
    else if (status >= 400) metrics.addMetric('ClientErrors', MetricUnit.Count, 1);
  }

  const authenticate: MiddlewareObj<ApiEvent, ApiResponse> = {
    name: 'authenticate',
    before: (request) => {
      if (spec.access === 'public') return;
      const actor = actorFromClaims(request.event.requestContext.authorizer?.jwt?.claims as JwtClaims | undefined);
      stateOf(request.event).actor = actor;
      logger.appendKeys({ userId: actor.userId });
    },
  };

  const authorize: MiddlewareObj<ApiEvent, ApiResponse> = {
    name: 'authorize',
    before: (request) => {
      if (spec.access === 'public') return;
      const actor = stateOf(request.event).actor;
      if (!actor) throw new UnauthorizedError();
      assertMayAct(actor, spec.access);
    },
  };

  const bodyParser: MiddlewareObj<ApiEvent, ApiResponse> = {
    name: 'json-body',
    before: (request) => {
      const state = stateOf(request.event);
      const raw = decodeBody(request.event);
      if (spec.body === undefined || raw === undefined || raw.length === 0) return;
      assertJsonContentType(state.headers['content-type']);
      state.body = parseJson(raw);
    },
  };

  const validate: MiddlewareObj<ApiEvent, ApiResponse> = {
    name: 'validate',
    before: (request) => {
      const state = stateOf(request.event);
      if (spec.body) state.body = parseOrThrow(spec.body, state.body);
      const params = definedValues(request.event.pathParameters);
      state.params = spec.params ? parseOrThrow(spec.params, params) : params;
      if (spec.query) state.query = parseOrThrow(spec.query, definedValues(request.event.queryStringParameters));
      const key = state.headers['idempotency-key'];
      if (spec.idempotent && key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be 1..255 visible ASCII characters' }]);
      }
    },
  };

  const chain = middy<ApiEvent, ApiResponse>(core)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(httpResponse)
    .use(authenticate);
  if (spec.access !== 'public' && deps.rateLimiter) {
    chain.use(
      clientRateLimit({
        limiter: deps.rateLimiter,
        requestTime: receivedAt,
        metrics,
        logger,
        callerOf: (event) => states.get(event)?.actor?.userId,
      }),
    );
  }
  chain.use(authorize).use(bodyParser).use(validate);
  if (spec.idempotent && deps.idempotencyStore) {
    chain.use(
      idempotency({
        routeName: spec.name,
        persistenceStore: deps.idempotencyStore,
        logger,
        correlationHeader: { name: CORRELATION_HEADER, value: (request) => states.get(request.event)?.correlationId },
      }),
    );
  }
  return chain;
}

