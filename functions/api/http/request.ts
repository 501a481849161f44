import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
import type { ApiEvent } from './types.js';

/** Largest accepted request body (decoded bytes). */
export const MAX_BODY_BYTES = 256 * 1024;
/** What a caller-supplied x-correlation-id may look like (anything else is ignored: no log injection). */
const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The caller's x-correlation-id when well-formed, else API Gateway's request id. */
export function pickCorrelationId(event: ApiEvent, context: Context, headers: Record<string, string>): string {
  const fromCaller = headers['x-correlation-id'];
  if (fromCaller !== undefined && CORRELATION_ID_PATTERN.test(fromCaller)) return fromCaller;
  return event.requestContext?.requestId || context.awsRequestId || randomUUID();
}

export function lowerCaseHeaders(headers: ApiEvent['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

export function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record ?? {})) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The body as text (base64 decoded); 413 when the decoded body is over MAX_BODY_BYTES. */
export function decodeBody(event: ApiEvent): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  return bytes.toString('utf8');
}

/** application/json, optionally with `charset=utf-8`; anything else (or nothing) → 415. */
export function assertJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined) throw new UnsupportedMediaTypeError(undefined);
  const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (mediaType !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new UnsupportedMediaTypeError(contentType);
  }
}

/** JSON.parse, with a syntax error reported as 400 malformed_json. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(error instanceof SyntaxError ? error.message : undefined);
  }
}
