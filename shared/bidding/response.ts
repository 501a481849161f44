/**
 * Building the OpenRTB BidResponse, and OpenRTB substitution macros (§4.4) for notice URLs.
 *
 * Notice URLs: every bid we return carries nurl (win), burl (billing) and lurl (loss) pointing at OUR
 * notice endpoints under `noticeBaseUrl`. Our own ids (auction = BidRequest.id, imp, bid = Bid.id) are
 * written in literally: exchanges disagree on what ${AUCTION_BID_ID} means (Bid.id or
 * BidResponse.bidid), and a notice must name exactly one bid. Only what the exchange knows and we do
 * not is left as a macro: the seat, the clearing price, its currency and the loss reason. The service
 * decodes the query with `parseNotice`; when the bid was an external DSP's, the service then calls the
 * DSP's own nurl/burl/lurl after `substituteMacros` with the values of OUR auction.
 *
 *   {base}/openrtb2/notice/win?auction=<id>&imp=<id>&bid=<id>[&<extra params>]
 *        &seat=${AUCTION_SEAT_ID}&price=${AUCTION_PRICE}&cur=${AUCTION_CURRENCY}
 *   {base}/openrtb2/notice/bill?…same…
 *   {base}/openrtb2/notice/loss?…same…&loss=${AUCTION_LOSS}
 *
 * Extra params: the ones common to the bid's three URLs (`ResponseBid.notice`), then the ones of each
 * kind (`ResponseBid.noticeByKind`, e.g. a signature that covers the kind).
 *
 * Prices: bid.price = priceMicros / 1e6 (the double nearest the exact decimal, which JSON prints as that
 * decimal). What to send as priceMicros is the caller's choice; the bidder sends the clearing price of
 * our internal auction, so the exchange never charges more than our winner agreed to pay.
 */
import type { Candidate } from './eligibility.js';
import { decimalStringToMicros, microsToCpm, microsToDecimalString } from './money.js';
import type { Bid, BidRequest, BidResponse, SeatBid } from './openrtb/types.js';

export const NOTICE_PATHS = Object.freeze({
  win: '/openrtb2/notice/win',
  bill: '/openrtb2/notice/bill',
  loss: '/openrtb2/notice/loss',
});
export type NoticeKind = keyof typeof NOTICE_PATHS;

export interface ResponseBid {
  impId: string;
  /** Our bid id (bid.id); unique within the response. */
  bidId: string;
  /** Buyer seat (seatbid.seat); bids are grouped by it. */
  seat: string;
  /** CPM, integer micros of the response currency. */
  priceMicros: number;
  adm?: string;
  adomain?: readonly string[];
  cat?: readonly string[];
  crid?: string;
  cid?: string;
  bundle?: string;
  w?: number;
  h?: number;
  dealId?: string;
  /** 1 banner, 2 video, 3 audio, 4 native. */
  mtype?: 1 | 2 | 3 | 4;
  /** Extra query parameters of all three notice URLs (e.g. the line item or DSP id); URL-encoded here. */
  notice?: Readonly<Record<string, string>>;
  /** Extra query parameters of one kind's URL only, after `notice`. */
  noticeByKind?: Readonly<Partial<Record<NoticeKind, Readonly<Record<string, string>>>>>;
}

const MTYPE = { banner: 1, video: 2, audio: 3, native: 4 } as const;

/**
 * The response bid for one of our line items' candidates that won: creative markup, adomain, cat,
 * crid, cid (campaign), size, deal id and mtype from the candidate; `priceMicros` is what we send
 * (the clearing price of our auction); `notice` extra params default to the line item id.
 */
export function responseBidOf(candidate: Candidate, bidId: string, priceMicros: number, notice?: Readonly<Record<string, string>>): ResponseBid {
  const c = candidate.creative;
  const bid: ResponseBid = {
    impId: candidate.impId,
    bidId,
    seat: candidate.lineItem.seat,
    priceMicros,
    adm: c.adm,
    adomain: c.adomain,
    cat: c.cat,
    crid: c.id,
    cid: candidate.lineItem.campaignId,
    mtype: MTYPE[c.format],
    notice: notice ?? { li: candidate.lineItem.id },
  };
  if (c.format === 'banner' || c.format === 'video') {
    bid.w = c.w;
    bid.h = c.h;
  }
  if (c.bundle !== undefined) bid.bundle = c.bundle;
  if (candidate.dealId !== undefined) bid.dealId = candidate.dealId;
  return bid;
}

