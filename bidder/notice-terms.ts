/**
 * What our notice URLs carry, and how it is signed and read back. Everything a notice needs travels in
 * the URL, so whichever task receives it can act on it with no memory of the bid:
 *
 *   common to a bid's three URLs   s (i internal | d DSP), t (task that bid), a (advertiser),
 *                                  p (our bid price, micros), f (the floor that applied, micros),
 *                                  cy (currency of both), e (expiry, epoch seconds)
 *   internal bids                  c (campaign), cd (campaign-day), l (lease), r (reserved cost, nanos)
 *   DSP bids                       d (DSP id), x (the DSP's bid id for its own macros)
 *   one kind's URL only            u (the DSP's own URL of that kind), k + h (the signature)
 *
 * Every parameter and the literal ids are covered by `h`, made for the URL's kind
 * (bidder/notice-signing.ts). Reading a notice verifies that first; nothing else is trusted.
 */
import type { Notice, NoticeKind } from '../shared/bidding/response.js';
import type { SignedReservation } from '../shared/budget/lease-manager.js';
import type { NoticeParams, NoticeSigner } from './notice-signing.js';

/** The common terms of a bid's notices. */
interface TermsBase {
  /** Id of the task that made the bid (counted when a notice reaches another task). */
  bidderId: string;
  /** Partition key of the notice events: advertiser domain, else account id. */
  advertiser?: string;
  /** What we bid (our clearing price), micros of `currency`: a bill above it is refused. */
  priceMicros: number;
  /** The floor the bid had to meet, micros of `currency`: a bill below it is refused. */
  floorMicros: number;
  currency: string;
  /** After this instant (epoch ms, rounded up to a second) the notices are refused. */
  expiresAt: number;
}

export interface InternalNoticeTerms extends TermsBase {
  source: 'internal';
  campaignId: string;
  /** Where the budget was reserved; absent when the budget port does not say (then only the reserving task can bill). */
  reservation?: SignedReservation;
}

export interface DspNoticeTerms extends TermsBase {
  source: 'dsp';
  dspId: string;
  /** The DSP's own id of its bid (BidResponse.bidid, else Bid.id), substituted into its macros. */
  dspBidId: string;
  /** The DSP's notice URLs (templates with its macros), per kind. */
  dspUrls: Partial<Record<NoticeKind, string>>;
}

export type NoticeTerms = InternalNoticeTerms | DspNoticeTerms;

export interface NoticeIds {
  auctionId: string;
  impId: string;
  bidId: string;
}

const KINDS: readonly NoticeKind[] = ['win', 'bill', 'loss'];
const DIGITS = /^\d{1,16}$/;

function commonParams(terms: NoticeTerms): Record<string, string> {
  const params: Record<string, string> = { s: terms.source === 'internal' ? 'i' : 'd', t: terms.bidderId };
  if (terms.advertiser) params.a = terms.advertiser;
  params.p = String(terms.priceMicros);
  params.f = String(terms.floorMicros);
  params.cy = terms.currency;
  params.e = String(Math.ceil(terms.expiresAt / 1000));
  if (terms.source === 'internal') {
    params.c = terms.campaignId;
    if (terms.reservation) {
      params.cd = terms.reservation.campaignDay;
      params.l = terms.reservation.leaseId;
      params.r = String(terms.reservation.cost);
    }
  } else {
    params.d = terms.dspId;
    params.x = terms.dspBidId;
  }
  return params;
}

/** The notice parameters of one bid: `notice` for all three URLs, `noticeByKind` with each URL's own signature. */
export function signedNoticeParams(
  signer: NoticeSigner,
  ids: NoticeIds,
  terms: NoticeTerms,
): { notice: Record<string, string>; noticeByKind: Record<NoticeKind, Record<string, string>> } {
  const notice = commonParams(terms);
  const signedIds = { auction: ids.auctionId, imp: ids.impId, bid: ids.bidId };
  const noticeByKind = {} as Record<NoticeKind, Record<string, string>>;
  for (const kind of KINDS) {
    const own: Record<string, string> = {};
    const dspUrl = terms.source === 'dsp' ? terms.dspUrls[kind] : undefined;
    if (dspUrl !== undefined) own.u = dspUrl;
    noticeByKind[kind] = { ...own, ...signer.sign(kind, { ...signedIds, ...notice, ...own }) };
  }
  return { notice, noticeByKind };
}

/** A verified notice: the terms its URL was signed with. */
export type VerifiedNotice =
  | { ok: true; terms: InternalNoticeTerms | (DspNoticeTerms & { dspUrl?: string }) }
  | { ok: false; problem: 'forged' | 'malformed' | 'expired'; reason: string };

const int = (text: string | undefined): number | undefined => (text !== undefined && DIGITS.test(text) ? Number(text) : undefined);

/**
 * Checks a notice's signature for its kind, then reads its terms. `forged`: the MAC is missing or does
 * not match (nothing in the URL may be used); `malformed`: signed by us but unreadable (a bug);
 * `expired`: signed, but past its expiry.
 */
export function verifyNotice(signer: NoticeSigner, notice: Notice, now: number): VerifiedNotice {
  const { k, h, ...ours } = notice.extra;
  const params: NoticeParams = { auction: notice.auctionId, imp: notice.impId, bid: notice.bidId, ...ours };
  const verdict = signer.verify(notice.kind, params, k, h);
  if (verdict !== 'valid') return { ok: false, problem: 'forged', reason: `notice signature ${verdict}` };
  const priceMicros = int(ours.p);
  const floorMicros = int(ours.f);
  const expiresAtSeconds = int(ours.e);
  if (priceMicros === undefined || floorMicros === undefined || expiresAtSeconds === undefined || !ours.t || !ours.cy) {
    return { ok: false, problem: 'malformed', reason: 'signed notice lacks price, floor, expiry, task or currency' };
  }
  const expiresAt = expiresAtSeconds * 1000;
  if (now >= expiresAt) return { ok: false, problem: 'expired', reason: `notice expired at ${new Date(expiresAt).toISOString()}` };
  const base = { bidderId: ours.t, priceMicros, floorMicros, currency: ours.cy, expiresAt, ...(ours.a ? { advertiser: ours.a } : {}) };
  if (ours.s === 'i' && ours.c) {
    const terms: InternalNoticeTerms = { source: 'internal', campaignId: ours.c, ...base };
    const cost = int(ours.r);
    if (ours.cd && ours.l && cost !== undefined) terms.reservation = { campaignDay: ours.cd, leaseId: ours.l, cost };
    return { ok: true, terms };
  }
  if (ours.s === 'd' && ours.d && ours.x) {
    const terms: DspNoticeTerms & { dspUrl?: string } = { source: 'dsp', dspId: ours.d, dspBidId: ours.x, dspUrls: {}, ...base };
    if (ours.u) terms.dspUrl = ours.u;
    return { ok: true, terms };
  }
  return { ok: false, problem: 'malformed', reason: 'signed notice names neither a campaign nor a DSP bid' };
}
