import { describe, expect, it } from 'vitest';
import { parseRouteKey, selectRoute } from '../../../local/apigw/routes.js';

const routes = [
  'GET /deals',
  'POST /deals',
  'GET /deals/{dealId}',
  'PATCH /deals/{dealId}',
  'GET /deals/{dealId}/versions/{version}',
  'GET /deals/special',
  'ANY /deals/{dealId}/campaigns',
  'GET /deals/{dealId}/campaigns',
  'GET /pets/{proxy+}',
  'ANY /{proxy+}',
].map(parseRouteKey);

const pick = (method: string, path: string) => selectRoute(routes, method, path);

describe('route selection (most specific wins)', () => {
  it('prefers a literal segment over a path variable', () => {
    // Act
    const m = pick('GET', '/deals/special');
    // Assess
    expect(m?.route.routeKey).toBe('GET /deals/special');
  });

  it('binds path variables, decoded', () => {
    const m = pick('GET', '/deals/d%201/versions/3');
    expect(m?.route.routeKey).toBe('GET /deals/{dealId}/versions/{version}');
    expect(m?.pathParameters).toEqual({ dealId: 'd 1', version: '3' });
  });

  it('prefers an exact method over ANY on the same path', () => {
    expect(pick('GET', '/deals/x/campaigns')?.route.routeKey).toBe('GET /deals/{dealId}/campaigns');
    expect(pick('POST', '/deals/x/campaigns')?.route.routeKey).toBe('ANY /deals/{dealId}/campaigns');
  });

  it('falls back to the greedy route for unknown paths and methods', () => {
    const m = pick('DELETE', '/deals/abc');
    expect(m?.route.routeKey).toBe('ANY /{proxy+}');
    expect(m?.pathParameters).toEqual({ proxy: 'deals/abc' });
    expect(pick('GET', '/nope/a/b')?.pathParameters).toEqual({ proxy: 'nope/a/b' });
  });

  it('prefers a longer literal prefix before a greedy variable', () => {
    expect(pick('GET', '/pets/a/b')?.route.routeKey).toBe('GET /pets/{proxy+}');
    expect(pick('POST', '/pets/a/b')?.route.routeKey).toBe('ANY /{proxy+}');
  });

  it('matches nothing for the root path without a $default route (greedy needs a segment)', () => {
    expect(pick('GET', '/')).toBeUndefined();
  });

  it('uses $default only when nothing else matches', () => {
    const withDefault = [...routes, parseRouteKey('$default')];
    expect(selectRoute(withDefault, 'GET', '/')?.route.routeKey).toBe('$default');
    expect(selectRoute(withDefault, 'GET', '/deals')?.route.routeKey).toBe('GET /deals');
  });

  it('does not let a path variable match an empty segment', () => {
    expect(pick('GET', '/deals/')?.route.routeKey).toBe('ANY /{proxy+}');
  });

  it('rejects malformed route keys', () => {
    expect(() => parseRouteKey('GET deals')).toThrow();
    expect(() => parseRouteKey('GET /{proxy+}/x')).toThrow();
  });
});
