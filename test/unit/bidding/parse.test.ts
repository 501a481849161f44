import { describe, expect, it } from 'vitest';
import { checkJsonText, findExcessDepth, parseJsonGuarded } from '../../../shared/bidding/openrtb/guard.js';
import { LIST_LIMITS, parseBidRequest } from '../../../shared/bidding/openrtb/parse.js';
import { auctionTypeOf } from '../../../shared/bidding/openrtb/types.js';
import { aRequest, exampleRequests } from './fixtures.js';

function withImp(imp: Record<string, unknown>, top: Record<string, unknown> = {}): unknown {
  return { id: 'r', imp: [imp], ...top };
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('parseBidRequest: conformance examples', () => {
  const examples = exampleRequests();

  it('finds the example requests', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  for (const { name, json } of examples) {
    it(`accepts ${name}`, () => {
      // Act
      const result = parseBidRequest(json);

      // Assess
      expect(result).toEqual({ ok: true, request: json });
    });
  }
});

describe('parseBidRequest: accepts what OpenRTB allows', () => {
  it('returns the same object, untouched (no copy)', () => {
    const json = aRequest();
    const result = parseBidRequest(json);
    expect(result.ok && result.request).toBe(json);
  });

  it('tolerates unknown fields at every level (OpenRTB 2.6 §2.6)', () => {
    const json = withImp(
      { id: '1', banner: { w: 1, h: 1, future: [1] }, pmp: { deals: [{ id: 'd', newthing: {} }], x: 1 }, surprise: 'yes' },
      { brandnew: { deep: true }, device: { devicetype: 2, mystery: 1, geo: { country: 'USA', z: 0 } } },
    );
    expect(parseBidRequest(json).ok).toBe(true);
  });

  it('accepts multi-format impressions (banner and video together)', () => {
    expect(parseBidRequest(withImp({ id: '1', banner: { w: 300, h: 250 }, video: { mimes: ['video/mp4'] } })).ok).toBe(true);
  });

  it('treats an absent at as 2 (second price plus), per the spec default', () => {
    // Prepare
    const result = parseBidRequest(withImp({ id: '1', native: { request: '{}' } }));

    // Assess
    expect(result.ok).toBe(true);
    if (result.ok) expect(auctionTypeOf(result.request)).toBe(2);
  });

  it.each([1, 2, 3, 500, 501])('accepts at=%s', (at) => {
    expect(parseBidRequest(withImp({ id: '1', banner: {} }, { at })).ok).toBe(true);
  });
});

describe('parseBidRequest: rejects hostile and malformed requests, naming the path', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['not an object', [1, 2], '', /JSON object/],
    ['no id', { imp: [{ id: '1', banner: {} }] }, 'id', /non-empty string/],
    ['empty id', { id: '', imp: [{ id: '1', banner: {} }] }, 'id', /non-empty string/],
    ['no imp', { id: 'r' }, 'imp', /required/],
    ['imp not an array', { id: 'r', imp: { id: '1' } }, 'imp', /array/],
    ['empty imp array', { id: 'r', imp: [] }, 'imp', /at least one/],
    ['imp without id', withImp({ banner: {} }), 'imp[0].id', /non-empty string/],
    ['imp without any media object', withImp({ id: '1' }), 'imp[0]', /banner, video, audio, native/],
    ['banner not an object', withImp({ id: '1', banner: 'big' }), 'imp[0].banner', /object/],
    ['banner width a string', withImp({ id: '1', banner: { w: '300', h: 250 } }), 'imp[0].banner.w', /integer/],
    ['format height negative', withImp({ id: '1', banner: { format: [{ w: 300, h: 250 }, { w: 1, h: -5 }] } }), 'imp[0].banner.format[1].h', /non-negative/],
    ['native without request', withImp({ id: '1', native: { ver: '1.2' } }), 'imp[0].native.request', /string/],
    ['negative floor', withImp({ id: '1', banner: {}, bidfloor: -0.01 }), 'imp[0].bidfloor', />= 0/],
    ['floor a string', withImp({ id: '1', banner: {}, bidfloor: '1.5' }), 'imp[0].bidfloor', /number/],
    ['floor currency lower case', withImp({ id: '1', banner: {}, bidfloorcur: 'usd' }), 'imp[0].bidfloorcur', /ISO-4217/],
    ['floor currency too long', withImp({ id: '1', banner: {}, bidfloorcur: 'USDX' }), 'imp[0].bidfloorcur', /ISO-4217/],
    ['private_auction 2', withImp({ id: '1', banner: {}, pmp: { private_auction: 2 } }), 'imp[0].pmp.private_auction', /0 or 1/],
    ['deal without id', withImp({ id: '1', banner: {}, pmp: { deals: [{ id: 'ok' }, { bidfloor: 1 }] } }), 'imp[0].pmp.deals[1].id', /non-empty/],
    ['negative deal floor', withImp({ id: '1', banner: {}, pmp: { deals: [{ id: 'd', bidfloor: -1 }] } }), 'imp[0].pmp.deals[0].bidfloor', />= 0/],
    ['deal wseat not strings', withImp({ id: '1', banner: {}, pmp: { deals: [{ id: 'd', wseat: [1] }] } }), 'imp[0].pmp.deals[0].wseat[0]', /string/],
    ['duplicate imp ids', { id: 'r', imp: [{ id: '1', banner: {} }, { id: '1', banner: {} }] }, 'imp[1].id', /duplicates/],
    ['at 4', withImp({ id: '1', banner: {} }, { at: 4 }), 'at', /first price/],
    ['at a string', withImp({ id: '1', banner: {} }, { at: '1' }), 'at', /first price/],
    ['tmax zero', withImp({ id: '1', banner: {} }, { tmax: 0 }), 'tmax', /positive integer/],
    ['tmax fractional', withImp({ id: '1', banner: {} }, { tmax: 99.5 }), 'tmax', /positive integer/],
    ['cur not an array', withImp({ id: '1', banner: {} }, { cur: 'USD' }), 'cur', /array/],
    ['cur with a bad code', withImp({ id: '1', banner: {} }, { cur: ['USD', 'euro'] }), 'cur[1]', /ISO-4217/],
    ['bcat with a number', withImp({ id: '1', banner: {} }, { bcat: ['IAB25', 7] }), 'bcat[1]', /string/],
    ['badv not an array', withImp({ id: '1', banner: {} }, { badv: 'evil.example' }), 'badv', /array/],
    ['bapp with null', withImp({ id: '1', banner: {} }, { bapp: [null] }), 'bapp[0]', /string/],
    ['device not an object', withImp({ id: '1', banner: {} }, { device: 'phone' }), 'device', /object/],
    ['devicetype a string', withImp({ id: '1', banner: {} }, { device: { devicetype: 'mobile' } }), 'device.devicetype', /integer/],
    ['geo country a number', withImp({ id: '1', banner: {} }, { device: { geo: { country: 840 } } }), 'device.geo.country', /string/],
    ['user id a number', withImp({ id: '1', banner: {} }, { user: { id: 42 } }), 'user.id', /string/],
    ['publisher not an object', withImp({ id: '1', banner: {} }, { site: { publisher: 'p' } }), 'site.publisher', /object/],
    ['site and app together', withImp({ id: '1', banner: {} }, { site: {}, app: {} }), 'app', /both/],
    ['regs coppa 2', withImp({ id: '1', banner: {} }, { regs: { coppa: 2 } }), 'regs.coppa', /0 or 1/],
    ['deep nesting in an ext', withImp({ id: '1', banner: {}, ext: nested(40) }), 'imp[0].ext.a.a.a', /nesting deeper than 32/],
  ];

  for (const [name, json, path, reason] of cases) {
    it(`rejects ${name} at "${path}"`, () => {
      // Act
      const result = parseBidRequest(json);

      // Assess
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.path.startsWith(path)).toBe(true);
        if (path === '' || !name.startsWith('deep')) expect(result.path).toBe(path);
        expect(result.reason).toMatch(reason);
      }
    });
  }

  it('rejects more impressions than the limit', () => {
    const imps = Array.from({ length: 65 }, (_, i) => ({ id: String(i), banner: {} }));
    const result = parseBidRequest({ id: 'r', imp: imps });
    expect(result).toMatchObject({ ok: false, path: 'imp', reason: expect.stringMatching(/at most 64/) as unknown });
  });

  it('bounds every list eligibility and the auction walk, naming the list and its bound', () => {
    // Prepare
    const many = (n: number, entry: (i: number) => unknown) => Array.from({ length: n }, (_, i) => entry(i));
    const over = LIST_LIMITS.entries + 1;
    const cases: Array<[unknown, string, RegExp]> = [
      [withImp({ id: '1', banner: {} }, { badv: many(over, (i) => `d${i}.example`) }), 'badv', /at most 1024 entries/],
      [withImp({ id: '1', banner: {} }, { bcat: many(over, (i) => `IAB${i}`) }), 'bcat', /at most 1024 entries/],
      [withImp({ id: '1', banner: {} }, { bapp: many(over, (i) => `app${i}`) }), 'bapp', /at most 1024 entries/],
      [withImp({ id: '1', banner: {} }, { wseat: many(over, (i) => `s${i}`) }), 'wseat', /at most 1024 entries/],
      [withImp({ id: '1', banner: {} }, { badv: ['x'.repeat(LIST_LIMITS.entryChars + 1)] }), 'badv[0]', /at most 256 characters/],
      [withImp({ id: '1', banner: { format: many(LIST_LIMITS.formats + 1, () => ({ w: 300, h: 250 })) } }), 'imp[0].banner.format', /at most 64 entries/],
      [withImp({ id: '1', banner: {}, pmp: { deals: many(LIST_LIMITS.deals + 1, (i) => ({ id: `deal-${i}` })) } }), 'imp[0].pmp.deals', /at most 256 entries/],
      [withImp({ id: '1', banner: {}, pmp: { deals: [{ id: 'd', wadomain: many(over, (i) => `a${i}.example`) }] } }), 'imp[0].pmp.deals[0].wadomain', /at most 1024 entries/],
      [withImp({ id: '1', banner: {} }, { cur: many(LIST_LIMITS.currencies + 1, () => 'USD') }), 'cur', /at most 32 entries/],
    ];
    for (const [request, path, reason] of cases) {
      // Act
      const result = parseBidRequest(request);
      // Assess
      expect(result, path).toMatchObject({ ok: false, path, reason: expect.stringMatching(reason) as unknown });
    }
    // At the bound itself, accepted.
    expect(parseBidRequest(withImp({ id: '1', banner: {} }, { badv: many(LIST_LIMITS.entries, (i) => `d${i}.example`) })).ok).toBe(true);
  });
});

