import { describe, expect, it } from 'vitest';
import { buildEventV2, combineHeaders, formatRequestTime, isTextContentType, mapResultV2 } from '../../../local/apigw/event.js';

const baseReq = {
  method: 'post',
  url: '/deals/d1?limit=2&status=draft&status=approved&q=a%20b',
  rawHeaders: [
    'Content-Type', 'application/json',
    'X-Multi', 'a',
    'x-multi', 'b',
    'Cookie', 'c1=v1; c2=v2',
    'User-Agent', 'vitest/1',
    'Host', '127.0.0.1:4000',
  ],
  body: Buffer.from('{"a":1}'),
  sourceIp: '127.0.0.1',
  protocol: 'HTTP/1.1',
};
const ctx = {
  routeKey: 'POST /deals/{dealId}',
  pathParameters: { dealId: 'd1' },
  requestId: 'req-1',
  apiId: 'localapi',
  accountId: '000000000000',
  now: new Date(Date.UTC(2020, 2, 12, 19, 3, 58, 390)),
};

describe('payload format 2.0 event', () => {
  it('builds the documented shape', () => {
    // Act
    const e = buildEventV2(baseReq, { ...ctx, authorizer: { claims: { sub: 'u1' }, scopes: null } });
    // Assess
    expect(e.version).toBe('2.0');
    expect(e.routeKey).toBe('POST /deals/{dealId}');
    expect(e.rawPath).toBe('/deals/d1');
    expect(e.rawQueryString).toBe('limit=2&status=draft&status=approved&q=a%20b');
    expect(e.queryStringParameters).toEqual({ limit: '2', status: 'draft,approved', q: 'a b' });
    expect(e.pathParameters).toEqual({ dealId: 'd1' });
    expect(e.cookies).toEqual(['c1=v1', 'c2=v2']);
    expect(e.headers['x-multi']).toBe('a,b');
    expect(e.headers.cookie).toBeUndefined();
    expect(e.headers['content-type']).toBe('application/json');
    expect(e.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(e.body).toBe('{"a":1}');
    expect(e.isBase64Encoded).toBe(false);
    expect(e.requestContext).toMatchObject({
      accountId: '000000000000',
      apiId: 'localapi',
      authorizer: { jwt: { claims: { sub: 'u1' }, scopes: null } },
      domainName: '127.0.0.1:4000',
      http: { method: 'POST', path: '/deals/d1', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest/1' },
      requestId: 'req-1',
      routeKey: 'POST /deals/{dealId}',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: Date.UTC(2020, 2, 12, 19, 3, 58, 390),
    });
  });

  it('omits body, query, cookies, path parameters and authorizer when absent', () => {
    const e = buildEventV2(
      { ...baseReq, method: 'GET', url: '/health', rawHeaders: ['Host', 'x'], body: Buffer.alloc(0) },
      { ...ctx, routeKey: 'GET /health', pathParameters: {} },
    );
    expect(e).not.toHaveProperty('body');
    expect(e).not.toHaveProperty('queryStringParameters');
    expect(e).not.toHaveProperty('cookies');
    expect(e).not.toHaveProperty('pathParameters');
    expect(e.requestContext).not.toHaveProperty('authorizer');
    expect(e.rawQueryString).toBe('');
    expect(e.isBase64Encoded).toBe(false);
  });

  it('base64-encodes bodies of non-text content types', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const e = buildEventV2({ ...baseReq, rawHeaders: ['Content-Type', 'application/octet-stream'], body: bytes }, ctx);
    expect(e.isBase64Encoded).toBe(true);
    expect(Buffer.from(e.body!, 'base64')).toEqual(bytes);
  });

  it('treats json, xml, text and form types as text', () => {
    for (const t of ['application/json; charset=utf-8', 'application/problem+json', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      expect(isTextContentType(t)).toBe(true);
    }
    expect(isTextContentType('image/png')).toBe(false);
  });

  it('combines repeated headers with commas and lower-cases names', () => {
    expect(combineHeaders(['A', '1', 'a', '2', 'B', '3'])).toEqual({ a: '1,2', b: '3' });
  });

  it('formats requestContext.time like API Gateway', () => {
    expect(formatRequestTime(new Date(Date.UTC(2026, 0, 5, 1, 2, 3)))).toBe('05/Jan/2026:01:02:03 +0000');
  });
});

describe('format 2.0 response mapping', () => {
  it('honours statusCode, headers, multiValueHeaders, cookies and base64 bodies', () => {
    const r = mapResultV2({
      statusCode: 201,
      headers: { ETag: '"1"', 'Content-Type': 'application/json' },
      multiValueHeaders: { 'X-List': ['a', 'b'] },
      cookies: ['s=1; Path=/', 't=2'],
      body: Buffer.from('hi').toString('base64'),
      isBase64Encoded: true,
    });
    expect(r.statusCode).toBe(201);
    expect(r.headers).toEqual(
      expect.arrayContaining([
        ['etag', '"1"'],
        ['content-type', 'application/json'],
        ['x-list', 'a,b'],
        ['set-cookie', 's=1; Path=/'],
        ['set-cookie', 't=2'],
      ]),
    );
    expect(r.body.toString()).toBe('hi');
  });

  it('wraps an object without statusCode as a 200 JSON body', () => {
    const r = mapResultV2({ message: 'hello' });
    expect(r.statusCode).toBe(200);
    expect(r.headers).toEqual([['content-type', 'application/json']]);
    expect(JSON.parse(r.body.toString())).toEqual({ message: 'hello' });
  });

  it('passes a string result through as the body', () => {
    const r = mapResultV2('Hello from Lambda!');
    expect(r.statusCode).toBe(200);
    expect(r.body.toString()).toBe('Hello from Lambda!');
  });

  it('refuses an invalid status code', () => {
    expect(() => mapResultV2({ statusCode: 'nope' })).toThrow();
  });
});
