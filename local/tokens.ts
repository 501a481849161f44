/**
 * Development identities for the local stack: one user per group in the demo account, plus a
 * deal manager of a second account. Their tokens look like Cognito ID tokens.
 */
import { randomUUID } from 'node:crypto';
import type { LocalIdentityProvider } from './apigw/jwt.js';

export const DEMO_ACCOUNT_ID = 'acct-demo';
export const OTHER_ACCOUNT_ID = 'acct-other';

export const TOKEN_NAMES = [
  'deal_manager',
  'campaign_manager',
  'sales_manager',
  'finance',
  'legal',
  'admin',
  'other_account',
] as const;
export type TokenName = (typeof TOKEN_NAMES)[number];

export interface DevUser {
  sub: string;
  username: string;
  email: string;
  groups: string[];
  accountIds: string[];
}

/** Stable ids, so a restarted stack's users are the same people (seeded data stays theirs). */
export function devUsers(): Record<TokenName, DevUser> {
  const user = (name: string, groups: string[], accountIds: string[]): DevUser => ({
    sub: `00000000-0000-4000-8000-${Buffer.from(name).toString('hex').padEnd(12, '0').slice(0, 12)}`,
    username: name.replace(/_/g, '-'),
    email: `${name.replace(/_/g, '.')}@dealdesk.local`,
    groups,
    accountIds,
  });
  return {
    deal_manager: user('deal_manager', ['deal_manager'], [DEMO_ACCOUNT_ID]),
    campaign_manager: user('campaign_manager', ['campaign_manager'], [DEMO_ACCOUNT_ID]),
    sales_manager: user('sales_manager', ['sales_manager'], [DEMO_ACCOUNT_ID]),
    finance: user('finance', ['finance'], [DEMO_ACCOUNT_ID]),
    legal: user('legal', ['legal'], [DEMO_ACCOUNT_ID]),
    admin: user('admin', ['admin'], [DEMO_ACCOUNT_ID]),
    other_account: user('other_account', ['deal_manager'], [OTHER_ACCOUNT_ID]),
  };
}

export const TOKEN_LIFETIME_SECONDS = 12 * 3600;

/** Claims of a Cognito ID token for `user`. */
export function idTokenClaims(user: DevUser, audience: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: user.sub,
    aud: audience,
    token_use: 'id',
    auth_time: now,
    event_id: randomUUID(),
    jti: randomUUID(),
    'cognito:username': user.username,
    'cognito:groups': user.groups,
    'custom:account_ids': user.accountIds.join(','),
    email: user.email,
    email_verified: true,
  };
}

export async function signDevTokens(idp: LocalIdentityProvider, audience: string): Promise<{
  tokens: Record<TokenName, string>;
  users: Record<TokenName, DevUser>;
  /** Tokens the authorizer must refuse, for tests and for trying it out. */
  invalidTokens: { expired: string; wrongAudience: string; wrongIssuer: string; badSignature: string };
}> {
  const users = devUsers();
  const tokens = {} as Record<TokenName, string>;
  for (const name of TOKEN_NAMES) {
    tokens[name] = await idp.sign(idTokenClaims(users[name], audience), { expiresInSeconds: TOKEN_LIFETIME_SECONDS });
  }
  const dm = idTokenClaims(users.deal_manager, audience);
  const now = Math.floor(Date.now() / 1000);
  const good = tokens.deal_manager.split('.');
  const tampered = await idp.sign({ ...dm, 'cognito:groups': ['admin'] }, { expiresInSeconds: TOKEN_LIFETIME_SECONDS });
  return {
    tokens,
    users,
    invalidTokens: {
      expired: await idp.sign({ ...dm, iat: now - 7200 }, { expiresInSeconds: -3600 }),
      wrongAudience: await idp.sign({ ...dm, aud: 'some-other-client' }, { expiresInSeconds: TOKEN_LIFETIME_SECONDS }),
      wrongIssuer: await idp.sign({ ...dm, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_elsewhere' }, { expiresInSeconds: TOKEN_LIFETIME_SECONDS }),
      // the deal manager's header and payload with an admin token's signature
      badSignature: `${good[0]}.${good[1]}.${tampered.split('.')[2]}`,
    },
  };
}
