/**
 * Checking and normalizing an external DSP's BidResponse. Pure, and total: whatever a DSP sends (wrong
 * types, prototype tricks, huge or NaN prices, deep nesting, thousands of bids), this never throws; it
 * returns the bids that passed and how many were rejected (and why, for metrics).
 *
 * Response level (failure = the DSP answered garbage: a breaker failure):
 *  - body is an object; `id` is a string equal to the request id; `cur` absent (=> USD) or a currency
 *    code; `seatbid` absent (=> no bid) or an array of objects whose `bid` is an array.
 * Bid level (a bad bid is dropped, counted; the other bids still count):
 *  - `id` non-empty string; `impid` one of the request's imps; `price` a finite number > 0 and at most
 *    `maxPriceCpm`, converted to exact integer micros (rounded DOWN if it has > 6 decimals);
 *  - the response currency accepted by the request (`cur`, USD when absent);
 *  - `adm` a string (we do not support markup fetched through nurl: the exchange gets our notice URLs,
 *    so a bid without adm could never be served);
 *  - optional fields typed (adomain/cat string arrays, crid/dealid/adid strings, w/h integers >= 0);
 *  - `dealid` one of the imp's deals; no dealid on a `private_auction` imp is a bid the exchange
 *    would reject;
 *  - nurl/burl/lurl, when present, absolute http(s) URLs on an allowed host (the DSP endpoint's host
 *    or its configured `noticeHosts`): a DSP's response must never make us call arbitrary hosts.
 * Brand safety, floors and blocked advertisers are the auction's checks (shared/bidding), not here.
 */
import { cpmToMicros } from '../money.js';
import { isCurrencyAllowed } from '../floors.js';
import { DEFAULT_CURRENCY, type BidRequest, type Imp } from '../openrtb/types.js';
import { DEFAULT_MAX_PRICE_CPM } from './config.js';

/** A DSP's bid, checked and normalized. Prices are integer micros of `currency` (CPM). */
export interface DspBid {
  dspId: string;
  seat: string;
  /** The DSP's bid.id (unique only within its response: prefix it with dspId for auction ids). */
  bidId: string;
  /** BidResponse.bidid, the value of ${AUCTION_BID_ID} in the DSP's notice URLs. */
  responseBidId?: string;
  impId: string;
  priceMicros: number;
  currency: string;
  adm: string;
  adid?: string;
  adomain?: string[];
  cat?: string[];
  crid?: string;
  cid?: string;
  bundle?: string;
  w?: number;
  h?: number;
  dealid?: string;
  mtype?: 1 | 2 | 3 | 4;
  nurl?: string;
  burl?: string;
  lurl?: string;
}

export type BidRejectReason =
  | 'not-an-object'
  | 'bad-id'
  | 'unknown-impid'
  | 'bad-price'
  | 'price-too-high'
  | 'bad-currency'
  | 'no-adm'
  | 'bad-field'
  | 'unknown-deal'
  | 'deal-required'
  | 'bad-notice-url'
  | 'too-many-bids';

export type DspResponseCheck =
  | { ok: true; bids: DspBid[]; rejected: number; reasons: Partial<Record<BidRejectReason, number>> }
  | { ok: false; reason: string };

export interface DspResponseContext {
  dspId: string;
  /** Seat when the seatbid names none (config.seat ?? dspId). */
  defaultSeat: string;
  /** Hosts notice URLs may point at (lower-case host names, with port when not default). */
  noticeHosts: ReadonlySet<string>;
  maxPriceCpm?: number;
  /** Bids looked at per response at most (the rest are rejected as too-many-bids). */
  maxBids?: number;
}

export const DEFAULT_MAX_BIDS_PER_RESPONSE = 100;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(o: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function isStringArray(value: unknown, maxItems = 64): value is string[] {
  if (!Array.isArray(value) || value.length > maxItems) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

function isDim(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100_000;
}

function isCurrency(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value);
}

/** The host set notice URLs may use: the endpoint's host plus configured ones (lower-cased). */
export function noticeHostsFor(endpoint: string, extra: readonly string[] = []): Set<string> {
  const hosts = new Set<string>();
  try {
    hosts.add(new URL(endpoint).host.toLowerCase());
  } catch {
    // invalid endpoint: the config schema rejects it; nothing allowed then
  }
  for (const h of extra) hosts.add(h.toLowerCase());
  return hosts;
}

/** Absolute http(s) URL on an allowed host. Macros (${…}) are allowed anywhere after the host. */
export function isAllowedNoticeUrl(value: unknown, hosts: ReadonlySet<string>): value is string {
  if (typeof value !== 'string' || value.length > 4096) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username !== '' || url.password !== '') return false;
  return hosts.has(url.host.toLowerCase()) || hosts.has(url.hostname.toLowerCase());
}

function impIndex(request: BidRequest): Map<string, Imp> {
  const map = new Map<string, Imp>();
  for (const imp of request.imp) map.set(imp.id, imp);
  return map;
}

/**
 * Checks a parsed DSP response body against the request we sent. `ok: false` means the response as a
 * whole is invalid (count it as a DSP error); `ok: true` with no bids is a no-bid.
 */
