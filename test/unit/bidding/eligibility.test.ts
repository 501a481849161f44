import { describe, expect, it, vi } from 'vitest';
import { deviceTypesOf, eligibleBids, userIdOf, type EligibilityContext } from '../../../shared/bidding/eligibility.js';
import type { LineItem } from '../../../shared/bidding/line-item.js';
import type { BidRequest, Imp } from '../../../shared/bidding/openrtb/types.js';
import { aBanner, aLineItem, anImp, aRequest } from './fixtures.js';

function decide(request: BidRequest, lineItem: LineItem, ctx: EligibilityContext = {}, imp: Imp = request.imp[0] as Imp) {
  return eligibleBids(request, imp, [lineItem], ctx);
}

function reasonFor(request: BidRequest, lineItem: LineItem, ctx: EligibilityContext = {}): string | undefined {
  const result = decide(request, lineItem, ctx);
  return result.rejections[0]?.reason;
}

describe('eligibleBids: the happy path', () => {
  it('bids maxBid with the matching creative in the open auction', () => {
    // Prepare
    const request = aRequest();
    const lineItem = aLineItem();

    // Act
    const { candidates, rejections } = decide(request, lineItem);

    // Assess
    expect(rejections).toEqual([]);
    expect(candidates).toEqual([
      { lineItem, creative: lineItem.creatives[0], impId: '1', priceMicros: 2_000_000, currency: 'USD', floorMicros: 500_000, auctionType: 1 },
    ]);
  });

  it('keeps input order and reports one reason per rejected line item', () => {
    const request = aRequest();
    const items = [aLineItem({ id: 'a' }), aLineItem({ id: 'b', maxBidMicros: 1 }), aLineItem({ id: 'c' })];
    const { candidates, rejections } = eligibleBids(request, request.imp[0] as Imp, items);
    expect(candidates.map((c) => c.lineItem.id)).toEqual(['a', 'c']);
    expect(rejections).toEqual([{ lineItemId: 'b', reason: 'below_floor' }]);
  });
});

describe('eligibleBids: PMP', () => {
  const pmpImp = (privateAuction: 0 | 1, deals = [{ id: 'D1', bidfloor: 1, wseat: ['dealdesk'] }]) => anImp({ bidfloor: 0.5, pmp: { private_auction: privateAuction, deals } });

  it('a private auction refuses open-auction line items', () => {
    expect(reasonFor(aRequest({ imp: [pmpImp(1)] }), aLineItem())).toBe('private_auction');
  });

  it('an open line item still bids when the pmp is not private', () => {
    expect(decide(aRequest({ imp: [pmpImp(0)] }), aLineItem()).candidates).toHaveLength(1);
  });

  it('a line item tied to a deal bids on that deal, with its deal id and floor', () => {
    const { candidates } = decide(aRequest({ imp: [pmpImp(1)] }), aLineItem({ pmpDealId: 'D1' }));
    expect(candidates[0]).toMatchObject({ dealId: 'D1', floorMicros: 1_000_000, priceMicros: 2_000_000 });
  });

  it('a line item tied to a deal does not bid where the deal is not offered (not even in the open auction)', () => {
    expect(reasonFor(aRequest(), aLineItem({ pmpDealId: 'D1' }))).toBe('deal_not_offered');
    expect(reasonFor(aRequest({ imp: [pmpImp(0)] }), aLineItem({ pmpDealId: 'OTHER' }))).toBe('deal_not_offered');
  });

  it("a deal's wseat restricts which seats may bid", () => {
    const imp = pmpImp(1, [{ id: 'D1', bidfloor: 1, wseat: ['Agency1'] }]);
    expect(reasonFor(aRequest({ imp: [imp] }), aLineItem({ pmpDealId: 'D1' }))).toBe('seat_not_allowed');
    expect(decide(aRequest({ imp: [imp] }), aLineItem({ pmpDealId: 'D1', seat: 'Agency1' })).candidates).toHaveLength(1);
  });

  it('request-level wseat and bseat apply too', () => {
    expect(reasonFor(aRequest({ wseat: ['someone-else'] }), aLineItem())).toBe('seat_not_allowed');
    expect(reasonFor(aRequest({ bseat: ['dealdesk'] }), aLineItem())).toBe('seat_not_allowed');
  });

  it('an at=3 deal bids exactly the deal price', () => {
    const imp = anImp({ bidfloor: 3, pmp: { private_auction: 1, deals: [{ id: 'D3', at: 3, bidfloor: 1.5 }] } });
    const { candidates } = decide(aRequest({ imp: [imp] }), aLineItem({ pmpDealId: 'D3' }));
    expect(candidates[0]).toMatchObject({ auctionType: 3, priceMicros: 1_500_000, floorMicros: 1_500_000 });
  });

  it('a deal without its own at inherits the request at', () => {
    const { candidates } = decide(aRequest({ at: 2, imp: [pmpImp(1, [{ id: 'D1', bidfloor: 1, wseat: [] }])] }), aLineItem({ pmpDealId: 'D1' }));
    expect(candidates[0]?.auctionType).toBe(2);
  });
});

