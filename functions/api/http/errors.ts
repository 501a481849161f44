/**
 * Errors raised by the HTTP layer itself (transport concerns, not business rules).
 * Like the domain errors, each maps to exactly one status in error-mapper.ts.
 */
export abstract class HttpLayerError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The body is not valid JSON. → 400 malformed_json */
export class MalformedJsonError extends HttpLayerError {
  readonly code = 'malformed_json';
  constructor(detail?: string) {
    super(detail ? `request body is not valid JSON: ${detail}` : 'request body is not valid JSON');
  }
}

/** A route with a body got a Content-Type other than application/json. → 415 */
export class UnsupportedMediaTypeError extends HttpLayerError {
  readonly code = 'unsupported_media_type';
  constructor(readonly contentType: string | undefined) {
    super(
      contentType
        ? `Content-Type ${contentType} is not supported; send application/json`
        : 'Content-Type header is required; send application/json',
    );
  }
}

/** The body exceeds the size limit. → 413 */
export class PayloadTooLargeError extends HttpLayerError {
  readonly code = 'payload_too_large';
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
  }
}

/** No verified caller identity on a route that needs one. → 401 */
export class UnauthorizedError extends HttpLayerError {
  readonly code = 'unauthorized';
  constructor(message = 'authentication required') {
    super(message);
  }
}

/** The path exists, but not for this method. → 405 with Allow */
export class MethodNotAllowedError extends HttpLayerError {
  readonly code = 'method_not_allowed';
  constructor(readonly method: string, readonly path: string, readonly allow: string[]) {
    super(`method ${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
  }
}

/** No route matches the path. → 404 not_found (same code as a missing entity). */
export class RouteNotFoundError extends HttpLayerError {
  readonly code = 'not_found';
  constructor(readonly method: string, readonly path: string) {
    super(`no route for ${method} ${path}`);
  }
}

/** The caller made as many requests as its window allows. → 429 with Retry-After */
export class RateLimitedError extends HttpLayerError {
  readonly code = 'rate_limited';
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: { readonly requests: number; readonly windowSeconds: number },
  ) {
    super(
      `too many requests: each caller may make ${limit.requests} per ${limit.windowSeconds} s; retry after ${retryAfterSeconds} s`,
    );
  }
}
