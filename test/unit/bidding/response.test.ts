import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auctionBidOf, auctionRulesFor, runAuction } from '../../../shared/bidding/auction.js';
import { eligibleBids } from '../../../shared/bidding/eligibility.js';
import { responseCurrency } from '../../../shared/bidding/floors.js';
import { parseBidRequest } from '../../../shared/bidding/openrtb/parse.js';
import type { BidRequest, Imp } from '../../../shared/bidding/openrtb/types.js';
import { buildBidResponse, noticeUrl, parseNotice, responseBidOf, substituteMacros, type ResponseBid } from '../../../shared/bidding/response.js';
import { aBanner, aLineItem, aRequest, bidResponseErrors, exampleRequests } from './fixtures.js';

const BASE = 'https://bid.dealdesk.example';

function aResponseBid(overrides: Partial<ResponseBid> = {}): ResponseBid {
  return {
    impId: '1',
    bidId: 'bid-1',
    seat: 'dealdesk',
    priceMicros: 2_500_000,
    adm: '<div>ad ${AUCTION_PRICE}</div>',
    adomain: ['shoes.example'],
    cat: ['IAB18-3'],
    crid: 'cr-300x250',
    cid: 'camp-1',
    w: 300,
    h: 250,
    mtype: 1,
    ...overrides,
  };
}

