/**
 * A local identity provider (RS256 key pair generated at start, JWKS) and a JWT authorizer that
 * checks tokens the way API Gateway's HTTP API JWT authorizer does:
 *  - token from the identity source (Authorization header), "Bearer " prefix optional;
 *  - RS256 signature against the JWKS (kid must match);
 *  - iss equal to the issuer; `aud` in the audience list, or `client_id` when there is no `aud`;
 *  - exp in the future (required), nbf and iat (when present) not in the future;
 *  - when the route has authorization scopes, `scope`/`scp` must contain at least one of them.
 * Claims handed to the integration are stringified as API Gateway does (arrays "[a b]", numbers as
 * decimal strings).
 */
import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTPayload,
  type CryptoKey,
} from 'jose';

export interface LocalIdentityProvider {
  issuer: string;
  /** The public key set (what `${issuer}/.well-known/jwks.json` serves). */
  jwks: JSONWebKeySet;
  kid: string;
  /** Signs a token with the provider's private key. `claims.iss` defaults to the issuer. */
  sign(claims: JWTPayload, opts?: { expiresInSeconds?: number; kid?: string }): Promise<string>;
}

export async function createLocalIdentityProvider(issuer: string): Promise<LocalIdentityProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `local-${randomUUID().slice(0, 8)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    issuer,
    kid,
    jwks: { keys: [jwk] },
    sign: (claims, opts) => signWith(privateKey, kid, issuer, claims, opts),
  };
}

async function signWith(
  key: CryptoKey,
  kid: string,
  issuer: string,
  claims: JWTPayload,
  opts: { expiresInSeconds?: number; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iss: issuer, iat: now, exp: now + (opts.expiresInSeconds ?? 3600), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? kid, typ: 'JWT' }).sign(key);
}

/** API Gateway's string form of a claim value. */
export function stringifyClaim(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(stringifyClaim).join(' ')}]`;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return `map[${Object.entries(value as Record<string, unknown>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}:${stringifyClaim(v)}`)
    .join(' ')}]`;
}

export function stringifyClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) out[k] = stringifyClaim(v);
  return out;
}

export interface AuthorizerConfig {
  issuer: string;
  audience: string[];
  jwks: JSONWebKeySet;
  /** Header names (lower-case) the token may come from, e.g. ["authorization"]. */
  identityHeaders: string[];
}

export type AuthorizeResult =
  | { ok: true; claims: Record<string, string>; scopes: string[] | null }
  | { ok: false; reason: string; /** 401, or 403 for a valid token without a required scope */ status: 401 | 403 };

/** Header name of a "$request.header.X" identity source, lower-cased. */
export function identityHeaderOf(source: string): string | undefined {
  const m = /^\$request\.header\.(.+)$/i.exec(source.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

export function createJwtAuthorizer(config: AuthorizerConfig) {
  const keySet = createLocalJWKSet(config.jwks);
  const kids = new Set(config.jwks.keys.map((k) => k.kid));
  return async function authorize(
    headers: Record<string, string | undefined>,
    routeScopes: string[] = [],
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<AuthorizeResult> {
    let raw: string | undefined;
    for (const h of config.identityHeaders) {
      if (headers[h]) {
        raw = headers[h];
        break;
      }
    }
    if (!raw) return { ok: false, reason: 'no token in the identity source', status: 401 };
    const token = raw.replace(/^Bearer\s+/i, '').trim();
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'the token is not a JWT', status: 401 };
    }
    if (header.alg !== 'RS256' && !String(header.alg).startsWith('RS')) return { ok: false, reason: `unsupported alg ${header.alg}`, status: 401 };
    if (!header.kid || !kids.has(header.kid)) return { ok: false, reason: 'the token kid does not match a key in the JWKS', status: 401 };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: config.issuer,
        algorithms: ['RS256', 'RS384', 'RS512'],
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      return { ok: false, reason: (err as Error).message, status: 401 };
    }
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds) return { ok: false, reason: 'the token iat is in the future', status: 401 };
    const aud = payload.aud !== undefined ? (Array.isArray(payload.aud) ? payload.aud : [payload.aud]) : undefined;
    const candidates = aud ?? (typeof payload.client_id === 'string' ? [payload.client_id] : []);
    if (!candidates.some((a) => config.audience.includes(a))) return { ok: false, reason: 'the token does not have a valid audience', status: 401 };
    const tokenScopesRaw = payload.scope ?? payload.scp;
    const tokenScopes =
      typeof tokenScopesRaw === 'string' ? tokenScopesRaw.split(' ').filter(Boolean) : Array.isArray(tokenScopesRaw) ? tokenScopesRaw.map(String) : [];
    if (routeScopes.length > 0 && !routeScopes.some((s) => tokenScopes.includes(s))) {
      return { ok: false, reason: 'the token does not have a required scope', status: 403 };
    }
    return { ok: true, claims: stringifyClaims(payload), scopes: routeScopes.length > 0 ? tokenScopes : null };
  };
}
