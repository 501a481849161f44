import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';
import { checkDspResponse, isAllowedNoticeUrl, noticeHostsFor, type DspResponseContext } from '../../../shared/bidding/dsp/response.js';

const request: BidRequest = {
  id: 'req-1',
  imp: [
    { id: '1', banner: { w: 300, h: 250 } },
    { id: '2', banner: { w: 728, h: 90 }, pmp: { private_auction: 1, deals: [{ id: 'deal-9' }] } },
  ],
};
const ctx: DspResponseContext = { dspId: 'dsp-a', defaultSeat: 'seat-a', noticeHosts: noticeHostsFor('http://dsp.example:8080/bid') };

function bid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'b1',
    impid: '1',
    price: 1.25,
    adm: '<div>ad</div>',
    adomain: ['brand.example'],
    cat: ['IAB3'],
    crid: 'cr-1',
    w: 300,
    h: 250,
    nurl: 'http://dsp.example:8080/win?p=${AUCTION_PRICE}',
    ...overrides,
  };
}
function response(bids: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'req-1', seatbid: [{ seat: 'buyer-7', bid: bids }], ...extra };
}

describe('checkDspResponse', () => {
  it('normalizes a valid bid with exact integer micros', () => {
    const r = checkDspResponse(response([bid({ price: 0.000001 }), bid({ id: 'b2', price: 2.5 })], { bidid: 'R9' }), request, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rejected).toBe(0);
    expect(r.bids.map((b) => b.priceMicros)).toEqual([1, 2_500_000]);
    expect(r.bids[0]).toMatchObject({
      dspId: 'dsp-a',
      seat: 'buyer-7',
      bidId: 'b1',
      responseBidId: 'R9',
      impId: '1',
      currency: 'USD',
      adomain: ['brand.example'],
      w: 300,
      h: 250,
      nurl: 'http://dsp.example:8080/win?p=${AUCTION_PRICE}',
    });
  });

  it('no seatbid, or an empty one, is a no-bid; seat falls back to the configured one', () => {
    expect(checkDspResponse({ id: 'req-1' }, request, ctx)).toMatchObject({ ok: true, bids: [] });
    expect(checkDspResponse({ id: 'req-1', seatbid: [], nbr: 2 }, request, ctx)).toMatchObject({ ok: true, bids: [] });
    const r = checkDspResponse({ id: 'req-1', seatbid: [{ bid: [bid()] }] }, request, ctx);
    expect(r.ok && r.bids[0]?.seat).toBe('seat-a');
  });

  it('rejects whole responses that are not what we asked for', () => {
    for (const body of [null, 42, 'x', [], { id: 'other' }, { id: 7 }, { id: 'req-1', cur: 'usd' }, { id: 'req-1', seatbid: {} }, { id: 'req-1', seatbid: [1] }, { id: 'req-1', seatbid: [{ bid: {} }] }]) {
      expect(checkDspResponse(body, request, ctx).ok, JSON.stringify(body)).toBe(false);
    }
  });

  it.each([
    ['unknown impid', { impid: '99' }, 'unknown-impid'],
    ['impid of wrong type', { impid: 1 }, 'unknown-impid'],
    ['negative price', { price: -1 }, 'bad-price'],
    ['zero price', { price: 0 }, 'bad-price'],
    ['NaN price (as string)', { price: 'NaN' }, 'bad-price'],
    ['string price', { price: '1.5' }, 'bad-price'],
    ['NaN price', { price: Number.NaN }, 'bad-price'],
    ['infinite price', { price: Number.POSITIVE_INFINITY }, 'bad-price'],
    ['null price', { price: null }, 'bad-price'],
    ['price below a micro', { price: 1e-9 }, 'bad-price'],
    ['huge price', { price: 1e300 }, 'price-too-high'],
    ['price just above the cap', { price: 1000.000001 }, 'price-too-high'],
    ['missing id', { id: undefined }, 'bad-id'],
    ['empty id', { id: '' }, 'bad-id'],
    ['no adm', { adm: undefined }, 'no-adm'],
    ['adm not a string', { adm: { html: 'x' } }, 'no-adm'],
    ['adomain not an array', { adomain: 'brand.example' }, 'bad-field'],
    ['adomain with non-strings', { adomain: ['a', 1] }, 'bad-field'],
    ['cat as object', { cat: { 0: 'IAB1' } }, 'bad-field'],
    ['w negative', { w: -300 }, 'bad-field'],
    ['h fractional', { h: 2.5 }, 'bad-field'],
    ['crid as number', { crid: 5 }, 'bad-field'],
    ['mtype out of range', { mtype: 9 }, 'bad-field'],
    ['unknown deal', { dealid: 'deal-x' }, 'unknown-deal'],
    ['private auction without deal', { impid: '2' }, 'deal-required'],
    ['nurl on another host (SSRF)', { nurl: 'http://169.254.169.254/latest/meta-data' }, 'bad-notice-url'],
    ['burl with other scheme', { burl: 'file:///etc/passwd' }, 'bad-notice-url'],
    ['lurl not a URL', { lurl: 'not a url' }, 'bad-notice-url'],
    ['nurl with credentials', { nurl: 'http://u:p@dsp.example:8080/win' }, 'bad-notice-url'],
  ])('drops a bid with %s', (_name, overrides, reason) => {
    const r = checkDspResponse(response([bid(overrides), bid({ id: 'ok' })]), request, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.bids.map((b) => b.bidId)).toEqual(['ok']);
    expect(r.rejected).toBe(1);
    expect(r.reasons).toEqual({ [reason]: 1 });
  });

  it('accepts a deal bid on the private imp and ignores unknown fields', () => {
    const r = checkDspResponse(response([bid({ impid: '2', dealid: 'deal-9', ext: { a: { b: [1, 2] } }, zzz: true })]), request, ctx);
    expect(r.ok && r.bids[0]?.dealid).toBe('deal-9');
  });

  it('checks the currency against the request (USD only when cur is absent)', () => {
    const eur = checkDspResponse(response([bid()], { cur: 'EUR' }), request, ctx);
    expect(eur).toMatchObject({ ok: true, bids: [], reasons: { 'bad-currency': 1 } });
    const eurOk = checkDspResponse(response([bid()], { cur: 'EUR' }), { ...request, cur: ['EUR'] }, ctx);
    expect(eurOk.ok && eurOk.bids[0]?.currency).toBe('EUR');
  });

  it('is not fooled by prototype keys', () => {
    const hostile = JSON.parse('{"id":"req-1","seatbid":[{"bid":[{"__proto__":{"id":"x","impid":"1","price":5,"adm":"a"}}]}]}');
    expect(checkDspResponse(hostile, request, ctx)).toMatchObject({ ok: true, bids: [], rejected: 1 });
    const inherited = Object.create({ id: 'req-1' });
    expect(checkDspResponse(inherited, request, ctx).ok).toBe(false);
  });

  it('bounds the work on a flood of bids', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => bid({ id: `b${i}` }));
    const r = checkDspResponse(response(many), request, { ...ctx, maxBids: 100 });
    expect(r.ok && r.bids.length).toBe(100);
    expect(r.ok && r.reasons['too-many-bids']).toBe(4_900);
  });

  it('handles deeply nested values in fields it reads without throwing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const r = checkDspResponse(response([bid({ adomain: deep, ext: deep }), bid({ id: 'ok', cat: deep })]), request, ctx);
    expect(r).toMatchObject({ ok: true, bids: [], rejected: 2 });
  });

  it('never throws on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ id: fc.constant('req-1'), seatbid: fc.array(fc.record({ bid: fc.array(fc.jsonValue()) })) })), (body) => {
        const r = checkDspResponse(body, request, ctx);
        if (r.ok) for (const b of r.bids) expect(Number.isSafeInteger(b.priceMicros) && b.priceMicros > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('notice URL allow-list', () => {
  const hosts = noticeHostsFor('https://bid.dsp.example/openrtb', ['track.dsp.example']);
  it('allows the endpoint host and configured hosts only', () => {
    expect(isAllowedNoticeUrl('https://bid.dsp.example/win?p=${AUCTION_PRICE}', hosts)).toBe(true);
    expect(isAllowedNoticeUrl('https://TRACK.dsp.example/b', hosts)).toBe(true);
    expect(isAllowedNoticeUrl('https://evil.example/b', hosts)).toBe(false);
    expect(isAllowedNoticeUrl('https://bid.dsp.example.evil.example/b', hosts)).toBe(false);
    expect(isAllowedNoticeUrl('javascript:alert(1)', hosts)).toBe(false);
    expect(isAllowedNoticeUrl(42, hosts)).toBe(false);
  });
});
