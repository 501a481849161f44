/**
 * The request side of the auction event (shared/events/types.ts): a summary of the bid request and the
 * no-bid reason when every line item was rejected. Pure; the pipeline publishes the event.
 */
import type { BidRequest } from '../shared/bidding/openrtb/types.js';
import type { NoBidReason, RequestSummary } from '../shared/events/types.js';

/** The no-bid reason for an imp where every line item was rejected (the most telling rejection). */
export function noBidReasonOf(reasons: readonly string[]): NoBidReason {
  if (reasons.includes('frequency_capped')) return 'frequency_capped';
  if (reasons.includes('below_floor')) return 'below_floor';
  if (reasons.some((r) => r.startsWith('blocked_') || r === 'advertiser_not_allowed')) return 'blocked';
  return 'no_eligible_line_items';
}

/** What an auction event records of the request: enough to report on, not the whole request. */
export function requestSummary(r: BidRequest, exchange: string, tmax: number): RequestSummary {
  const s: RequestSummary = {
    id: r.id,
    exchange,
    auctionType: r.at ?? 2,
    tmax,
    imps: r.imp.map((imp) => {
      const i: RequestSummary['imps'][number] = { id: imp.id };
      const sizes: string[] = [];
      if (imp.banner?.format) for (const f of imp.banner.format) if (f.w !== undefined && f.h !== undefined) sizes.push(`${f.w}x${f.h}`);
      if (imp.banner?.w !== undefined && imp.banner.h !== undefined) sizes.push(`${imp.banner.w}x${imp.banner.h}`);
      if (sizes.length > 0) i.sizes = sizes;
      const formats: NonNullable<typeof i.formats> = [];
      if (imp.banner) formats.push('banner');
      if (imp.video) formats.push('video');
      if (imp.audio) formats.push('audio');
      if (imp.native) formats.push('native');
      i.formats = formats;
      if (imp.bidfloor !== undefined) {
        i.bidfloorMicros = Math.round(imp.bidfloor * 1e6);
        i.bidfloorCurrency = imp.bidfloorcur ?? 'USD';
      }
      if (imp.pmp?.deals) i.dealIds = imp.pmp.deals.map((d) => d.id);
      if (imp.pmp?.private_auction === 1) i.privateAuction = true;
      return i;
    }),
  };
  if (r.test === 1) s.test = true;
  if (r.site) s.site = { ...(r.site.domain ? { domain: r.site.domain } : {}), ...(r.site.page ? { page: r.site.page } : {}) };
  if (r.app?.bundle) s.app = { bundle: r.app.bundle };
  if (r.device) {
    const d: NonNullable<RequestSummary['device']> = {};
    if (r.device.devicetype !== undefined) d.type = r.device.devicetype;
    if (r.device.geo?.country) d.country = r.device.geo.country;
    if (r.device.os) d.os = r.device.os;
    s.device = d;
  }
  if (r.bcat) s.bcat = [...r.bcat];
  if (r.badv) s.badv = [...r.badv];
  return s;
}
