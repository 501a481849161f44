import { GROUPS, type Actor, type Group } from '../../../shared/domain/actor.js';
import { UnauthorizedError } from './errors.js';

/** Claims as API Gateway HTTP API hands them to Lambda: every value stringified. */
export type JwtClaims = Record<string, string | number | boolean | string[] | undefined>;

const isGroup = (value: string): value is Group => (GROUPS as readonly string[]).includes(value);

/**
 * `cognito:groups` arrives as `"[deal_manager admin]"` (API Gateway's rendering of a list); tolerate a JSON
 * array string `'["deal_manager","admin"]'`, a real array, and a bare `"admin"` too. Unknown groups are dropped.
 */
export function parseGroups(raw: JwtClaims[string]): Group[] {
  let values: string[] = [];
  if (Array.isArray(raw)) {
    values = raw.map(String);
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    if (text.startsWith('[') && text.endsWith(']')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      values = Array.isArray(parsed)
        ? parsed.map(String)
        : text.slice(1, -1).split(/[\s,]+/);
    } else {
      values = text.split(/[\s,]+/);
    }
  }
  return [...new Set(values.map((v) => v.trim()).filter(isGroup))];
}

/** `custom:account_ids` is comma-separated: `"acct-demo,acct-other"`. */
export function parseAccountIds(raw: JwtClaims[string]): string[] {
  const values = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  return [...new Set(values.map((v) => String(v).trim()).filter((v) => v.length > 0))];
}

/** The caller, from the JWT claims API Gateway already verified. No `sub` → 401. */
export function actorFromClaims(claims: JwtClaims | undefined): Actor {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.trim() === '') throw new UnauthorizedError();
  return {
    userId: sub,
    groups: parseGroups(claims?.['cognito:groups']),
    accountIds: parseAccountIds(claims?.['custom:account_ids']),
  };
}
