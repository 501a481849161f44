/**
 * `parseBidRequest`: a hand-written structural check of the parts of an OpenRTB 2.6 BidRequest that
 * dealdesk relies on. It runs on the bid hot path, so:
 *  - no schema library, no copying: on success the input object itself is returned, typed;
 *  - no allocation on success (paths and messages are built only when something is wrong);
 *  - unknown fields are tolerated everywhere (OpenRTB 2.6 §2.6), and fields we do not read are not checked.
 *
 * What is checked (each failure names its path, e.g. "imp[0].pmp.deals[1].bidfloor"):
 *  - id: non-empty string; imp: non-empty array (at most `maxImps`), unique imp ids;
 *  - each imp: id non-empty string; at least one of banner/video/audio/native, each an object;
 *    banner/format/video sizes non-negative integers; native.request a string; bidfloor a finite number
 *    >= 0; bidfloorcur three upper-case letters; pmp.private_auction 0|1; pmp.deals objects with a
 *    non-empty id, bidfloor >= 0, bidfloorcur, integer at, wseat/wadomain string arrays;
 *  - at: 1, 2, 3 or an exchange-specific value >= 500 (absent = 2, see `auctionTypeOf`);
 *    tmax: positive integer; cur: array of currency codes; bcat/badv/bapp/wseat/bseat: string arrays;
 *  - site/app (not both), their publisher; device (devicetype, geo.country, lat/lon); user; regs; source:
 *    objects with the types we read.
 *  - nesting no deeper than `maxDepth` anywhere (including ext), so later walks are bounded;
 *  - every list bounded (LIST_LIMITS: e.g. at most 1024 badv entries of at most 256 characters, 64
 *    banner formats, 256 PMP deals), so what eligibility and the auction do per request is bounded
 *    too. A list over its bound is a 400 naming it: truncating a block list would bid where the
 *    publisher blocked us.
 */
import { DEFAULT_JSON_LIMITS, findExcessDepth } from './guard.js';
import type { BidRequest } from './types.js';

export interface ParseFailure {
  ok: false;
  reason: string;
  path: string;
}
export type ParseBidRequestResult = { ok: true; request: BidRequest } | ParseFailure;

export interface ParseOptions {
  maxImps?: number;
  maxDepth?: number;
}

export const DEFAULT_MAX_IMPS = 64;

/** Bounds of the lists a request may carry (entries; characters per string entry). */
export const LIST_LIMITS = Object.freeze({
  /** bcat, badv, bapp, wseat, bseat, deal wseat / wadomain, mimes, ... */
  entries: 1024,
  entryChars: 256,
  /** imp.banner.format */
  formats: 64,
  /** imp.pmp.deals */
  deals: 256,
  /** cur */
  currencies: 32,
});

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, reason: string): ParseFailure {
  return { ok: false, reason, path };
}

/** Prefix a relative failure path with its parent (only ever called on failure). */
function under(prefix: string, failure: ParseFailure): ParseFailure {
  failure.path = failure.path === '' ? prefix : failure.path.startsWith('[') ? prefix + failure.path : `${prefix}.${failure.path}`;
  return failure;
}

/** Three upper-case ASCII letters (ISO-4217 shape), checked without a regex. */
export function isCurrencyCode(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = value.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

function optString(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || typeof v === 'string' ? null : fail(key, 'must be a string');
}

function optInteger(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || Number.isInteger(v) ? null : fail(key, 'must be an integer');
}

function optNonNegativeInteger(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || (Number.isInteger(v) && (v as number) >= 0) ? null : fail(key, 'must be a non-negative integer');
}

function optFiniteNumber(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || (typeof v === 'number' && Number.isFinite(v)) ? null : fail(key, 'must be a number');
}

function optBinary(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || v === 0 || v === 1 ? null : fail(key, 'must be 0 or 1');
}

function tooMany(key: string, max: number): ParseFailure {
  return fail(key, `must have at most ${max} entries`);
}

function optStringArray(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  if (v === undefined) return null;
  if (!Array.isArray(v)) return fail(key, 'must be an array of strings');
  if (v.length > LIST_LIMITS.entries) return tooMany(key, LIST_LIMITS.entries);
  for (let i = 0; i < v.length; i++) {
    const entry = v[i];
    if (typeof entry !== 'string') return fail(`${key}[${i}]`, 'must be a string');
    if (entry.length > LIST_LIMITS.entryChars) return fail(`${key}[${i}]`, `must be at most ${LIST_LIMITS.entryChars} characters`);
  }
  return null;
}

function optIntegerArray(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  if (v === undefined) return null;
  if (!Array.isArray(v)) return fail(key, 'must be an array of integers');
  if (v.length > LIST_LIMITS.entries) return tooMany(key, LIST_LIMITS.entries);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isInteger(v[i])) return fail(`${key}[${i}]`, 'must be an integer');
  }
  return null;
}

