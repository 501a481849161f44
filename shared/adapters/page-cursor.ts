/**
 * Opaque page cursors shared by every DealRepository adapter: base64url of a small JSON object.
 * Decoding checks only the envelope; each adapter then checks that the object belongs to the listing
 * being read, so a cursor from another listing or account is refused rather than followed.
 */
import { ValidationError } from '../domain/errors.js';

const MAX_CURSOR_LENGTH = 4096;

export function invalidCursor(message = 'cursor is not a valid page cursor'): ValidationError {
  return new ValidationError([{ path: 'cursor', message }]);
}

export function encodePageCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The decoded JSON object, or ValidationError naming `cursor`. */
export function decodePageCursor(cursor: string): Record<string, unknown> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalidCursor();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  return parsed as Record<string, unknown>;
}
