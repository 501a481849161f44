import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import {
  ApprovedFieldsLockedError,
  BudgetExceededError,
  ForbiddenError,
  IllegalTransitionError,
  NotFoundError,
  PreconditionRequiredError,
  ValidationError,
  VersionConflictError,
} from '../../../shared/domain/errors.js';
import {
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RateLimitedError,
  RouteNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors.js';
import { formatETag } from '../../../shared/schemas/headers.js';

/** The wire shape of every error: `{"error": {"code", "message", ...details}}` (docs/design.md). */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export interface MappedError {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody;
  /** True when the error is not one we expect (a bug or an outage): log it with its stack. */
  unexpected: boolean;
}

export const INTERNAL_ERROR_MESSAGE = 'an internal error occurred; quote the correlation id when reporting it';

const mapped = (
  statusCode: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): MappedError => ({ statusCode, headers, body: { error: { code, message, ...details } }, unexpected: false });

/**
 * The one place that turns an error into an HTTP status and error body, by `instanceof`.
 * Anything not recognised is a 500 with a generic message: its text and stack never reach the caller.
 */
export function mapError(err: unknown): MappedError {
  // Domain errors (shared/domain/errors.ts)
  if (err instanceof ValidationError) return mapped(400, err.code, err.message, { issues: err.issues });
  if (err instanceof NotFoundError) return mapped(404, err.code, err.message);
  if (err instanceof ForbiddenError) return mapped(403, err.code, err.message);
  if (err instanceof PreconditionRequiredError) return mapped(428, err.code, err.message);
  if (err instanceof VersionConflictError) {
    return mapped(
      412,
      err.code,
      err.message,
      { currentVersion: err.currentVersion },
      { ETag: formatETag(err.currentVersion) },
    );
  }
  if (err instanceof IllegalTransitionError) {
    return mapped(409, err.code, err.message, { currentStatus: err.currentStatus });
  }
  if (err instanceof BudgetExceededError) {
    const { totalValue, allocated, available, required } = err;
    return mapped(409, err.code, err.message, { totalValue, allocated, available, required });
  }
  if (err instanceof ApprovedFieldsLockedError) {
    return mapped(409, err.code, err.message, { fields: err.fields, currentStatus: err.dealStatus });
  }

  // HTTP-layer errors (./errors.ts)
  if (err instanceof MalformedJsonError) return mapped(400, err.code, err.message);
  if (err instanceof UnsupportedMediaTypeError) return mapped(415, err.code, err.message);
  if (err instanceof PayloadTooLargeError) return mapped(413, err.code, err.message);
  if (err instanceof UnauthorizedError) {
    return mapped(401, err.code, err.message, {}, { 'WWW-Authenticate': 'Bearer' });
  }
  if (err instanceof RouteNotFoundError) return mapped(404, err.code, err.message);
  if (err instanceof MethodNotAllowedError) {
    return mapped(405, err.code, err.message, { allow: err.allow }, { Allow: err.allow.join(', ') });
  }
  if (err instanceof RateLimitedError) {
    return mapped(
      429,
      err.code,
      err.message,
      { retryAfterSeconds: err.retryAfterSeconds, limit: err.limit.requests, windowSeconds: err.limit.windowSeconds },
      { 'Retry-After': String(err.retryAfterSeconds) },
    );
  }

  // Idempotency (Powertools): same key with a different request, or the first request still running.
  if (err instanceof IdempotencyValidationError) {
    return mapped(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was already used with a different request; use a new key for a new request',
    );
  }
  if (err instanceof IdempotencyAlreadyInProgressError) {
    return mapped(
      409,
      'idempotency_in_progress',
      'a request with this Idempotency-Key is still being processed; retry later',
      {},
      { 'Retry-After': '1' },
    );
  }

  return { ...mapped(500, 'internal_error', INTERNAL_ERROR_MESSAGE), unexpected: true };
}