describe('eligibleBids: floors and currency', () => {
  it('refuses a line item whose maxBid is below the imp floor', () => {
    expect(reasonFor(aRequest({ imp: [anImp({ bidfloor: 2.000001 })] }), aLineItem({ maxBidMicros: 2_000_000 }))).toBe('below_floor');
  });

  it('bids when maxBid equals the floor exactly (no float drift)', () => {
    expect(decide(aRequest({ imp: [anImp({ bidfloor: 0.03 })] }), aLineItem({ maxBidMicros: 30_000 })).candidates).toHaveLength(1);
  });

  it('effective floor on a deal is the max of imp floor and deal floor', () => {
    const imp = anImp({ bidfloor: 2.5, pmp: { deals: [{ id: 'D1', bidfloor: 1 }] } });
    expect(reasonFor(aRequest({ imp: [imp] }), aLineItem({ pmpDealId: 'D1', maxBidMicros: 2_000_000 }))).toBe('below_floor');
    const imp2 = anImp({ bidfloor: 0.5, pmp: { deals: [{ id: 'D1', bidfloor: 2.5 }] } });
    expect(reasonFor(aRequest({ imp: [imp2] }), aLineItem({ pmpDealId: 'D1', maxBidMicros: 2_000_000 }))).toBe('below_floor');
  });

  it('only bids in a currency the request allows (absent cur = USD only)', () => {
    expect(reasonFor(aRequest({ cur: ['EUR'] }), aLineItem())).toBe('currency_not_allowed');
    const { cur: _omit, ...noCur } = aRequest();
    expect(decide(noCur, aLineItem()).candidates).toHaveLength(1);
    expect(reasonFor(noCur, aLineItem({ currency: 'EUR' }))).toBe('currency_not_allowed');
  });

  it('a floor in another currency cannot be converted: not eligible', () => {
    const request = aRequest({ cur: ['USD', 'EUR'], imp: [anImp({ bidfloor: 0.5, bidfloorcur: 'EUR' })] });
    expect(reasonFor(request, aLineItem())).toBe('floor_currency');
    expect(decide(request, aLineItem({ currency: 'EUR' })).candidates).toHaveLength(1);
  });

  it('an absurd floor is out of reach by price, not by currency', () => {
    expect(reasonFor(aRequest({ imp: [anImp({ bidfloor: 1e300 })] }), aLineItem({ maxBidMicros: 1e15 }))).toBe('below_floor');
  });

  it('a zero floor in another currency is met trivially', () => {
    const request = aRequest({ imp: [anImp({ bidfloor: 0, bidfloorcur: 'EUR' })] });
    expect(decide(request, aLineItem()).candidates[0]?.floorMicros).toBe(0);
  });
});

describe('eligibleBids: brand safety', () => {
  it('bcat blocks a creative category and its subcategories', () => {
    expect(reasonFor(aRequest({ bcat: ['IAB18'] }), aLineItem())).toBe('blocked_category');
    expect(reasonFor(aRequest({ bcat: ['IAB18-3'] }), aLineItem())).toBe('blocked_category');
    expect(decide(aRequest({ bcat: ['IAB1', 'IAB18-30'] }), aLineItem()).candidates).toHaveLength(1);
  });

  it('badv blocks an advertiser domain and its subdomains, not look-alikes', () => {
    expect(reasonFor(aRequest({ badv: ['shoes.example'] }), aLineItem())).toBe('blocked_advertiser');
    expect(reasonFor(aRequest({ badv: ['example'] }), aLineItem())).toBe('blocked_advertiser');
    expect(decide(aRequest({ badv: ['hoes.example'] }), aLineItem()).candidates).toHaveLength(1);
  });

  it('bapp blocks a creative advertising a blocked app bundle', () => {
    const lineItem = aLineItem({ creatives: [aBanner({ bundle: 'com.game.bad' })] });
    expect(reasonFor(aRequest({ bapp: ['com.game.bad'] }), lineItem)).toBe('blocked_app');
  });

  it('falls back to the next creative that is not blocked', () => {
    const safe = aBanner({ id: 'cr-safe', cat: ['IAB1'], adomain: ['shoes.example'] });
    const lineItem = aLineItem({ creatives: [aBanner(), safe] });
    expect(decide(aRequest({ bcat: ['IAB18'] }), lineItem).candidates[0]?.creative.id).toBe('cr-safe');
  });

  it("a deal's wadomain admits only its advertisers", () => {
    const imp = anImp({ pmp: { deals: [{ id: 'D1', wadomain: ['other.example'] }] } });
    expect(reasonFor(aRequest({ imp: [imp] }), aLineItem({ pmpDealId: 'D1' }))).toBe('advertiser_not_allowed');
  });
});

