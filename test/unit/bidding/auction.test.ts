import { describe, expect, it } from 'vitest';
import { auctionRulesFor, LOSS_REASON, runAuction, type AuctionRules } from '../../../shared/bidding/auction.js';
import { UNREACHABLE_FLOOR } from '../../../shared/bidding/floors.js';
import type { Imp } from '../../../shared/bidding/openrtb/types.js';
import { aBid, anImp, aRequest } from './fixtures.js';

function rules(overrides: Partial<AuctionRules> = {}): AuctionRules {
  return {
    impId: '1',
    currency: 'USD',
    auctionType: 1,
    floorMicros: 500_000,
    privateAuction: false,
    deals: [],
    minIncrementMicros: 10_000,
    ...overrides,
  };
}

describe('auctionRulesFor', () => {
  it('converts floors to micros and resolves deal auction types and effective floors', () => {
    // Prepare
    const imp: Imp = anImp({
      bidfloor: 0.03,
      pmp: {
        private_auction: 1,
        deals: [
          { id: 'A', bidfloor: 2.5, wseat: ['Agency1'] },
          { id: 'B', at: 3, bidfloor: 0.01 },
          { id: 'C', bidfloor: 1, bidfloorcur: 'EUR' },
        ],
      },
    });

    // Act
    const r = auctionRulesFor(aRequest({ at: 2, bcat: ['IAB25'], imp: [imp] }), imp, 'USD');

    // Assess
    expect(r).toMatchObject({ impId: '1', currency: 'USD', auctionType: 2, floorMicros: 30_000, privateAuction: true, bcat: ['IAB25'] });
    expect(r.deals).toEqual([
      { id: 'A', floorMicros: 2_500_000, effectiveFloorMicros: 2_500_000, auctionType: 2, wseat: ['Agency1'] },
      { id: 'B', floorMicros: 10_000, effectiveFloorMicros: 10_000, auctionType: 3 },
      { id: 'C', floorMicros: UNREACHABLE_FLOOR, effectiveFloorMicros: UNREACHABLE_FLOOR, auctionType: 2 },
    ]);
  });

  it('defaults the auction type to 2 when the request has no at', () => {
    const { at: _at, ...request } = aRequest();
    expect(auctionRulesFor(request, anImp(), 'USD').auctionType).toBe(2);
  });
});

describe('runAuction: first price', () => {
  it('the highest valid bid wins and pays its own price; others lose to a higher bid (102)', () => {
    // Prepare
    const low = aBid({ id: 'low', priceMicros: 1_000_000 });
    const high = aBid({ id: 'high', priceMicros: 3_000_000, arrival: 1 });

    // Act
    const outcome = runAuction(rules(), [low, high]);

    // Assess
    expect(outcome.winner).toBe(high);
    expect(outcome.clearingPriceMicros).toBe(3_000_000);
    expect(outcome.auctionType).toBe(1);
    expect(outcome.losers).toEqual([{ bid: low, reason: 102 }]);
  });

  it('no winner when nothing clears the floor; each bid lost below floor (100)', () => {
    const outcome = runAuction(rules({ floorMicros: 5_000_000 }), [aBid({ id: 'a' }), aBid({ id: 'b', priceMicros: 4_999_999 })]);
    expect(outcome.winner).toBeNull();
    expect(outcome.clearingPriceMicros).toBeNull();
    expect(outcome.losers.map((l) => l.reason)).toEqual([100, 100]);
  });

  it('a bid exactly at the floor clears', () => {
    expect(runAuction(rules({ floorMicros: 1_000_000 }), [aBid()]).clearingPriceMicros).toBe(1_000_000);
  });

  it('no bids: no winner', () => {
    expect(runAuction(rules(), [])).toEqual({ impId: '1', winner: null, clearingPriceMicros: null, auctionType: null, floorMicros: null, losers: [] });
  });
});

describe('runAuction: second price plus', () => {
  it('the winner pays the second price plus one increment', () => {
    const outcome = runAuction(rules({ auctionType: 2 }), [aBid({ id: 'a', priceMicros: 3_000_000 }), aBid({ id: 'b', priceMicros: 2_000_000 })]);
    expect(outcome.winner?.id).toBe('a');
    expect(outcome.clearingPriceMicros).toBe(2_010_000);
  });

  it('alone, the winner pays the floor plus one increment', () => {
    expect(runAuction(rules({ auctionType: 2 }), [aBid({ priceMicros: 3_000_000 })]).clearingPriceMicros).toBe(510_000);
  });

  it('the price is capped at the winner\'s own bid', () => {
    const outcome = runAuction(rules({ auctionType: 2 }), [aBid({ id: 'a', priceMicros: 2_005_000 }), aBid({ id: 'b', priceMicros: 2_000_000 })]);
    expect(outcome.clearingPriceMicros).toBe(2_005_000);
  });

  it('invalid bids do not set the second price', () => {
    const outcome = runAuction(rules({ auctionType: 2, badv: ['evil.example'] }), [
      aBid({ id: 'a', priceMicros: 3_000_000 }),
      aBid({ id: 'evil', priceMicros: 2_900_000, adomain: ['evil.example'] }),
    ]);
    expect(outcome.clearingPriceMicros).toBe(510_000);
  });
});

