/**
 * Opaque page cursors: base64url of the JSON key of the last item returned (table keys plus the
 * index keys of the queried index). A cursor is accepted only if it decodes to exactly those string
 * attributes and points into the partition being queried, so a cursor from another account or
 * another listing is refused rather than silently followed.
 */
import { ValidationError } from '../../domain/errors.js';

export type Key = Record<string, string>;

export interface CursorRules {
  /** Attribute names the key must have, and only those. */
  attributes: readonly string[];
  /** The partition key attribute and value of the query. */
  partition: { name: string; value: string };
  /** Optional: the sort key must start with this prefix. */
  sortPrefix?: { name: string; prefix: string };
}

const MAX_CURSOR_LENGTH = 4096;

export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function invalid(message: string): ValidationError {
  return new ValidationError([{ path: 'cursor', message }]);
}

export function decodeCursor(cursor: string, rules: CursorRules): Key {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid('cursor is not a valid page cursor');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('cursor is not a valid page cursor');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('cursor is not a valid page cursor');
  }
  const key = parsed as Record<string, unknown>;
  const names = Object.keys(key).sort();
  const expected = [...rules.attributes].sort();
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) {
    throw invalid('cursor does not belong to this listing');
  }
  if (Object.values(key).some((v) => typeof v !== 'string' || v.length === 0)) {
    throw invalid('cursor does not belong to this listing');
  }
  if (key[rules.partition.name] !== rules.partition.value) {
    throw invalid('cursor does not belong to this listing');
  }
  if (rules.sortPrefix && !(key[rules.sortPrefix.name] as string).startsWith(rules.sortPrefix.prefix)) {
    throw invalid('cursor does not belong to this listing');
  }
  return key as Key;
}