function optCurrencyArray(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  if (v === undefined) return null;
  if (!Array.isArray(v)) return fail(key, 'must be an array of currency codes');
  if (v.length > LIST_LIMITS.currencies) return tooMany(key, LIST_LIMITS.currencies);
  for (let i = 0; i < v.length; i++) {
    if (!isCurrencyCode(v[i])) return fail(`${key}[${i}]`, 'must be an ISO-4217 code (three upper-case letters)');
  }
  return null;
}

function optCurrency(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || isCurrencyCode(v) ? null : fail(key, 'must be an ISO-4217 code (three upper-case letters)');
}

function optFloor(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail(key, 'must be a number');
  return v >= 0 ? null : fail(key, 'must be >= 0');
}

function optObject(o: Obj, key: string): ParseFailure | null {
  const v = o[key];
  return v === undefined || isObject(v) ? null : fail(key, 'must be an object');
}

function checkFormat(f: unknown): ParseFailure | null {
  if (!isObject(f)) return fail('', 'must be an object');
  return optNonNegativeInteger(f, 'w') ?? optNonNegativeInteger(f, 'h') ?? optNonNegativeInteger(f, 'wratio') ?? optNonNegativeInteger(f, 'hratio') ?? optNonNegativeInteger(f, 'wmin');
}

function checkBanner(b: Obj): ParseFailure | null {
  const failure = optNonNegativeInteger(b, 'w') ?? optNonNegativeInteger(b, 'h') ?? optStringArray(b, 'mimes') ?? optIntegerArray(b, 'battr') ?? optIntegerArray(b, 'btype') ?? optInteger(b, 'pos');
  if (failure) return failure;
  const format = b['format'];
  if (format === undefined) return null;
  if (!Array.isArray(format)) return fail('format', 'must be an array of Format objects');
  if (format.length > LIST_LIMITS.formats) return tooMany('format', LIST_LIMITS.formats);
  for (let i = 0; i < format.length; i++) {
    const f = checkFormat(format[i]);
    if (f) return under(`format[${i}]`, f);
  }
  return null;
}

function checkVideo(v: Obj): ParseFailure | null {
  return (
    optNonNegativeInteger(v, 'w') ??
    optNonNegativeInteger(v, 'h') ??
    optNonNegativeInteger(v, 'minduration') ??
    optNonNegativeInteger(v, 'maxduration') ??
    optStringArray(v, 'mimes') ??
    optIntegerArray(v, 'protocols') ??
    optIntegerArray(v, 'battr')
  );
}

function checkAudio(a: Obj): ParseFailure | null {
  return optNonNegativeInteger(a, 'minduration') ?? optNonNegativeInteger(a, 'maxduration') ?? optStringArray(a, 'mimes');
}

function checkNative(n: Obj): ParseFailure | null {
  if (typeof n['request'] !== 'string') return fail('request', 'must be a string (the native request payload)');
  return optString(n, 'ver') ?? optIntegerArray(n, 'battr');
}

function checkDeal(d: unknown): ParseFailure | null {
  if (!isObject(d)) return fail('', 'must be an object');
  const id = d['id'];
  if (typeof id !== 'string' || id.length === 0) return fail('id', 'must be a non-empty string');
  return optFloor(d, 'bidfloor') ?? optCurrency(d, 'bidfloorcur') ?? optInteger(d, 'at') ?? optStringArray(d, 'wseat') ?? optStringArray(d, 'wadomain') ?? optBinary(d, 'guar');
}