export function checkDspResponse(body: unknown, request: BidRequest, ctx: DspResponseContext): DspResponseCheck {
  if (!isObject(body)) return { ok: false, reason: 'response is not a JSON object' };
  const id = own(body, 'id');
  if (typeof id !== 'string') return { ok: false, reason: 'response id is not a string' };
  if (id !== request.id) return { ok: false, reason: 'response id does not match the request id' };
  const curRaw = own(body, 'cur');
  if (curRaw !== undefined && !isCurrency(curRaw)) return { ok: false, reason: 'response cur is not a currency code' };
  const currency = (curRaw as string | undefined) ?? DEFAULT_CURRENCY;
  const bidid = own(body, 'bidid');
  if (bidid !== undefined && typeof bidid !== 'string') return { ok: false, reason: 'response bidid is not a string' };
  const seatbid = own(body, 'seatbid');
  const reasons: Partial<Record<BidRejectReason, number>> = {};
  let rejected = 0;
  const reject = (reason: BidRejectReason, n = 1): void => {
    rejected += n;
    reasons[reason] = (reasons[reason] ?? 0) + n;
  };
  const bids: DspBid[] = [];
  if (seatbid === undefined || seatbid === null) return { ok: true, bids, rejected, reasons };
  if (!Array.isArray(seatbid)) return { ok: false, reason: 'seatbid is not an array' };

  const imps = impIndex(request);
  const maxBids = ctx.maxBids ?? DEFAULT_MAX_BIDS_PER_RESPONSE;
  const maxPriceMicros = cpmToMicros(ctx.maxPriceCpm ?? DEFAULT_MAX_PRICE_CPM, 'down');
  const currencyOk = isCurrencyAllowed(request, currency);
  let seen = 0;

  for (const sb of seatbid) {
    if (!isObject(sb)) return { ok: false, reason: 'seatbid entry is not an object' };
    const list = own(sb, 'bid');
    if (!Array.isArray(list)) return { ok: false, reason: 'seatbid.bid is not an array' };
    const seatRaw = own(sb, 'seat');
    const seat = typeof seatRaw === 'string' && seatRaw.length > 0 && seatRaw.length <= 64 ? seatRaw : ctx.defaultSeat;
    for (const raw of list) {
      if (++seen > maxBids) {
        reject('too-many-bids');
        continue;
      }
      const reason = checkBid(raw);
      if (reason) reject(reason);
    }

    function checkBid(raw: unknown): BidRejectReason | null {
      if (!isObject(raw)) return 'not-an-object';
      const bidId = own(raw, 'id');
      if (typeof bidId !== 'string' || bidId.length === 0 || bidId.length > 256) return 'bad-id';
      const impId = own(raw, 'impid');
      const imp = typeof impId === 'string' ? imps.get(impId) : undefined;
      if (!imp) return 'unknown-impid';
      const price = own(raw, 'price');
      if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) return 'bad-price';
      const priceMicros = cpmToMicros(price, 'down');
      if (priceMicros <= 0) return 'bad-price';
      if (priceMicros > maxPriceMicros) return 'price-too-high';
      if (!currencyOk) return 'bad-currency';
      const adm = own(raw, 'adm');
      if (typeof adm !== 'string' || adm.length === 0) return 'no-adm';

      const bid: DspBid = { dspId: ctx.dspId, seat, bidId, impId: imp.id, priceMicros, currency, adm };
      if (bidid !== undefined) bid.responseBidId = bidid as string;
      for (const key of ['adid', 'crid', 'cid', 'bundle'] as const) {
        const v = own(raw, key);
        if (v === undefined) continue;
        if (typeof v !== 'string' || v.length > 1024) return 'bad-field';
        bid[key] = v;
      }
      for (const key of ['adomain', 'cat'] as const) {
        const v = own(raw, key);
        if (v === undefined) continue;
        if (!isStringArray(v)) return 'bad-field';
        bid[key] = v.slice();
      }
      for (const key of ['w', 'h'] as const) {
        const v = own(raw, key);
        if (v === undefined) continue;
        if (!isDim(v)) return 'bad-field';
        bid[key] = v;
      }
      const mtype = own(raw, 'mtype');
      if (mtype !== undefined) {
        if (mtype !== 1 && mtype !== 2 && mtype !== 3 && mtype !== 4) return 'bad-field';
        bid.mtype = mtype;
      }
      const dealid = own(raw, 'dealid');
      if (dealid !== undefined) {
        if (typeof dealid !== 'string') return 'bad-field';
        if (!imp.pmp?.deals?.some((d) => d.id === dealid)) return 'unknown-deal';
        bid.dealid = dealid;
      } else if (imp.pmp?.private_auction === 1) return 'deal-required';
      for (const key of ['nurl', 'burl', 'lurl'] as const) {
        const v = own(raw, key);
        if (v === undefined) continue;
        if (!isAllowedNoticeUrl(v, ctx.noticeHosts)) return 'bad-notice-url';
        bid[key] = v;
      }
      bids.push(bid);
      return null;
    }
  }
  return { ok: true, bids, rejected, reasons };
}
