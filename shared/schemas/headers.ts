import { PreconditionRequiredError, ValidationError } from '../domain/errors.js';

/** `ETag: "3"` for version 3: a strong tag holding the entity version. */
export function formatETag(version: number): string {
  return `"${version}"`;
}

/**
 * The version named by an If-Match header. Accepts `"3"`, `3` and `W/"3"` (proxies may weaken tags).
 * Missing → PreconditionRequiredError (428); anything else → ValidationError naming "If-Match" (400).
 */
export function parseIfMatch(header: string | undefined): number {
  if (header === undefined || header.trim() === '') throw new PreconditionRequiredError();
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  const version = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ValidationError([{ path: 'If-Match', message: 'must be the entity version as an ETag, e.g. "3"' }]);
  }
  return version;
}

/** Idempotency-Key: 1..255 printable ASCII characters (what clients put there: UUIDs, ULIDs). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