function checkPmp(p: Obj): ParseFailure | null {
  const failure = optBinary(p, 'private_auction');
  if (failure) return failure;
  const deals = p['deals'];
  if (deals === undefined) return null;
  if (!Array.isArray(deals)) return fail('deals', 'must be an array of Deal objects');
  if (deals.length > LIST_LIMITS.deals) return tooMany('deals', LIST_LIMITS.deals);
  for (let i = 0; i < deals.length; i++) {
    const f = checkDeal(deals[i]);
    if (f) return under(`deals[${i}]`, f);
  }
  return null;
}

function checkImp(imp: unknown): ParseFailure | null {
  if (!isObject(imp)) return fail('', 'must be an object');
  const id = imp['id'];
  if (typeof id !== 'string' || id.length === 0) return fail('id', 'must be a non-empty string');
  const banner = imp['banner'];
  const video = imp['video'];
  const audio = imp['audio'];
  const native = imp['native'];
  if (banner === undefined && video === undefined && audio === undefined && native === undefined) {
    return fail('', 'must offer at least one of banner, video, audio, native');
  }
  let f: ParseFailure | null;
  if (banner !== undefined) {
    if (!isObject(banner)) return fail('banner', 'must be an object');
    if ((f = checkBanner(banner))) return under('banner', f);
  }
  if (video !== undefined) {
    if (!isObject(video)) return fail('video', 'must be an object');
    if ((f = checkVideo(video))) return under('video', f);
  }
  if (audio !== undefined) {
    if (!isObject(audio)) return fail('audio', 'must be an object');
    if ((f = checkAudio(audio))) return under('audio', f);
  }
  if (native !== undefined) {
    if (!isObject(native)) return fail('native', 'must be an object');
    if ((f = checkNative(native))) return under('native', f);
  }
  if ((f = optFloor(imp, 'bidfloor') ?? optCurrency(imp, 'bidfloorcur') ?? optBinary(imp, 'instl') ?? optBinary(imp, 'secure') ?? optString(imp, 'tagid') ?? optInteger(imp, 'exp'))) {
    return f;
  }
  const pmp = imp['pmp'];
  if (pmp !== undefined) {
    if (!isObject(pmp)) return fail('pmp', 'must be an object');
    if ((f = checkPmp(pmp))) return under('pmp', f);
  }
  return null;
}

function checkPublisher(o: Obj): ParseFailure | null {
  const p = o['publisher'];
  if (p === undefined) return null;
  if (!isObject(p)) return fail('publisher', 'must be an object');
  const f = optString(p, 'id') ?? optString(p, 'domain') ?? optStringArray(p, 'cat');
  return f ? under('publisher', f) : null;
}

function checkSiteOrApp(o: Obj): ParseFailure | null {
  return optString(o, 'id') ?? optString(o, 'domain') ?? optString(o, 'page') ?? optString(o, 'bundle') ?? optStringArray(o, 'cat') ?? checkPublisher(o);
}

function checkGeo(g: Obj): ParseFailure | null {
  return optString(g, 'country') ?? optString(g, 'region') ?? optFiniteNumber(g, 'lat') ?? optFiniteNumber(g, 'lon') ?? optInteger(g, 'type');
}

function checkDevice(d: Obj): ParseFailure | null {
  const f = optInteger(d, 'devicetype') ?? optString(d, 'ua') ?? optString(d, 'ip') ?? optString(d, 'ipv6') ?? optString(d, 'ifa') ?? optString(d, 'os') ?? optNonNegativeInteger(d, 'w') ?? optNonNegativeInteger(d, 'h') ?? optBinary(d, 'dnt') ?? optBinary(d, 'lmt') ?? optObject(d, 'geo');
  if (f) return f;
  const geo = d['geo'];
  if (geo !== undefined) {
    const g = checkGeo(geo as Obj);
    if (g) return under('geo', g);
  }
  return null;
}

