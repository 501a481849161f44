/**
 * OpenRTB 2.6 types: the subset dealdesk reads from bid requests and writes in bid responses.
 *
 * Field names are the wire names (OpenRTB is snake/lower case on the wire). Every object tolerates
 * fields we do not list (OpenRTB 2.6 §2.6: "must tolerate receiving new or unexpected fields"), so the
 * types are open where it matters (`ext`) and the parser never rejects an unknown key.
 *
 * Prices on the wire are CPM floats; inside dealdesk they become integer micro-units at the edge (see
 * ../money.ts). Nothing here is converted: these types describe the JSON as it arrives or leaves.
 */

export type Ext = Record<string, unknown>;

/** Auction types: 1 first price, 2 second price plus; 3 (on a Deal) = bidfloor is the agreed deal price. 500+ exchange specific. */
export type AuctionType = number;

export interface Format {
  w?: number;
  h?: number;
  wratio?: number;
  hratio?: number;
  wmin?: number;
  ext?: Ext;
}

export interface Banner {
  format?: Format[];
  w?: number;
  h?: number;
  btype?: number[];
  battr?: number[];
  pos?: number;
  mimes?: string[];
  topframe?: number;
  expdir?: number[];
  api?: number[];
  id?: string;
  vcm?: number;
  ext?: Ext;
}

export interface Video {
  mimes?: string[];
  minduration?: number;
  maxduration?: number;
  protocols?: number[];
  w?: number;
  h?: number;
  startdelay?: number;
  plcmt?: number;
  linearity?: number;
  skip?: number;
  battr?: number[];
  minbitrate?: number;
  maxbitrate?: number;
  playbackmethod?: number[];
  api?: number[];
  companionad?: Banner[];
  ext?: Ext;
}

export interface Audio {
  mimes?: string[];
  minduration?: number;
  maxduration?: number;
  protocols?: number[];
  ext?: Ext;
}

export interface Native {
  /** The native ad request payload (a JSON-encoded string per the Native Ads spec). */
  request: string;
  ver?: string;
  api?: number[];
  battr?: number[];
  ext?: Ext;
}

export interface Deal {
  id: string;
  /** CPM float; default 0. */
  bidfloor?: number;
  /** ISO-4217; default "USD". */
  bidfloorcur?: string;
  /** Overrides the request's `at` for bids on this deal; 3 = `bidfloor` is the agreed deal price. */
  at?: AuctionType;
  wseat?: string[];
  wadomain?: string[];
  guar?: number;
  ext?: Ext;
}

export interface Pmp {
  /** 0 = all bids accepted; 1 = bids restricted to the deals listed and their terms. Default 0. */
  private_auction?: 0 | 1;
  deals?: Deal[];
  ext?: Ext;
}

export interface Imp {
  id: string;
  banner?: Banner;
  video?: Video;
  audio?: Audio;
  native?: Native;
  pmp?: Pmp;
  displaymanager?: string;
  instl?: number;
  tagid?: string;
  /** CPM float; default 0. */
  bidfloor?: number;
  /** ISO-4217; default "USD". */
  bidfloorcur?: string;
  secure?: number;
  exp?: number;
  ext?: Ext;
}

export interface Publisher {
  id?: string;
  name?: string;
  cat?: string[];
  domain?: string;
  ext?: Ext;
}

export interface Content {
  id?: string;
  title?: string;
  cat?: string[];
  ext?: Ext;
}

export interface Site {
  id?: string;
  name?: string;
  domain?: string;
  cat?: string[];
  page?: string;
  ref?: string;
  publisher?: Publisher;
  content?: Content;
  ext?: Ext;
}

export interface App {
  id?: string;
  name?: string;
  /** Store id of the app (e.g. com.foo.mygame or 1234567890). */
  bundle?: string;
  domain?: string;
  storeurl?: string;
  cat?: string[];
  ver?: string;
  publisher?: Publisher;
  content?: Content;
  ext?: Ext;
}

export interface Geo {
  lat?: number;
  lon?: number;
  type?: number;
  /** ISO-3166-1 alpha-3. */
  country?: string;
  region?: string;
  metro?: string;
  city?: string;
  zip?: string;
  utcoffset?: number;
  ext?: Ext;
}

export interface Device {
  geo?: Geo;
  dnt?: number;
  lmt?: number;
  ua?: string;
  ip?: string;
  ipv6?: string;
  /** AdCOM 1.0 List: Device Types (1 mobile/tablet, 2 PC, 3 CTV, 4 phone, 5 tablet, 6 connected device, 7 set top box, 8 OOH). */
  devicetype?: number;
  make?: string;
  model?: string;
  os?: string;
  osv?: string;
  w?: number;
  h?: number;
  js?: number;
  language?: string;
  carrier?: string;
  connectiontype?: number;
  ifa?: string;
  ext?: Ext;
}

export interface User {
  id?: string;
  buyeruid?: string;
  keywords?: string;
  geo?: Geo;
  consent?: string;
  ext?: Ext;
}

export interface Regs {
  coppa?: number;
  gdpr?: number;
  us_privacy?: string;
  gpp?: string;
  gpp_sid?: number[];
  ext?: Ext;
}

export interface Source {
  fd?: number;
  tid?: string;
  pchain?: string;
  schain?: unknown;
  ext?: Ext;
}

export interface BidRequest {
  id: string;
  imp: Imp[];
  site?: Site;
  app?: App;
  device?: Device;
  user?: User;
  test?: number;
  /** Default 2 (second price plus) when absent; see `auctionTypeOf`. */
  at?: AuctionType;
  /** Milliseconds the exchange waits for an answer, including network latency. */
  tmax?: number;
  wseat?: string[];
  bseat?: string[];
  allimps?: number;
  /** Currencies the exchange accepts for bids; absent means USD only (OpenRTB default). */
  cur?: string[];
  wlang?: string[];
  bcat?: string[];
  cattax?: number;
  badv?: string[];
  bapp?: string[];
  source?: Source;
  regs?: Regs;
  ext?: Ext;
}

// ---------------------------------------------------------------------------------------------------
// Response

export interface Bid {
  id: string;
  impid: string;
  /** CPM float in BidResponse.cur. Converted from integer micro-units with `microsToCpm`. */
  price: number;
  nurl?: string;
  burl?: string;
  lurl?: string;
  adm?: string;
  adid?: string;
  adomain?: string[];
  bundle?: string;
  iurl?: string;
  cid?: string;
  crid?: string;
  cat?: string[];
  attr?: number[];
  dealid?: string;
  w?: number;
  h?: number;
  /** 1 banner, 2 video, 3 audio, 4 native. */
  mtype?: 1 | 2 | 3 | 4;
  exp?: number;
  ext?: Ext;
}

export interface SeatBid {
  bid: Bid[];
  seat?: string;
  group?: 0 | 1;
  ext?: Ext;
}

export interface BidResponse {
  id: string;
  seatbid?: SeatBid[];
  bidid?: string;
  cur?: string;
  customdata?: string;
  nbr?: number;
  ext?: Ext;
}

/** OpenRTB default auction type when `at` is absent: 2 (second price plus). */
export const DEFAULT_AUCTION_TYPE = 2;
/** OpenRTB default currency for floors and bids when none is given. */
export const DEFAULT_CURRENCY = 'USD';

/** The request's auction type, with the spec default (2) when absent. */
export function auctionTypeOf(request: BidRequest): AuctionType {
  return request.at ?? DEFAULT_AUCTION_TYPE;
}
