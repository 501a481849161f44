/**
 * The auction for ONE impression among our line items' candidates and external DSPs' bids.
 *
 * Every bid is validated first (internal ones too: the check is cheap and keeps one code path);
 * an invalid bid can never win. Loss reason codes are OpenRTB's (List: Loss Reason Codes), so they go
 * straight into ${AUCTION_LOSS} of a DSP's lurl:
 *   3   invalid bid (price not a positive safe integer or above MAX_PRICE_MICROS, wrong currency,
 *       wrong imp id, duplicate bid id within the auction)
 *   4   invalid deal id (names a deal the imp does not offer, or no deal in a private auction)
 *   100 below the auction (imp) floor            101 below the deal floor
 *   102 lost to a higher bid                     103 lost to a bid for a PMP deal
 *   104 buyer seat blocked (request wseat/bseat or the deal's wseat)
 *   205 advertiser exclusions (badv)             206 app bundle exclusions (bapp)
 *   209 category exclusions (bcat)               213 not allowed in the PMP deal (deal wadomain)
 *
 * Ranking (deterministic, independent of input order): higher price first; then lower `arrival`
 * (earlier arrival index: internal line items are numbered before DSPs in the service, DSPs in order of
 * response); then lexicographically smaller bid `id` (code-unit order). Bid ids are unique within an
 * auction: duplicates are all invalid (3), so the order is total.
 *
 * Clearing price (what the winner pays), by the winner's auction type (deal.at, else request at, else 2):
 *   1 (and exchange-specific 500+, which we cannot know the rules of): the winner's own price;
 *   2 second price plus: max(highest other valid price, winner's floor) + minIncrement, capped at the
 *     winner's own price;
 *   3 the deal price (the deal's bidfloor), for which the bid must be at least that (a request-level
 *     at=3 has no deal price for open-auction bids: those are priced first price).
 * No valid bid -> no winner.
 */
import { isAdvertiserBlocked, isAdvertiserNotAllowed, isAppBlocked, isCategoryBlocked, isSeatAllowed } from './brand-safety.js';
import { dealAuctionType, dealFloorMicros, effectiveDealFloor, impFloorMicros, MAX_PRICE_MICROS } from './floors.js';
import type { Candidate } from './eligibility.js';
import { auctionTypeOf, type BidRequest, type Imp } from './openrtb/types.js';

export const LOSS_REASON = {
  won: 0,
  internalError: 1,
  expired: 2,
  invalidBid: 3,
  invalidDealId: 4,
  invalidAuctionId: 5,
  invalidAdvertiserDomain: 6,
  missingMarkup: 7,
  missingCreativeId: 8,
  missingPrice: 9,
  belowAuctionFloor: 100,
  belowDealFloor: 101,
  lostToHigherBid: 102,
  lostToPmpDeal: 103,
  buyerSeatBlocked: 104,
  creativeFiltered: 200,
  sizeNotAllowed: 203,
  advertiserExclusions: 205,
  appBundleExclusions: 206,
  categoryExclusions: 209,
  notAllowedInPmpDeal: 213,
} as const;
export type LossReason = (typeof LOSS_REASON)[keyof typeof LOSS_REASON];

/** $0.01 CPM: the "plus" of second price plus. */
export const DEFAULT_MIN_INCREMENT_MICROS = 10_000;

export interface AuctionBid {
  /** Unique within this auction (ours: generated; DSPs': their bid.id, prefixed by the service if needed). */
  id: string;
  impId: string;
  source: 'internal' | 'external';
  /** Line item id (internal) or DSP id (external). */
  sourceId: string;
  seat: string;
  /** CPM, integer micros of `currency`. */
  priceMicros: number;
  currency: string;
  dealId?: string;
  adomain?: readonly string[];
  cat?: readonly string[];
  bundle?: string;
  /** Arrival index; lower = earlier. Used only to break price ties. */
  arrival: number;
}

/** An internal candidate as an auction bid, carrying the candidate along for the response. */
export type CandidateBid = AuctionBid & { candidate: Candidate };

/** Wraps an eligibility candidate as an auction bid with our bid `id` and its `arrival` index. */
export function auctionBidOf(candidate: Candidate, id: string, arrival: number): CandidateBid {
  const bid: CandidateBid = {
    id,
    impId: candidate.impId,
    source: 'internal',
    sourceId: candidate.lineItem.id,
    seat: candidate.lineItem.seat,
    priceMicros: candidate.priceMicros,
    currency: candidate.currency,
    adomain: candidate.creative.adomain,
    cat: candidate.creative.cat,
    arrival,
    candidate,
  };
  if (candidate.dealId !== undefined) bid.dealId = candidate.dealId;
  if (candidate.creative.bundle !== undefined) bid.bundle = candidate.creative.bundle;
  return bid;
}