describe('JSON guards for untrusted bodies', () => {
  it('accepts an ordinary request body', () => {
    expect(checkJsonText(JSON.stringify(aRequest()))).toBeNull();
    expect(checkJsonText(Buffer.from(JSON.stringify(aRequest())))).toBeNull();
  });

  it('rejects deep nesting before parsing, naming where it is (string and bytes)', () => {
    // Prepare: 10,000 nested arrays inside imp[0].ext.x
    const body = `{"id":"r","imp":[{"id":"1","ext":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}]}`;

    // Act
    const fromString = checkJsonText(body);
    const fromBytes = checkJsonText(Buffer.from(body));

    // Assess
    expect(fromString).toMatchObject({ ok: false, reason: 'nesting deeper than 32 levels' });
    expect(fromString?.path.startsWith('imp[0].ext.x[0][0]')).toBe(true);
    expect(fromBytes).toEqual(fromString);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const body = JSON.stringify({ id: 'r', note: `\\"${'['.repeat(100)}`, imp: [{ id: '1', banner: {} }] });
    expect(checkJsonText(body)).toBeNull();
  });

  it('rejects a body above the size limit', () => {
    expect(checkJsonText('x'.repeat(11), { maxBytes: 10, maxDepth: 32 })).toMatchObject({ ok: false, path: '', reason: expect.stringMatching(/exceeds/) as unknown });
  });

  it('answers quickly on a hostile body of deep nesting', () => {
    const body = '['.repeat(200_000);
    const started = performance.now();
    const result = parseJsonGuarded(body, { maxBytes: 1_000_000, maxDepth: 32 });
    expect(result.ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('turns malformed JSON into a failure instead of throwing', () => {
    expect(parseJsonGuarded('{"id": ')).toMatchObject({ ok: false, path: '', reason: expect.stringMatching(/malformed JSON/) as unknown });
  });

  it('parses a good body from bytes', () => {
    const request = aRequest();
    expect(parseJsonGuarded(Buffer.from(JSON.stringify(request)))).toEqual({ ok: true, value: request });
  });

  it('finds excess depth in a parsed value and names its path', () => {
    expect(findExcessDepth({ a: [{ b: nested(5) }] }, 4)).toBe('a[0].b.a');
    expect(findExcessDepth({ a: [{ b: nested(2) }] }, 6)).toBeNull();
  });
});
