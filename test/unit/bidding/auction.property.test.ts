import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runAuction, type AuctionBid, type AuctionOutcome, type AuctionRules, type DealTerms } from '../../../shared/bidding/auction.js';

// Prepare: arbitrary rules and bids, drawn from small pools so ties, duplicates, blocked and invalid
// bids, unknown deals and wrong currencies all happen often.

const dealTerms = (id: string, auctionType: number): fc.Arbitrary<DealTerms> =>
  fc.record({
    floor: fc.integer({ min: 0, max: 4_000_000 }),
    wseat: fc.option(fc.constantFrom(['s1'], ['s1', 's2']), { nil: undefined }),
  }).map(({ floor, wseat }) => {
    const terms: DealTerms = { id, floorMicros: floor, effectiveFloorMicros: floor, auctionType };
    if (wseat) terms.wseat = wseat;
    return terms;
  });

const rulesArb: fc.Arbitrary<AuctionRules> = fc
  .record({
    auctionType: fc.constantFrom(1, 2),
    floor: fc.integer({ min: 0, max: 3_000_000 }),
    privateAuction: fc.boolean(),
    d1: dealTerms('D1', 1),
    d2: dealTerms('D2', 2),
    d3: dealTerms('D3', 3),
    increment: fc.constantFrom(1, 10_000),
  })
  .map(({ auctionType, floor, privateAuction, d1, d2, d3, increment }) => {
    // Deal effective floors for at 1/2 include the imp floor (max of both); at 3 is the deal price.
    const withImpFloor = (d: DealTerms): DealTerms => ({ ...d, effectiveFloorMicros: d.auctionType === 3 ? d.floorMicros : Math.max(d.floorMicros, floor) });
    return {
      impId: '1',
      currency: 'USD',
      auctionType,
      floorMicros: floor,
      privateAuction,
      deals: [withImpFloor(d1), withImpFloor(d2), withImpFloor(d3)],
      badv: ['evil.example'],
      bcat: ['IAB25'],
      bapp: ['com.bad.app'],
      bseat: ['blocked'],
      minIncrementMicros: increment,
    };
  });

const priceArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 6_000_000 }) },
  { weight: 3, arbitrary: fc.constantFrom(1_000_000, 2_000_000, 2_500_000) },
  { weight: 1, arbitrary: fc.constantFrom(0, -5, 1.5, Number.NaN, 2e15) },
);

const bidArb: fc.Arbitrary<AuctionBid> = fc
  .record({
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'),
    impId: fc.constantFrom('1', '1', '1', '1', '2'),
    source: fc.constantFrom('internal' as const, 'external' as const),
    seat: fc.constantFrom('s1', 's2', 's3', 'blocked'),
    priceMicros: priceArb,
    currency: fc.constantFrom('USD', 'USD', 'USD', 'EUR'),
    dealId: fc.option(fc.constantFrom('D1', 'D2', 'D3', 'NOPE'), { nil: undefined }),
    adomain: fc.constantFrom(['brand.example'], ['shop.brand.example'], ['ads.evil.example'], []),
    cat: fc.constantFrom(['IAB1'], ['IAB25-3'], [], ['IAB2', 'IAB3']),
    bundle: fc.option(fc.constantFrom('com.good.app', 'com.bad.app'), { nil: undefined }),
    arrival: fc.integer({ min: 0, max: 4 }),
  })
  .map((b) => {
    const bid: AuctionBid = { id: b.id, impId: b.impId, source: b.source, sourceId: `src-${b.id}`, seat: b.seat, priceMicros: b.priceMicros, currency: b.currency, adomain: b.adomain, cat: b.cat, arrival: b.arrival };
    if (b.dealId !== undefined) bid.dealId = b.dealId;
    if (b.bundle !== undefined) bid.bundle = b.bundle;
    return bid;
  });

const bidsArb = fc.array(bidArb, { maxLength: 12 });

/** Independent statement of "may this bid compete?" (a reference model, not the implementation). */
function referenceValid(rules: AuctionRules, bid: AuctionBid, all: readonly AuctionBid[]): boolean {
  if (all.filter((b) => b.id === bid.id).length > 1) return false;
  if (!Number.isSafeInteger(bid.priceMicros) || bid.priceMicros <= 0 || bid.priceMicros > 1e15) return false;
  if (bid.currency !== rules.currency || bid.impId !== rules.impId) return false;
  if (rules.bseat?.includes(bid.seat)) return false;
  if ((bid.adomain ?? []).some((d) => d === 'evil.example' || d.endsWith('.evil.example'))) return false;
  if ((bid.cat ?? []).some((c) => c === 'IAB25' || c.startsWith('IAB25-'))) return false;
  if (bid.bundle === 'com.bad.app') return false;
  return bid.priceMicros >= floorOf(rules, bid);
}

function floorOf(rules: AuctionRules, bid: AuctionBid): number {
  if (bid.dealId === undefined) return rules.privateAuction ? Infinity : rules.floorMicros;
  const deal = rules.deals.find((d) => d.id === bid.dealId);
  if (!deal) return Infinity;
  if (deal.wseat && deal.wseat.length > 0 && !deal.wseat.includes(bid.seat)) return Infinity;
  return deal.effectiveFloorMicros;
}

function winnerType(rules: AuctionRules, winner: AuctionBid): number {
  const deal = winner.dealId === undefined ? undefined : rules.deals.find((d) => d.id === winner.dealId);
  return deal ? deal.auctionType : rules.auctionType;
}