export interface ResponseOptions {
  /** ISO-4217; one currency per response (BidResponse.cur). */
  currency: string;
  /** Where our notice endpoints live, e.g. "https://bid.example.com" (no trailing slash needed). */
  noticeBaseUrl: string;
  /** Optional BidResponse.bidid. */
  responseId?: string;
}

/** What the exchange fills in: the seat, the clearing price and its currency. */
const MACRO_QUERY = '&seat=${AUCTION_SEAT_ID}&price=${AUCTION_PRICE}&cur=${AUCTION_CURRENCY}';
const LOSS_MACRO = '&loss=${AUCTION_LOSS}';

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

function extraQuery(extra: Readonly<Record<string, string>> | undefined): string {
  if (!extra) return '';
  let q = '';
  for (const key in extra) q += `&${encodeURIComponent(key)}=${encodeURIComponent(extra[key] as string)}`;
  return q;
}

/** The ids a notice names, written literally into its URL. */
export interface NoticeIds {
  auctionId: string;
  impId: string;
  bidId: string;
}

/** Our notice URL of one kind: literal ids, extra params, then the macros the exchange fills in. */
export function noticeUrl(kind: NoticeKind, noticeBaseUrl: string, ids: NoticeIds, extra?: Readonly<Record<string, string>>): string {
  const idQuery = `auction=${encodeURIComponent(ids.auctionId)}&imp=${encodeURIComponent(ids.impId)}&bid=${encodeURIComponent(ids.bidId)}`;
  return `${trimSlash(noticeBaseUrl)}${NOTICE_PATHS[kind]}?${idQuery}${extraQuery(extra)}${MACRO_QUERY}${kind === 'loss' ? LOSS_MACRO : ''}`;
}

function toBid(b: ResponseBid, base: string, auctionId: string): Bid {
  const ids: NoticeIds = { auctionId, impId: b.impId, bidId: b.bidId };
  const urlOf = (kind: NoticeKind) => noticeUrl(kind, base, ids, { ...b.notice, ...b.noticeByKind?.[kind] });
  const bid: Bid = {
    id: b.bidId,
    impid: b.impId,
    price: microsToCpm(b.priceMicros),
    nurl: urlOf('win'),
    burl: urlOf('bill'),
    lurl: urlOf('loss'),
  };
  if (b.adm !== undefined) bid.adm = b.adm;
  if (b.adomain !== undefined) bid.adomain = b.adomain as string[];
  if (b.cat !== undefined) bid.cat = b.cat as string[];
  if (b.crid !== undefined) bid.crid = b.crid;
  if (b.cid !== undefined) bid.cid = b.cid;
  if (b.bundle !== undefined) bid.bundle = b.bundle;
  if (b.w !== undefined) bid.w = b.w;
  if (b.h !== undefined) bid.h = b.h;
  if (b.dealId !== undefined) bid.dealid = b.dealId;
  if (b.mtype !== undefined) bid.mtype = b.mtype;
  return bid;
}

/**
 * The BidResponse for `request` with `bids` (at most one per imp is the caller's rule; not enforced),
 * grouped into one seatbid per seat in order of first appearance. Null when there is no bid: answer 204.
 * Throws on a bid for an imp the request does not contain or a non-positive/non-integer price: those are
 * bugs upstream, and an invalid response must never reach an exchange.
 */
export function buildBidResponse(request: BidRequest, bids: readonly ResponseBid[], options: ResponseOptions): BidResponse | null {
  if (bids.length === 0) return null;
  const base = trimSlash(options.noticeBaseUrl);
  const seatbid: SeatBid[] = [];
  for (const b of bids) {
    if (!Number.isSafeInteger(b.priceMicros) || b.priceMicros <= 0) throw new RangeError(`bid ${b.bidId}: price must be a positive integer of micros`);
    if (!request.imp.some((imp) => imp.id === b.impId)) throw new RangeError(`bid ${b.bidId}: imp ${b.impId} is not in request ${request.id}`);
    let group = seatbid.find((s) => s.seat === b.seat);
    if (!group) {
      group = { seat: b.seat, bid: [] };
      seatbid.push(group);
    }
    group.bid.push(toBid(b, base, request.id));
  }
  const response: BidResponse = { id: request.id, seatbid, cur: options.currency };
  if (options.responseId !== undefined) response.bidid = options.responseId;
  return response;
}

// ---------------------------------------------------------------------------------------------------
// Macros