function checkUser(u: Obj): ParseFailure | null {
  const f = optString(u, 'id') ?? optString(u, 'buyeruid') ?? optString(u, 'consent') ?? optObject(u, 'geo');
  if (f) return f;
  const geo = u['geo'];
  if (geo !== undefined) {
    const g = checkGeo(geo as Obj);
    if (g) return under('geo', g);
  }
  return null;
}

function checkRegs(r: Obj): ParseFailure | null {
  return optBinary(r, 'coppa') ?? optBinary(r, 'gdpr') ?? optString(r, 'us_privacy') ?? optString(r, 'gpp');
}

function checkSource(s: Obj): ParseFailure | null {
  return optString(s, 'tid') ?? optBinary(s, 'fd') ?? optString(s, 'pchain');
}

function checkNested(o: Obj, key: string, check: (value: Obj) => ParseFailure | null): ParseFailure | null {
  const v = o[key];
  if (v === undefined) return null;
  if (!isObject(v)) return fail(key, 'must be an object');
  const f = check(v);
  return f ? under(key, f) : null;
}

/**
 * Structural check of an untrusted, already JSON-parsed bid request. On success returns the same
 * object typed as BidRequest (no copy). On failure, a reason and the path of the offending field.
 */
export function parseBidRequest(json: unknown, options: ParseOptions = {}): ParseBidRequestResult {
  const maxImps = options.maxImps ?? DEFAULT_MAX_IMPS;
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_LIMITS.maxDepth;
  if (!isObject(json)) return fail('', 'bid request must be a JSON object');

  const deep = findExcessDepth(json, maxDepth);
  if (deep !== null) return fail(deep, `nesting deeper than ${maxDepth} levels`);

  const id = json['id'];
  if (typeof id !== 'string' || id.length === 0) return fail('id', 'must be a non-empty string');

  const imps = json['imp'];
  if (!Array.isArray(imps)) return fail('imp', imps === undefined ? 'is required' : 'must be an array of Imp objects');
  if (imps.length === 0) return fail('imp', 'must contain at least one impression');
  if (imps.length > maxImps) return fail('imp', `must contain at most ${maxImps} impressions`);
  for (let i = 0; i < imps.length; i++) {
    const f = checkImp(imps[i]);
    if (f) return under(`imp[${i}]`, f);
    const impId = (imps[i] as Obj)['id'];
    for (let j = 0; j < i; j++) {
      if ((imps[j] as Obj)['id'] === impId) return fail(`imp[${i}].id`, `duplicates imp[${j}].id`);
    }
  }

  const at = json['at'];
  if (at !== undefined && !(Number.isInteger(at) && ((at as number) === 1 || (at as number) === 2 || (at as number) === 3 || (at as number) >= 500))) {
    return fail('at', 'must be 1 (first price), 2 (second price plus), 3, or an exchange-specific value >= 500');
  }
  const tmax = json['tmax'];
  if (tmax !== undefined && !(Number.isInteger(tmax) && (tmax as number) > 0)) return fail('tmax', 'must be a positive integer (milliseconds)');

  let f =
    optCurrencyArray(json, 'cur') ??
    optStringArray(json, 'bcat') ??
    optStringArray(json, 'badv') ??
    optStringArray(json, 'bapp') ??
    optStringArray(json, 'wseat') ??
    optStringArray(json, 'bseat') ??
    optStringArray(json, 'wlang') ??
    optStringArray(json, 'acat') ??
    optBinary(json, 'test') ??
    optBinary(json, 'allimps') ??
    optInteger(json, 'cattax');
  if (f) return f;

  if (json['site'] !== undefined && json['app'] !== undefined) return fail('app', 'a request must not carry both site and app');
  if (
    (f =
      checkNested(json, 'site', checkSiteOrApp) ??
      checkNested(json, 'app', checkSiteOrApp) ??
      checkNested(json, 'device', checkDevice) ??
      checkNested(json, 'user', checkUser) ??
      checkNested(json, 'regs', checkRegs) ??
      checkNested(json, 'source', checkSource) ??
      optObject(json, 'ext'))
  ) {
    return f;
  }
  return { ok: true, request: json as unknown as BidRequest };
}