function summary(outcome: AuctionOutcome<AuctionBid>): unknown {
  return {
    winner: outcome.winner,
    clearing: outcome.clearingPriceMicros,
    type: outcome.auctionType,
    losers: outcome.losers.map((l) => `${l.bid.id}|${l.bid.priceMicros}|${l.bid.arrival}|${l.bid.seat}|${l.bid.dealId}|${l.bid.currency}|${l.reason}`).sort(),
  };
}

const RUNS = { numRuns: 2000 };

describe('auction properties', () => {
  it('the winner pays at least its floor and at most its own bid', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const { winner, clearingPriceMicros, floorMicros } = runAuction(rules, bids);
        if (!winner) return;
        expect(clearingPriceMicros).not.toBeNull();
        expect(clearingPriceMicros as number).toBeGreaterThanOrEqual(floorOf(rules, winner));
        expect(clearingPriceMicros as number).toBeGreaterThanOrEqual(floorMicros as number);
        expect(clearingPriceMicros as number).toBeLessThanOrEqual(winner.priceMicros);
      }),
      RUNS,
    );
  });

  it('no invalid bid ever wins, and the winner is the highest valid bid', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const { winner } = runAuction(rules, bids);
        const valid = bids.filter((b) => referenceValid(rules, b, bids));
        if (!winner) {
          expect(valid).toEqual([]);
          return;
        }
        expect(referenceValid(rules, winner, bids)).toBe(true);
        expect(Math.max(...valid.map((b) => b.priceMicros))).toBe(winner.priceMicros);
      }),
      RUNS,
    );
  });

  it('second price: the clearing price is at most the winner bid and at least the second-highest valid bid (or floor)', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const { winner, clearingPriceMicros } = runAuction(rules, bids);
        if (!winner || winnerType(rules, winner) !== 2) return;
        const others = bids.filter((b) => b !== winner && referenceValid(rules, b, bids)).map((b) => b.priceMicros);
        const second = Math.max(floorOf(rules, winner), ...others);
        expect(clearingPriceMicros as number).toBeLessThanOrEqual(winner.priceMicros);
        expect(clearingPriceMicros as number).toBeGreaterThanOrEqual(second);
        expect(clearingPriceMicros).toBe(Math.min(second + rules.minIncrementMicros, winner.priceMicros));
      }),
      RUNS,
    );
  });

  it('first price: the winner pays its own bid', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const { winner, clearingPriceMicros } = runAuction(rules, bids);
        if (winner && winnerType(rules, winner) === 1) expect(clearingPriceMicros).toBe(winner.priceMicros);
      }),
      RUNS,
    );
  });

  it('at=3 always clears at the deal price', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const { winner, clearingPriceMicros, auctionType } = runAuction(rules, bids);
        if (winner?.dealId === 'D3') {
          expect(auctionType).toBe(3);
          expect(clearingPriceMicros).toBe(rules.deals.find((d) => d.id === 'D3')?.floorMicros);
        }
      }),
      RUNS,
    );
  });

  it('nothing wins below its floor: when no bid reaches its floor there is no winner', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const lowered = bids.map((b) => ({ ...b, priceMicros: Math.min(b.priceMicros, floorOf(rules, b) - 1) }));
        expect(runAuction(rules, lowered).winner).toBeNull();
      }),
      RUNS,
    );
  });

  it('the outcome does not depend on the order of the bids, and the same input gives the same outcome', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, fc.array(fc.nat(), { minLength: 12, maxLength: 12 }), (rules, bids, keys) => {
        const shuffled = bids.map((b, i) => ({ b, k: keys[i] ?? 0, i })).sort((x, y) => x.k - y.k || y.i - x.i).map((x) => x.b);
        const first = summary(runAuction(rules, bids));
        expect(summary(runAuction(rules, shuffled))).toEqual(first);
        expect(summary(runAuction(rules, bids))).toEqual(first);
      }),
      RUNS,
    );
  });

  it('ties are broken by the documented order (price, then arrival, then id), never by input order', () => {
    // Prepare: valid bids only, from tiny pools so prices and arrivals tie often.
    const tiedBids = fc.uniqueArray(
      fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), price: fc.constantFrom(1_000_000, 2_000_000), arrival: fc.constantFrom(0, 1) }),
      { minLength: 2, maxLength: 6, selector: (b) => b.id },
    );
    const rules: AuctionRules = { impId: '1', currency: 'USD', auctionType: 2, floorMicros: 0, privateAuction: false, deals: [], minIncrementMicros: 10_000 };
    fc.assert(
      fc.property(tiedBids, fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (drawn, keys) => {
        const bids: AuctionBid[] = drawn.map((d) => ({ id: d.id, impId: '1', source: 'external', sourceId: d.id, seat: 's', priceMicros: d.price, currency: 'USD', arrival: d.arrival }));
        const shuffled = bids.map((b, i) => ({ b, k: keys[i] ?? 0, i })).sort((x, y) => x.k - y.k || y.i - x.i).map((x) => x.b);

        // Act
        const a = runAuction(rules, bids);
        const b = runAuction(rules, shuffled);

        // Assess
        const expected = [...bids].sort((x, y) => y.priceMicros - x.priceMicros || x.arrival - y.arrival || (x.id < y.id ? -1 : 1))[0];
        expect(a.winner).toBe(expected);
        expect(b.winner).toBe(expected);
        expect(b.clearingPriceMicros).toBe(a.clearingPriceMicros);
      }),
      RUNS,
    );
  });

  it('every bid is accounted for exactly once: the winner or a loser with a reason', () => {
    fc.assert(
      fc.property(rulesArb, bidsArb, (rules, bids) => {
        const { winner, losers } = runAuction(rules, bids);
        expect(losers.length + (winner ? 1 : 0)).toBe(bids.length);
        for (const loser of losers) expect(loser.reason).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });
});
