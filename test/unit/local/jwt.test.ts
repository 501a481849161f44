import { describe, expect, it, beforeAll } from 'vitest';
import { createJwtAuthorizer, createLocalIdentityProvider, stringifyClaim, type LocalIdentityProvider } from '../../../local/apigw/jwt.js';

let idp: LocalIdentityProvider;
let other: LocalIdentityProvider;
beforeAll(async () => {
  idp = await createLocalIdentityProvider('http://127.0.0.1:1/issuer');
  other = await createLocalIdentityProvider('http://127.0.0.1:1/issuer');
});

const authz = () =>
  createJwtAuthorizer({ issuer: idp.issuer, audience: ['client-1'], jwks: idp.jwks, identityHeaders: ['authorization'] });

describe('JWT authorizer', () => {
  it('accepts a valid Bearer token and stringifies claims as API Gateway does', async () => {
    // Prepare
    const token = await idp.sign({ sub: 'u1', aud: 'client-1', 'cognito:groups': ['deal_manager', 'admin'], 'custom:account_ids': 'a,b', n: 5, ok: true });
    // Act
    const r = await authz()({ authorization: `Bearer ${token}` });
    // Assess
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.claims.sub).toBe('u1');
    expect(r.claims['cognito:groups']).toBe('[deal_manager admin]');
    expect(r.claims['custom:account_ids']).toBe('a,b');
    expect(r.claims.n).toBe('5');
    expect(r.claims.ok).toBe('true');
    expect(r.claims.exp).toMatch(/^\d+$/);
    expect(r.scopes).toBeNull();
  });

  it('accepts the token without the Bearer prefix', async () => {
    const token = await idp.sign({ sub: 'u1', aud: 'client-1' });
    expect((await authz()({ authorization: token })).ok).toBe(true);
  });

  it.each([
    ['no token', async () => undefined],
    ['garbage', async () => 'Bearer not.a.jwt'],
    ['another key', async () => `Bearer ${await other.sign({ sub: 'u', aud: 'client-1' }, { kid: idp.kid })}`],
    ['unknown kid', async () => `Bearer ${await other.sign({ sub: 'u', aud: 'client-1' })}`],
    ['wrong audience', async () => `Bearer ${await idp.sign({ sub: 'u', aud: 'client-2' })}`],
    ['wrong issuer', async () => `Bearer ${await idp.sign({ sub: 'u', aud: 'client-1', iss: 'https://evil' })}`],
    ['expired', async () => `Bearer ${await idp.sign({ sub: 'u', aud: 'client-1' }, { expiresInSeconds: -10 })}`],
    ['not yet valid', async () => `Bearer ${await idp.sign({ sub: 'u', aud: 'client-1', nbf: Math.floor(Date.now() / 1000) + 600 })}`],
    ['issued in the future', async () => `Bearer ${await idp.sign({ sub: 'u', aud: 'client-1', iat: Math.floor(Date.now() / 1000) + 600 })}`],
  ])('refuses %s with 401', async (_name, header) => {
    const h = await header();
    const r = await authz()(h === undefined ? {} : { authorization: h });
    expect(r).toMatchObject({ ok: false, status: 401 });
  });

  it('uses client_id when there is no aud (access tokens)', async () => {
    const token = await idp.sign({ sub: 'u', client_id: 'client-1', token_use: 'access', scope: 'a b' });
    expect((await authz()({ authorization: `Bearer ${token}` })).ok).toBe(true);
    const bad = await idp.sign({ sub: 'u', client_id: 'client-9' });
    expect((await authz()({ authorization: `Bearer ${bad}` })).ok).toBe(false);
  });

  it('checks route scopes (403 without one of them)', async () => {
    const token = await idp.sign({ sub: 'u', client_id: 'client-1', scope: 'read write' });
    const ok = await authz()({ authorization: `Bearer ${token}` }, ['write']);
    expect(ok).toMatchObject({ ok: true, scopes: ['read', 'write'] });
    expect(await authz()({ authorization: `Bearer ${token}` }, ['admin'])).toMatchObject({ ok: false, status: 403 });
  });

  it('stringifies claim values', () => {
    expect(stringifyClaim(['a', 'b'])).toBe('[a b]');
    expect(stringifyClaim(12)).toBe('12');
    expect(stringifyClaim('x')).toBe('x');
    expect(stringifyClaim([])).toBe('[]');
  });
});