describe('eligibleBids: targeting', () => {
  it('geo: the device country (alpha-3) must be targeted', () => {
    expect(decide(aRequest(), aLineItem({ targeting: { countries: ['USA', 'CAN'], devices: [] } })).candidates).toHaveLength(1);
    expect(reasonFor(aRequest(), aLineItem({ targeting: { countries: ['DEU'], devices: [] } }))).toBe('geo_mismatch');
  });

  it('geo: falls back to user.geo, and an unknown country does not match a geo target', () => {
    const targeted = aLineItem({ targeting: { countries: ['FRA'], devices: [] } });
    expect(decide(aRequest({ device: {}, user: { id: 'u', geo: { country: 'FRA' } } }), targeted).candidates).toHaveLength(1);
    expect(reasonFor(aRequest({ device: {} }), targeted)).toBe('geo_mismatch');
    expect(decide(aRequest({ device: {} }), aLineItem()).candidates).toHaveLength(1);
  });

  it('device: AdCOM device types map to our classes', () => {
    expect(deviceTypesOf(1)).toEqual(['mobile', 'tablet']);
    expect(deviceTypesOf(2)).toEqual(['desktop']);
    expect(deviceTypesOf(3)).toEqual(['ctv']);
    expect(deviceTypesOf(4)).toEqual(['mobile']);
    expect(deviceTypesOf(5)).toEqual(['tablet']);
    expect(deviceTypesOf(7)).toEqual(['ctv']);
    expect(deviceTypesOf(99)).toEqual([]);
    expect(deviceTypesOf(undefined)).toEqual([]);
  });

  it('device: targeting must include the device class; unknown device does not match', () => {
    const mobileOnly = aLineItem({ targeting: { countries: [], devices: ['mobile'] } });
    expect(reasonFor(aRequest(), mobileOnly)).toBe('device_mismatch');
    expect(decide(aRequest({ device: { devicetype: 4, geo: { country: 'USA' } } }), mobileOnly).candidates).toHaveLength(1);
    expect(reasonFor(aRequest({ device: {} }), mobileOnly)).toBe('device_mismatch');
  });
});

describe('eligibleBids: creative format and size', () => {
  it('a banner creative must match banner w/h', () => {
    expect(reasonFor(aRequest({ imp: [anImp({ banner: { w: 728, h: 90 } })] }), aLineItem())).toBe('size_mismatch');
  });

  it('banner.format[] offers further sizes', () => {
    const imp = anImp({ banner: { format: [{ w: 728, h: 90 }, { w: 300, h: 250 }] } });
    expect(decide(aRequest({ imp: [imp] }), aLineItem()).candidates).toHaveLength(1);
  });

  it('a banner-only line item cannot bid on a video imp', () => {
    const { banner: _b, ...rest } = anImp();
    const videoImp: Imp = { ...rest, video: { mimes: ['video/mp4'], w: 640, h: 480 } };
    expect(reasonFor(aRequest({ imp: [videoImp] }), aLineItem())).toBe('format_mismatch');
    const videoItem = aLineItem({ creatives: [aBanner({ id: 'v', format: 'video', w: 640, h: 480, mimes: ['video/mp4'] })] });
    expect(decide(aRequest({ imp: [videoImp] }), videoItem).candidates).toHaveLength(1);
  });

  it('native and audio creatives go to native and audio imps', () => {
    const nativeImp: Imp = { id: '1', native: { request: '{}' } };
    const nativeItem = aLineItem({ creatives: [aBanner({ id: 'n', format: 'native', w: 0, h: 0 })] });
    expect(decide(aRequest({ imp: [nativeImp] }), nativeItem).candidates).toHaveLength(1);
    expect(reasonFor(aRequest({ imp: [{ id: '1', audio: {} }] }), nativeItem)).toBe('format_mismatch');
  });
});

describe('eligibleBids: frequency caps', () => {
  const capped = aLineItem({ frequencyCap: { impressions: 3, periodHours: 24 } });

  it('asks the lookup with user, campaign and period, and refuses at the cap', () => {
    // Prepare
    const frequencyCount = vi.fn(() => 3);

    // Act
    const reason = reasonFor(aRequest(), capped, { frequencyCount });

    // Assess
    expect(reason).toBe('frequency_capped');
    expect(frequencyCount).toHaveBeenCalledWith('user-1', 'camp-1', 24);
  });

  it('bids below the cap', () => {
    expect(decide(aRequest(), capped, { frequencyCount: () => 2 }).candidates).toHaveLength(1);
  });

  it('an unidentifiable user cannot be capped, so a capped line item does not bid', () => {
    expect(reasonFor(aRequest({ user: {} }), capped, { frequencyCount: () => 0 })).toBe('no_user_id');
  });

  it('identifies users by user.id, then buyeruid, then device.ifa', () => {
    expect(userIdOf(aRequest({ user: { buyeruid: 'b' } }))).toBe('b');
    expect(userIdOf(aRequest({ user: {}, device: { ifa: 'ifa-1' } }))).toBe('ifa-1');
  });

  it('does not look up line items without a cap or already rejected', () => {
    const frequencyCount = vi.fn(() => 0);
    eligibleBids(aRequest(), anImp(), [aLineItem(), aLineItem({ ...capped, maxBidMicros: 1 })], { frequencyCount });
    expect(frequencyCount).not.toHaveBeenCalled();
  });
});