export interface MacroValues {
  auctionId?: string;
  bidId?: string;
  impId?: string;
  seatId?: string;
  adId?: string;
  /** Clearing price, integer micros; substituted as an exact decimal CPM ("2.5"). */
  priceMicros?: number;
  currency?: string;
  /** Loss reason code (OpenRTB List: Loss Reason Codes). */
  loss?: number;
  /** Market bid ratio, a decimal string. */
  mbr?: string;
  /** Minimum bid to win, integer micros. */
  minToWinMicros?: number;
}

const MACRO_PATTERN = /\$\{(AUCTION_[A-Z_]+)\}/g;

function macroValue(name: string, v: MacroValues): string | undefined {
  switch (name) {
    case 'AUCTION_ID':
      return v.auctionId;
    case 'AUCTION_BID_ID':
      return v.bidId;
    case 'AUCTION_IMP_ID':
      return v.impId;
    case 'AUCTION_SEAT_ID':
      return v.seatId;
    case 'AUCTION_AD_ID':
      return v.adId;
    case 'AUCTION_PRICE':
      return v.priceMicros === undefined ? undefined : microsToDecimalString(v.priceMicros);
    case 'AUCTION_CURRENCY':
      return v.currency;
    case 'AUCTION_LOSS':
      return v.loss === undefined ? undefined : String(v.loss);
    case 'AUCTION_MBR':
      return v.mbr;
    case 'AUCTION_MIN_TO_WIN':
      return v.minToWinMicros === undefined ? undefined : microsToDecimalString(v.minToWinMicros);
    default:
      return undefined;
  }
}

/**
 * Replaces OpenRTB macros (${AUCTION_ID}, ${AUCTION_BID_ID}, ${AUCTION_IMP_ID}, ${AUCTION_SEAT_ID},
 * ${AUCTION_AD_ID}, ${AUCTION_PRICE}, ${AUCTION_CURRENCY}, ${AUCTION_LOSS}, ${AUCTION_MBR},
 * ${AUCTION_MIN_TO_WIN}) with URL-encoded values. Macros without a value, unknown ones and encoded
 * variants (e.g. ${AUCTION_PRICE:B64}) are left untouched. Works on any string (URLs or markup).
 */
export function substituteMacros(template: string, values: MacroValues): string {
  if (template.indexOf('${AUCTION_') < 0) return template;
  return template.replace(MACRO_PATTERN, (whole, name: string) => {
    const value = macroValue(name, values);
    return value === undefined ? whole : encodeURIComponent(value);
  });
}

// ---------------------------------------------------------------------------------------------------
// Decoding our own notices

export interface Notice {
  kind: NoticeKind;
  auctionId: string;
  impId: string;
  bidId: string;
  seat: string;
  /** Price the exchange reported, micros; -1 when missing or not an exact decimal with <= 6 digits. */
  priceMicros: number;
  currency: string;
  /** Loss reason code for loss notices, else undefined. */
  loss?: number;
  /** The extra parameters we put in (ResponseBid.notice). */
  extra: Record<string, string>;
}

const NOTICE_KEYS = new Set(['auction', 'imp', 'bid', 'seat', 'price', 'cur', 'loss']);

/**
 * Decodes a notice request to our endpoints (path + query, as received). Null when the path is not a
 * notice path, the ids are missing or a parameter appears twice (which one would count is ambiguous).
 * A macro the exchange did not substitute stays literal, so the price is then -1 (not a number).
 */
export function parseNotice(pathAndQuery: string): Notice | null {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  let kind: NoticeKind | undefined;
  for (const k of Object.keys(NOTICE_PATHS) as NoticeKind[]) if (path.endsWith(NOTICE_PATHS[k])) kind = k;
  if (!kind) return null;
  const params = new URLSearchParams(q < 0 ? '' : pathAndQuery.slice(q + 1));
  const auctionId = params.get('auction');
  const impId = params.get('imp');
  const bidId = params.get('bid');
  if (!auctionId || !impId || !bidId) return null;
  const extra: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (seen.has(key)) return null;
    seen.add(key);
    if (!NOTICE_KEYS.has(key)) extra[key] = value;
  }
  const notice: Notice = {
    kind,
    auctionId,
    impId,
    bidId,
    seat: params.get('seat') ?? '',
    priceMicros: decimalStringToMicros(params.get('price') ?? ''),
    currency: params.get('cur') ?? '',
    extra,
  };
  const loss = params.get('loss');
  if (kind === 'loss' && loss !== null && /^\d{1,4}$/.test(loss)) notice.loss = Number(loss);
  return notice;
}