describe('runAuction: deals', () => {
  const dealRules = rules({
    auctionType: 2,
    floorMicros: 30_000,
    privateAuction: true,
    deals: [
      { id: 'FIXED', floorMicros: 4_000_000, effectiveFloorMicros: 4_000_000, auctionType: 3 },
      { id: 'FP', floorMicros: 2_500_000, effectiveFloorMicros: 2_500_000, auctionType: 1, wseat: ['Agency1'] },
      { id: 'ADV', floorMicros: 0, effectiveFloorMicros: 30_000, auctionType: 2, wadomain: ['brand.example'] },
    ],
  });

  it('at=3: the winner pays the deal price whatever it bid', () => {
    const outcome = runAuction(dealRules, [aBid({ dealId: 'FIXED', priceMicros: 9_000_000 })]);
    expect(outcome).toMatchObject({ clearingPriceMicros: 4_000_000, auctionType: 3, floorMicros: 4_000_000 });
  });

  it('at=3: a bid below the deal price loses below deal floor (101)', () => {
    const outcome = runAuction(dealRules, [aBid({ dealId: 'FIXED', priceMicros: 3_999_999 })]);
    expect(outcome.winner).toBeNull();
    expect(outcome.losers[0]?.reason).toBe(LOSS_REASON.belowDealFloor);
  });

  it('a deal at=1 overrides the request at=2', () => {
    const outcome = runAuction(dealRules, [aBid({ dealId: 'FP', seat: 'Agency1', priceMicros: 3_000_000 })]);
    expect(outcome).toMatchObject({ clearingPriceMicros: 3_000_000, auctionType: 1 });
  });

  it('deal wseat: another seat is blocked (104)', () => {
    expect(runAuction(dealRules, [aBid({ dealId: 'FP', seat: 'Agency2', priceMicros: 3_000_000 })]).losers[0]?.reason).toBe(104);
  });

  it('deal wadomain: another advertiser is not allowed in the deal (213)', () => {
    expect(runAuction(dealRules, [aBid({ dealId: 'ADV', adomain: ['other.example'] })]).losers[0]?.reason).toBe(213);
    expect(runAuction(dealRules, [aBid({ dealId: 'ADV' })]).winner).not.toBeNull();
  });

  it('private auction: a bid without a deal, or naming an unknown deal, is invalid (4)', () => {
    const outcome = runAuction(dealRules, [aBid({ id: 'open', priceMicros: 9_000_000 }), aBid({ id: 'ghost', dealId: 'NOPE' })]);
    expect(outcome.winner).toBeNull();
    expect(outcome.losers.map((l) => l.reason)).toEqual([4, 4]);
  });

  it('an open bid that loses to a deal bid gets 103', () => {
    const open = rules({ deals: [{ id: 'D', floorMicros: 0, effectiveFloorMicros: 500_000, auctionType: 1 }] });
    const outcome = runAuction(open, [aBid({ id: 'deal', dealId: 'D', priceMicros: 2_000_000 }), aBid({ id: 'open', priceMicros: 1_000_000 })]);
    expect(outcome.winner?.id).toBe('deal');
    expect(outcome.losers[0]?.reason).toBe(LOSS_REASON.lostToPmpDeal);
  });
});

describe('runAuction: external bids are validated before they can win', () => {
  const strict = rules({ badv: ['evil.example'], bcat: ['IAB25'], bapp: ['com.bad.app'], bseat: ['blocked-seat'] });

  it.each([
    ['wrong currency', { currency: 'EUR' }, 3],
    ['another imp', { impId: '2' }, 3],
    ['zero price', { priceMicros: 0 }, 3],
    ['fractional micros', { priceMicros: 1.5 }, 3],
    ['absurd price', { priceMicros: 2e15 }, 3],
    ['blocked advertiser', { adomain: ['ads.evil.example'] }, 205],
    ['blocked category', { cat: ['IAB25-1'] }, 209],
    ['blocked app bundle', { bundle: 'com.bad.app' }, 206],
    ['blocked seat', { seat: 'blocked-seat' }, 104],
    ['below floor', { priceMicros: 499_999 }, 100],
  ] as const)('%s loses with %s and never wins, even as the highest bid', (_name, override, reason) => {
    // Prepare
    const bad = aBid({ id: 'bad', priceMicros: 9_000_000, ...override });
    const good = aBid({ id: 'good', priceMicros: 600_000 });

    // Act
    const outcome = runAuction(strict, [bad, good]);

    // Assess
    expect(outcome.winner?.id).toBe('good');
    expect(outcome.losers).toEqual([{ bid: bad, reason }]);
  });

  it('duplicate bid ids are all invalid (the ranking must be a total order)', () => {
    const outcome = runAuction(rules(), [aBid({ id: 'x', priceMicros: 2_000_000 }), aBid({ id: 'x', priceMicros: 1_000_000, arrival: 1 }), aBid({ id: 'y' })]);
    expect(outcome.winner?.id).toBe('y');
    expect(outcome.losers.map((l) => l.reason)).toEqual([3, 3]);
  });
});

describe('runAuction: tie-break', () => {
  it('equal prices: the earlier arrival wins', () => {
    const outcome = runAuction(rules(), [aBid({ id: 'a', arrival: 5 }), aBid({ id: 'z', arrival: 2 })]);
    expect(outcome.winner?.id).toBe('z');
  });

  it('equal prices and arrival: the smaller bid id wins', () => {
    const outcome = runAuction(rules(), [aBid({ id: 'b' }), aBid({ id: 'a' })]);
    expect(outcome.winner?.id).toBe('a');
  });
});