export interface DealTerms {
  id: string;
  /** Deal floor (at 1/2) or deal price (at 3), micros of the auction currency; UNREACHABLE if not convertible. */
  floorMicros: number;
  /** Effective floor of a bid on this deal (see ./floors.ts). */
  effectiveFloorMicros: number;
  auctionType: number;
  wseat?: readonly string[];
  wadomain?: readonly string[];
}

/** Everything the auction needs about one impression, in one currency. Build with `auctionRulesFor`. */
export interface AuctionRules {
  impId: string;
  currency: string;
  /** Request-level auction type (default 2). */
  auctionType: number;
  /** imp.bidfloor in micros of `currency` (UNREACHABLE if in another currency). */
  floorMicros: number;
  privateAuction: boolean;
  deals: readonly DealTerms[];
  bcat?: readonly string[];
  badv?: readonly string[];
  bapp?: readonly string[];
  wseat?: readonly string[];
  bseat?: readonly string[];
  minIncrementMicros: number;
}

export function auctionRulesFor(request: BidRequest, imp: Imp, currency: string, minIncrementMicros = DEFAULT_MIN_INCREMENT_MICROS): AuctionRules {
  const floor = impFloorMicros(imp, currency);
  const deals: DealTerms[] = [];
  const offered = imp.pmp?.deals;
  if (offered) {
    for (const deal of offered) {
      const auctionType = dealAuctionType(request, deal);
      const dealFloor = dealFloorMicros(deal, currency);
      const terms: DealTerms = { id: deal.id, floorMicros: dealFloor, effectiveFloorMicros: effectiveDealFloor(floor, dealFloor, auctionType), auctionType };
      if (deal.wseat) terms.wseat = deal.wseat;
      if (deal.wadomain) terms.wadomain = deal.wadomain;
      deals.push(terms);
    }
  }
  const rules: AuctionRules = {
    impId: imp.id,
    currency,
    auctionType: auctionTypeOf(request),
    floorMicros: floor,
    privateAuction: imp.pmp?.private_auction === 1,
    deals,
    minIncrementMicros,
  };
  if (request.bcat) rules.bcat = request.bcat;
  if (request.badv) rules.badv = request.badv;
  if (request.bapp) rules.bapp = request.bapp;
  if (request.wseat) rules.wseat = request.wseat;
  if (request.bseat) rules.bseat = request.bseat;
  return rules;
}

export interface Loser<B extends AuctionBid> {
  bid: B;
  reason: LossReason;
}

export interface AuctionOutcome<B extends AuctionBid> {
  impId: string;
  winner: B | null;
  /** What the winner pays, micros of the auction currency; null without a winner. */
  clearingPriceMicros: number | null;
  /** Auction type that priced the winner (1, 2, 3 or exchange-specific); null without a winner. */
  auctionType: number | null;
  /** The floor the winner had to meet; null without a winner. */
  floorMicros: number | null;
  /** Every other bid, in input order, with its loss reason. */
  losers: Loser<B>[];
}

function findTerms(rules: AuctionRules, dealId: string): DealTerms | undefined {
  const deals = rules.deals;
  for (let i = 0; i < deals.length; i++) if ((deals[i] as DealTerms).id === dealId) return deals[i];
  return undefined;
}

/** 0 when the bid may compete, else its loss reason. */
function validate(rules: AuctionRules, bid: AuctionBid): LossReason {
  const price = bid.priceMicros;
  if (!Number.isSafeInteger(price) || price <= 0 || price > MAX_PRICE_MICROS) return LOSS_REASON.invalidBid;
  if (bid.currency !== rules.currency || bid.impId !== rules.impId) return LOSS_REASON.invalidBid;
  if (!isSeatAllowed(bid.seat, rules.wseat, rules.bseat)) return LOSS_REASON.buyerSeatBlocked;
  let floor = rules.floorMicros;
  let belowFloor: LossReason = LOSS_REASON.belowAuctionFloor;
  if (bid.dealId !== undefined) {
    const terms = findTerms(rules, bid.dealId);
    if (!terms) return LOSS_REASON.invalidDealId;
    if (!isSeatAllowed(bid.seat, terms.wseat)) return LOSS_REASON.buyerSeatBlocked;
    if (isAdvertiserNotAllowed(bid.adomain, terms.wadomain)) return LOSS_REASON.notAllowedInPmpDeal;
    floor = terms.effectiveFloorMicros;
    belowFloor = terms.auctionType !== 3 && rules.floorMicros > terms.floorMicros ? LOSS_REASON.belowAuctionFloor : LOSS_REASON.belowDealFloor;
  } else if (rules.privateAuction) {
    return LOSS_REASON.invalidDealId;
  }
  if (isAdvertiserBlocked(bid.adomain, rules.badv)) return LOSS_REASON.advertiserExclusions;
  if (isCategoryBlocked(bid.cat, rules.bcat)) return LOSS_REASON.categoryExclusions;
  if (isAppBlocked(bid.bundle, rules.bapp)) return LOSS_REASON.appBundleExclusions;
  if (price < floor) return belowFloor;
  return 0;
}

