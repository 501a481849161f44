/**
 * Opaque page cursors: base64url of the JSON key of the last item returned (table keys plus the
 * index keys of the queried index). A cursor is accepted only if it decodes to exactly those string
 * attributes and points into the partition being queried, so a cursor from another account or
 * another listing is refused rather than silently followed.
 */
import { decodePageCursor, encodePageCursor, invalidCursor } from '../page-cursor.js';

export type Key = Record<string, string>;

export interface CursorRules {
  /** Attribute names the key must have, and only those. */
  attributes: readonly string[];
  /** The partition key attribute and value of the query. */
  partition: { name: string; value: string };
  /** Optional: the sort key must start with this prefix. */
  sortPrefix?: { name: string; prefix: string };
}

export function encodeCursor(key: Key): string {
  return encodePageCursor(key);
}

export function decodeCursor(cursor: string, rules: CursorRules): Key {
  const key = decodePageCursor(cursor);
  const names = Object.keys(key).sort();
  const expected = [...rules.attributes].sort();
  const belongs =
    names.length === expected.length &&
    names.every((n, i) => n === expected[i]) &&
    Object.values(key).every((v) => typeof v === 'string' && v.length > 0) &&
    key[rules.partition.name] === rules.partition.value &&
    (!rules.sortPrefix || (key[rules.sortPrefix.name] as string).startsWith(rules.sortPrefix.prefix));
  if (!belongs) throw invalidCursor('cursor does not belong to this listing');
  return key as Key;
}