describe('buildBidResponse', () => {
  it('builds a conformant response: id = request id, cur, one seatbid per seat, exact prices, notice URLs', () => {
    // Prepare
    const request = aRequest({ imp: [{ id: '1', banner: { w: 300, h: 250 } }, { id: '2', banner: { w: 300, h: 250 } }] });
    const bids = [
      aResponseBid({ notice: { li: 'camp-1' }, noticeByKind: { win: { h: 'win-mac' }, bill: { h: 'bill-mac' } } }),
      aResponseBid({ bidId: 'bid-2', impId: '2', seat: 'dsp-seat', priceMicros: 30_000, dealId: 'D1' }),
    ];

    // Act
    const response = buildBidResponse(request, bids, { currency: 'USD', noticeBaseUrl: `${BASE}/`, responseId: 'resp-1' });

    // Assess
    expect(bidResponseErrors(response)).toEqual([]);
    expect(response).toMatchObject({ id: 'req-1', bidid: 'resp-1', cur: 'USD' });
    expect(response?.seatbid?.map((s) => s.seat)).toEqual(['dealdesk', 'dsp-seat']);
    const [first, second] = [response?.seatbid?.[0]?.bid[0], response?.seatbid?.[1]?.bid[0]];
    expect(first).toMatchObject({ id: 'bid-1', impid: '1', price: 2.5, crid: 'cr-300x250', w: 300, h: 250, adomain: ['shoes.example'], cat: ['IAB18-3'] });
    expect(second).toMatchObject({ id: 'bid-2', impid: '2', price: 0.03, dealid: 'D1' });
    expect(JSON.stringify(second)).toContain('"price":0.03,');
    // Our ids literally (exchanges disagree on what ${AUCTION_BID_ID} names); the exchange fills in the rest.
    expect(first?.nurl).toBe(
      `${BASE}/openrtb2/notice/win?auction=req-1&imp=1&bid=bid-1&li=camp-1&h=win-mac&seat=\${AUCTION_SEAT_ID}&price=\${AUCTION_PRICE}&cur=\${AUCTION_CURRENCY}`,
    );
    expect(first?.burl).toBe(
      `${BASE}/openrtb2/notice/bill?auction=req-1&imp=1&bid=bid-1&li=camp-1&h=bill-mac&seat=\${AUCTION_SEAT_ID}&price=\${AUCTION_PRICE}&cur=\${AUCTION_CURRENCY}`,
    );
    expect(first?.lurl).toBe(
      `${BASE}/openrtb2/notice/loss?auction=req-1&imp=1&bid=bid-1&li=camp-1&seat=\${AUCTION_SEAT_ID}&price=\${AUCTION_PRICE}&cur=\${AUCTION_CURRENCY}&loss=\${AUCTION_LOSS}`,
    );
  });

  it('groups several bids of one seat into one seatbid', () => {
    const request = aRequest({ imp: [{ id: '1', banner: {} }, { id: '2', banner: {} }] });
    const response = buildBidResponse(request, [aResponseBid(), aResponseBid({ bidId: 'bid-2', impId: '2' })], { currency: 'USD', noticeBaseUrl: BASE });
    expect(response?.seatbid).toHaveLength(1);
    expect(response?.seatbid?.[0]?.bid).toHaveLength(2);
    expect(bidResponseErrors(response)).toEqual([]);
  });

  it('the conformance validator is not vacuous: it rejects invalid responses', () => {
    expect(bidResponseErrors({ id: 1 })).not.toEqual([]);
    expect(bidResponseErrors({ id: 'r', seatbid: [{ bid: [] }] })).not.toEqual([]);
    expect(bidResponseErrors({ id: 'r', seatbid: [{ bid: [{ id: 'b', impid: '1', price: -1 }] }] })).not.toEqual([]);
  });

  it('returns null (answer 204) when there is no bid', () => {
    expect(buildBidResponse(aRequest(), [], { currency: 'USD', noticeBaseUrl: BASE })).toBeNull();
  });

  it('refuses a bid for an unknown imp or with a non-integer price instead of emitting invalid OpenRTB', () => {
    expect(() => buildBidResponse(aRequest(), [aResponseBid({ impId: '9' })], { currency: 'USD', noticeBaseUrl: BASE })).toThrow(/imp 9/);
    expect(() => buildBidResponse(aRequest(), [aResponseBid({ priceMicros: 0.5 })], { currency: 'USD', noticeBaseUrl: BASE })).toThrow(/price/);
  });

  it('every response built from arbitrary bids validates against the OpenRTB 2.6 schema', () => {
    const bidArb = fc.record({
      bidId: fc.string({ minLength: 1, maxLength: 8 }),
      seat: fc.constantFrom('a', 'b', 'c'),
      priceMicros: fc.integer({ min: 1, max: 1_000_000_000_000 }),
      adm: fc.option(fc.string(), { nil: undefined }),
      dealId: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      w: fc.option(fc.nat(2000), { nil: undefined }),
      mtype: fc.option(fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const), { nil: undefined }),
      notice: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.string()), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(bidArb, { minLength: 1, maxLength: 5 }), (drawn) => {
        const bids: ResponseBid[] = drawn.map((d) => {
          const b: ResponseBid = { impId: '1', bidId: d.bidId, seat: d.seat, priceMicros: d.priceMicros, adomain: ['x.example'], cat: ['IAB1'] };
          if (d.adm !== undefined) b.adm = d.adm;
          if (d.dealId !== undefined) b.dealId = d.dealId;
          if (d.w !== undefined) b.w = d.w;
          if (d.mtype !== undefined) b.mtype = d.mtype;
          if (d.notice !== undefined) b.notice = d.notice;
          return b;
        });
        const response = buildBidResponse(aRequest(), bids, { currency: 'USD', noticeBaseUrl: BASE });
        expect(bidResponseErrors(response)).toEqual([]);
        // Prices survive the wire exactly.
        const prices = (JSON.parse(JSON.stringify(response)) as { seatbid: { bid: { price: number }[] }[] }).seatbid.flatMap((s) => s.bid.map((b) => Math.round(b.price * 1e6)));
        expect(prices.sort()).toEqual(bids.map((b) => b.priceMicros).sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('end to end over the example requests: parse, eligibility, auction, response', () => {
  // One line item per example shape; it bids wherever it fits.
  const lineItems = [
    aLineItem({ id: 'li-300x250', maxBidMicros: 3_000_000 }),
    aLineItem({ id: 'li-728x90', creatives: [aBanner({ id: 'cr-728', w: 728, h: 90 })], maxBidMicros: 1_000_000 }),
    aLineItem({ id: 'li-video', creatives: [aBanner({ id: 'cr-v', format: 'video', w: 640, h: 480, mimes: ['video/mp4'], adm: '<VAST version="4.0"/>' })] }),
    aLineItem({ id: 'li-deal', pmpDealId: 'AB-Agency1-0001', seat: 'Agency1', maxBidMicros: 2_600_000 }),
  ];

  for (const { name, json } of exampleRequests()) {
    it(`${name}: the response (if any) is valid OpenRTB and prices respect floors`, () => {
      // Prepare
      const parsed = parseBidRequest(json);
      if (!parsed.ok) throw new Error(`${name}: ${parsed.reason} at ${parsed.path}`);
      const request: BidRequest = parsed.request;
      const currency = responseCurrency(request, 'USD');

      // Act
      const winners: ResponseBid[] = [];
      for (const imp of request.imp) {
        const { candidates } = eligibleBids(request, imp, lineItems, { frequencyCount: () => 0 });
        const bids = candidates.map((c, i) => auctionBidOf(c, `${c.lineItem.id}-${imp.id}`, i));
        const outcome = runAuction(auctionRulesFor(request, imp as Imp, currency), bids);
        if (outcome.winner && outcome.clearingPriceMicros !== null) {
          expect(outcome.clearingPriceMicros).toBeGreaterThanOrEqual(outcome.winner.candidate.floorMicros);
          winners.push(responseBidOf(outcome.winner.candidate, outcome.winner.id, outcome.clearingPriceMicros));
        }
      }
      const response = buildBidResponse(request, winners, { currency, noticeBaseUrl: BASE });

      // Assess
      if (response) expect(bidResponseErrors(response)).toEqual([]);
      if (name === 'simple-banner.json') {
        expect(response?.seatbid?.[0]?.bid[0]).toMatchObject({ crid: 'cr-300x250', cid: 'camp-1', price: 3, w: 300, h: 250, mtype: 1, adomain: ['shoes.example'] });
        expect(response?.seatbid?.[0]?.bid[0]?.nurl).toContain('&li=li-300x250');
      }
      if (name === 'pmp-direct-deal.json') expect(response?.seatbid?.[0]?.bid[0]).toMatchObject({ dealid: 'AB-Agency1-0001', price: 2.6 });
      if (name === 'mobile-app.json') expect(response?.seatbid?.[0]?.bid[0]).toMatchObject({ crid: 'cr-728', w: 728, h: 90 });
      if (name === 'video.json') expect(response?.seatbid?.[0]?.bid[0]).toMatchObject({ crid: 'cr-v', price: 0.04 });
    });
  }
});

describe('macros', () => {
  it('substitutes every OpenRTB macro we know, URL-encoded, prices as exact decimals', () => {
    // Prepare
    const url = 'https://dsp.example/win?a=${AUCTION_ID}&b=${AUCTION_BID_ID}&i=${AUCTION_IMP_ID}&s=${AUCTION_SEAT_ID}&ad=${AUCTION_AD_ID}&p=${AUCTION_PRICE}&c=${AUCTION_CURRENCY}&l=${AUCTION_LOSS}&m=${AUCTION_MBR}&w=${AUCTION_MIN_TO_WIN}';

    // Act
    const out = substituteMacros(url, {
      auctionId: 'req 1&x',
      bidId: 'b/1',
      impId: '1',
      seatId: 'seat',
      adId: 'ad',
      priceMicros: 1_234_500,
      currency: 'USD',
      loss: 102,
      mbr: '0.5',
      minToWinMicros: 30_000,
    });

    // Assess
    expect(out).toBe('https://dsp.example/win?a=req%201%26x&b=b%2F1&i=1&s=seat&ad=ad&p=1.2345&c=USD&l=102&m=0.5&w=0.03');
  });

  it('leaves macros without a value, unknown macros and encoded variants untouched', () => {
    expect(substituteMacros('x=${AUCTION_PRICE}&y=${AUCTION_PRICE:B64}&z=${AUCTION_FOO}&q=${OTHER}', { auctionId: 'a' })).toBe(
      'x=${AUCTION_PRICE}&y=${AUCTION_PRICE:B64}&z=${AUCTION_FOO}&q=${OTHER}',
    );
  });

  it('a notice URL we emit, filled in by an exchange, decodes back to what we need', () => {
    // Prepare
    const filled = substituteMacros(noticeUrl('loss', BASE, { auctionId: 'req-1', impId: '1', bidId: 'bid-1' }, { li: 'camp 1' }), {
      seatId: 'dealdesk',
      priceMicros: 2_010_000,
      currency: 'USD',
      loss: 102,
    });

    // Act
    const notice = parseNotice(filled.slice(BASE.length));

    // Assess
    expect(notice).toEqual({
      kind: 'loss',
      auctionId: 'req-1',
      impId: '1',
      bidId: 'bid-1',
      seat: 'dealdesk',
      priceMicros: 2_010_000,
      currency: 'USD',
      loss: 102,
      extra: { li: 'camp 1' },
    });
  });

  it('a price macro the exchange did not fill in is not a price', () => {
    expect(parseNotice(noticeUrl('win', BASE, { auctionId: 'a', impId: '1', bidId: 'b' }).slice(BASE.length))?.priceMicros).toBe(-1);
    expect(parseNotice('/somewhere/else?auction=a&imp=1&bid=b')).toBeNull();
  });

  it('a notice naming a parameter twice is not a notice (which value counts would be ambiguous)', () => {
    expect(parseNotice('/openrtb2/notice/bill?auction=a&imp=1&bid=b&price=2.5')).not.toBeNull();
    expect(parseNotice('/openrtb2/notice/bill?auction=a&imp=1&bid=b&price=2.5&price=0.0001')).toBeNull();
    expect(parseNotice('/openrtb2/notice/bill?auction=a&imp=1&bid=b&l=x&l=y')).toBeNull();
  });
});