/** True when `a` ranks before `b`: higher price, then earlier arrival, then smaller id. */
export function ranksBefore(a: AuctionBid, b: AuctionBid): boolean {
  if (a.priceMicros !== b.priceMicros) return a.priceMicros > b.priceMicros;
  if (a.arrival !== b.arrival) return a.arrival < b.arrival;
  return a.id < b.id;
}

function markDuplicateIds(bids: readonly AuctionBid[], codes: Int32Array): void {
  const n = bids.length;
  if (n < 2) return;
  if (n <= 32) {
    for (let i = 1; i < n; i++) {
      const id = (bids[i] as AuctionBid).id;
      for (let j = 0; j < i; j++) {
        if ((bids[j] as AuctionBid).id === id) {
          codes[i] = LOSS_REASON.invalidBid;
          codes[j] = LOSS_REASON.invalidBid;
        }
      }
    }
    return;
  }
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = (bids[i] as AuctionBid).id;
    const j = firstIndex.get(id);
    if (j === undefined) firstIndex.set(id, i);
    else {
      codes[i] = LOSS_REASON.invalidBid;
      codes[j] = LOSS_REASON.invalidBid;
    }
  }
}

/** Runs the auction for one impression. Pure and deterministic; O(n) after validation. */
export function runAuction<B extends AuctionBid>(rules: AuctionRules, bids: readonly B[]): AuctionOutcome<B> {
  const n = bids.length;
  const codes = new Int32Array(n);
  markDuplicateIds(bids, codes);

  let winnerIndex = -1;
  for (let i = 0; i < n; i++) {
    const bid = bids[i] as B;
    if (codes[i] === 0) codes[i] = validate(rules, bid);
    if (codes[i] !== 0) continue;
    if (winnerIndex < 0 || ranksBefore(bid, bids[winnerIndex] as B)) winnerIndex = i;
  }

  const losers: Loser<B>[] = [];
  if (winnerIndex < 0) {
    for (let i = 0; i < n; i++) losers.push({ bid: bids[i] as B, reason: codes[i] as LossReason });
    return { impId: rules.impId, winner: null, clearingPriceMicros: null, auctionType: null, floorMicros: null, losers };
  }

  const winner = bids[winnerIndex] as B;
  const winnerTerms = winner.dealId !== undefined ? findTerms(rules, winner.dealId) : undefined;
  // Request-level at=3 has no deal price for open-auction bids: they are priced as first price.
  const auctionType = winnerTerms ? winnerTerms.auctionType : rules.auctionType === 3 ? 1 : rules.auctionType;
  const floor = winnerTerms ? winnerTerms.effectiveFloorMicros : rules.floorMicros;

  let secondPrice = -1;
  for (let i = 0; i < n; i++) {
    if (i === winnerIndex) continue;
    const bid = bids[i] as B;
    if (codes[i] === 0) {
      if (bid.priceMicros > secondPrice) secondPrice = bid.priceMicros;
      codes[i] = winner.dealId !== undefined && bid.dealId === undefined ? LOSS_REASON.lostToPmpDeal : LOSS_REASON.lostToHigherBid;
    }
    losers.push({ bid, reason: codes[i] as LossReason });
  }

  let clearing: number;
  if (auctionType === 3 && winnerTerms) {
    clearing = winnerTerms.floorMicros;
  } else if (auctionType === 2) {
    const base = secondPrice > floor ? secondPrice : floor;
    const plus = base + rules.minIncrementMicros;
    clearing = plus < winner.priceMicros ? plus : winner.priceMicros;
  } else {
    clearing = winner.priceMicros;
  }
  return { impId: rules.impId, winner, clearingPriceMicros: clearing, auctionType, floorMicros: floor, losers };
}
