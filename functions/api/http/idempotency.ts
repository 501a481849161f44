import { createHash } from 'node:crypto';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CreationRequest } from '../../../shared/ports/deal-repository.js';
import type { ApiEvent } from './types.js';

/**
 * The idempotency key: only when the caller sent `Idempotency-Key`, scoped to the caller (JWT `sub`), so
 * two users choosing the same key never see each other's responses. Without the header the expression is
 * null and Powertools skips idempotency for that request. (API Gateway lower-cases header names.)
 * The record key is additionally prefixed with the route name (see `keyPrefix`).
 */
export const IDEMPOTENCY_KEY_JMESPATH =
  `headers."idempotency-key" && join(':', [requestContext.authorizer.jwt.claims.sub, headers."idempotency-key"])`;

/**
 * What must be identical for a retry to count as the same request: method, path (which deal), the
 * If-Match precondition and the raw body. The same key with any of these different → 422.
 */
export const IDEMPOTENCY_PAYLOAD_JMESPATH = `[requestContext.http.method, rawPath, headers."if-match", body]`;

/** Stored responses are replayed for 24 hours. */
export const IDEMPOTENCY_EXPIRES_AFTER_SECONDS = 24 * 60 * 60;

/**
 * What a create under an Idempotency-Key records with the entity it creates (DealRepository's
 * CreationRequest), so that a retry finds that entity even when the idempotency record cannot answer.
 * Powertools lets a retry run the handler again once an in-progress record outlives the invocation that
 * wrote it (`in_progress_expiration` is that invocation's remaining time), which is what happens when
 * storing the response failed or the function died after the write; the record itself lives 24 h.
 * `scope` hashes what the record key holds (route, caller, key); `fingerprint` hashes what
 * IDEMPOTENCY_PAYLOAD_JMESPATH compares. Undefined without the header.
 */
export function creationRequest(
  routeName: string,
  request: { event: ApiEvent; headers: Record<string, string>; actor: { userId: string } },
): CreationRequest | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  const { event, headers } = request;
  return {
    scope: sha256([routeName, request.actor.userId, key]),
    fingerprint: sha256([event.requestContext.http.method, event.rawPath, headers['if-match'] ?? null, event.body ?? null]),
  };
}

const sha256 = (parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export interface IdempotencyOptions {
  /** Route name; prefixes every record key so two routes never share a record. */
  routeName: string;
  persistenceStore: BasePersistenceLayer;
  logger: Logger;
  /** Header name for the caller's correlation id, set on replays too. */
  correlationHeader: { name: string; value: (request: Request<ApiEvent>) => string | undefined };
}

type Response = APIGatewayProxyStructuredResultV2;
const BEFORE_DONE = 'dealdesk.idempotency.beforeDone';

const isSuccess = (response: unknown): boolean => {
  const status = (response as Response | undefined)?.statusCode;
  return typeof status === 'number' && status >= 200 && status < 300;
};

/**
 * Powertools' makeHandlerIdempotent with three corrections for an HTTP API:
 *
 * 1. Only 2xx responses are stored. Powertools stores whatever the handler returns; a returned 4xx/5xx
 *    would otherwise become the permanent answer to every retry. A non-2xx drops the in-progress record.
 * 2. When Powertools' own `before` refuses the request (key reused with another payload → 422, or still
 *    in progress → 409), its `onError` must not run: it would delete the record that belongs to the
 *    *first* request (the completed response, or another invocation's in-progress lock).
 * 3. A replay is the first response unchanged (status, body, ETag, Location), plus this request's
 *    correlation id and `Idempotent-Replayed: true`.
 *
 * Errors thrown by the handler reach `onError`, which deletes the in-progress record so a retry runs
 * again; the error itself is mapped to a response by the outer http-response middleware. If storing a
 * successful response fails, the caller still gets that response (the write happened) and it is logged.
 */
export function idempotency(options: IdempotencyOptions): MiddlewareObj<ApiEvent, Response> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: IDEMPOTENCY_KEY_JMESPATH,
    payloadValidationJmesPath: IDEMPOTENCY_PAYLOAD_JMESPATH,
    expiresAfterSeconds: IDEMPOTENCY_EXPIRES_AFTER_SECONDS,
    throwOnNoIdempotencyKey: false,
  });
  const inner = makeHandlerIdempotent({
    persistenceStore: options.persistenceStore,
    config,
    keyPrefix: options.routeName,
  });
  const internal = (request: Request<ApiEvent>) => request.internal as Record<string, unknown>;

  return {
    name: 'idempotency',
    before: async (request) => {
      const replay = (await inner.before?.(request as never)) as Response | undefined;
      internal(request)[BEFORE_DONE] = true;
      if (replay === undefined) return undefined;
      const correlationId = options.correlationHeader.value(request);
      return {
        ...replay,
        headers: {
          ...replay.headers,
          ...(correlationId ? { [options.correlationHeader.name]: correlationId } : {}),
          'Idempotent-Replayed': 'true',
        },
      } satisfies Response;
    },
    after: async (request) => {
      if (!isSuccess(request.response)) {
        await releaseRecord(request);
        return;
      }
      try {
        await inner.after?.(request as never);
      } catch (error) {
        // The write is committed: answering 500 would invite a retry that repeats it. The record stays
        // in progress until the invocation's deadline, after which a retry runs the handler again: creates
        // then find their creation record (creationRequest), other POSTs meet their If-Match. Log loudly.
        options.logger.error('could not store the idempotent response', { error });
      }
    },
    onError: async (request) => {
      if (internal(request)[BEFORE_DONE] !== true) return;
      await releaseRecord(request);
    },
  };

  async function releaseRecord(request: Request<ApiEvent, Response>): Promise<void> {
    try {
      await inner.onError?.(request as never);
    } catch (error) {
      // The record expires on its own; failing the caller's request over it would help nobody.
      options.logger.warn('could not release idempotency record', { error });
    }
  }
}
