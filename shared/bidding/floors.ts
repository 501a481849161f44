/**
 * Floors and currencies, in integer micros (./money.ts).
 *
 * Currency rules (no FX conversion anywhere in the bidder):
 *  - A request allows bids in the currencies listed in `cur`; absent or empty means USD only (OpenRTB default).
 *  - A floor is expressed in its own currency (`bidfloorcur`, default USD). A floor in another currency
 *    than the bid's cannot be converted, so it is UNREACHABLE: nothing in that currency can clear it and
 *    the bid is not made. A zero floor is trivially met in any currency.
 *  - Effective floor of a bid: open auction -> imp.bidfloor. Deal bid with at 1/2 -> max(imp.bidfloor,
 *    deal.bidfloor): every floor that applies must be met. Deal bid with at 3 -> deal.bidfloor alone,
 *    because the deal price is the price agreed with the publisher for exactly this inventory.
 */
import { cpmToMicros } from './money.js';
import { DEFAULT_AUCTION_TYPE, DEFAULT_CURRENCY, type BidRequest, type Deal, type Imp } from './openrtb/types.js';

/** Sentinel floor that no valid price reaches (prices are capped at MAX_PRICE_MICROS). */
export const UNREACHABLE_FLOOR = Number.MAX_SAFE_INTEGER;
/** Largest price the bidder accepts: 1e9 CPM. Above it a price is invalid (and JSON stops being exact). */
export const MAX_PRICE_MICROS = 1_000_000_000 * 1_000_000;

const USD_ONLY: readonly string[] = Object.freeze([DEFAULT_CURRENCY]);

/** Currencies the request accepts bids in. */
export function allowedCurrencies(request: BidRequest): readonly string[] {
  const cur = request.cur;
  return cur && cur.length > 0 ? cur : USD_ONLY;
}

export function isCurrencyAllowed(request: BidRequest, currency: string): boolean {
  const cur = request.cur;
  if (!cur || cur.length === 0) return currency === DEFAULT_CURRENCY;
  for (let i = 0; i < cur.length; i++) if (cur[i] === currency) return true;
  return false;
}

/**
 * The one currency of the auction and the response (BidResponse.cur is a single code): `preferred`
 * (the currency our line items are in, e.g. "USD") when the request allows it, else the first currency
 * the request allows (USD when it names none). Bids in any other currency cannot take part (no FX).
 */
export function responseCurrency(request: BidRequest, preferred?: string): string {
  if (preferred !== undefined && isCurrencyAllowed(request, preferred)) return preferred;
  return allowedCurrencies(request)[0] as string;
}

/** A wire floor (CPM float + currency) in micros of `currency`; 0 when absent; UNREACHABLE if not convertible. */
export function floorInCurrency(bidfloor: number | undefined, bidfloorcur: string | undefined, currency: string): number {
  if (bidfloor === undefined || bidfloor === 0) return 0;
  if ((bidfloorcur ?? DEFAULT_CURRENCY) !== currency) return UNREACHABLE_FLOOR;
  const micros = cpmToMicros(bidfloor, 'up');
  if (micros < 0) return UNREACHABLE_FLOOR;
  // An absurd floor (above any valid price) is out of reach by price, not by currency.
  return micros > MAX_PRICE_MICROS ? MAX_PRICE_MICROS + 1 : micros;
}

export function impFloorMicros(imp: Imp, currency: string): number {
  return floorInCurrency(imp.bidfloor, imp.bidfloorcur, currency);
}

export function dealFloorMicros(deal: Deal, currency: string): number {
  return floorInCurrency(deal.bidfloor, deal.bidfloorcur, currency);
}

/** Auction type for bids on `deal` (deal.at overrides the request's; default 2). */
export function dealAuctionType(request: BidRequest, deal: Deal): number {
  return deal.at ?? request.at ?? DEFAULT_AUCTION_TYPE;
}

/** Effective floor of a bid on `deal` (see the module comment). */
export function effectiveDealFloor(impFloor: number, dealFloor: number, auctionType: number): number {
  if (auctionType === 3) return dealFloor;
  return impFloor > dealFloor ? impFloor : dealFloor;
}

/** An imp's deals by id, made once per request (line items on PMP deals each look theirs up). */
const dealsById = new WeakMap<readonly Deal[], ReadonlyMap<string, Deal>>();

/** The deal with this id among those the impression offers (the first, if listed twice), or undefined. */
export function findDeal(imp: Imp, dealId: string): Deal | undefined {
  const deals = imp.pmp?.deals;
  if (!deals) return undefined;
  if (deals.length <= 8) return deals.find((deal) => deal.id === dealId);
  let byId = dealsById.get(deals);
  if (!byId) {
    const map = new Map<string, Deal>();
    for (const deal of deals) if (!map.has(deal.id)) map.set(deal.id, deal);
    dealsById.set(deals, (byId = map));
  }
  return byId.get(dealId);
}

export function isPrivateAuction(imp: Imp): boolean {
  return imp.pmp?.private_auction === 1;
}
