import { formatETag } from '../../../shared/schemas/headers.js';
import type { ApiResponse } from './types.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/** What a route handler returns; the chain turns it into an API Gateway response. */
export interface HttpResult {
  /** Default 200. */
  statusCode?: number;
  /** Serialised as JSON; omit for no body. */
  body?: unknown;
  /** The entity version, sent as `ETag: "<version>"`. */
  etag?: number;
  /** For 201: where the new entity lives. */
  location?: string;
  headers?: Record<string, string>;
}

export const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

export function toApiResponse(result: HttpResult): ApiResponse {
  const headers: Record<string, string> = { ...JSON_HEADERS, ...result.headers };
  if (result.etag !== undefined) headers.ETag = formatETag(result.etag);
  if (result.location !== undefined) headers.Location = result.location;
  const response: ApiResponse = { statusCode: result.statusCode ?? 200, headers };
  if (result.body !== undefined) response.body = JSON.stringify(result.body);
  return response;
}

export function withCorrelationId(response: ApiResponse, correlationId: string | undefined): ApiResponse {
  if (!correlationId) return response;
  return { ...response, headers: { ...response.headers, [CORRELATION_HEADER]: correlationId } };
}
