/**
 * The bid pipeline, independent of HTTP: one parsed BidRequest in, a BidResponse (or a no-bid
 * reason) out; notices go to bidder/notices.ts. main.ts wires real adapters, tests pass fakes.
 *
 *  1. start the DSP fan-out (deadline = receivedAt + tmax - margin), and while it runs:
 *  2. internal eligibility per imp (line items, frequency counts from the local cache);
 *  3. when the fan-out resolves (at the latest at the deadline): one auction per imp among
 *     internal candidates and DSP bids;
 *  4. an internal winner must reserve its cost from the local budget lease (no network); if it
 *     cannot, it is dropped and the auction re-runs without it (the next candidate wins);
 *  5. build the BidResponse; publish the auction event (buffered, off the hot path); forward loss
 *     notices to DSPs that lost our internal auction (after answering).
 */
import { auctionRulesFor, ranksBefore, runAuction, type AuctionBid, type AuctionOutcome } from '../shared/bidding/auction.js';
import { eligibleBids, userIdOf, type Candidate } from '../shared/bidding/eligibility.js';
import { responseCurrency } from '../shared/bidding/floors.js';
import type { BidRequest, BidResponse } from '../shared/bidding/openrtb/types.js';
import type { DspBid } from '../shared/bidding/dsp/response.js';
import { buildBidResponse, type ResponseBid } from '../shared/bidding/response.js';
import { impressionCostNanos } from '../shared/budget/units.js';
import { eventIds } from '../shared/events/codec.js';
import type { AuctionEvent, BidSummary, NoBidReason, WinnerSummary } from '../shared/events/types.js';
import { EVENT_SCHEMA_VERSION } from '../shared/events/types.js';
import { MemoryNoticeClaims } from '../shared/adapters/memory/memory-notice-claims.js';
import type { NoticeClaims } from '../shared/ports/notice-claims.js';
import { BidIds } from './bid-ids.js';
import type { LineItemCatalog } from './line-items.js';
import type { MetricsSink } from './metrics.js';
import { createNoticeSigner, type NoticeSigner } from './notice-signing.js';
import { signedNoticeParams, type NoticeTerms } from './notice-terms.js';
import { NoticeHandler, type NoticeResult } from './notices.js';
import { PendingFrequency } from './pending-frequency.js';
import { noBidReasonOf, requestSummary } from './auction-event.js';
import type { BudgetLeases, DemandResult, DemandSource, EventSink, FrequencyCounter } from './ports.js';

export interface PipelineOptions {
  catalog: Pick<LineItemCatalog, 'snapshot'>;
  budget: BudgetLeases;
  demand: DemandSource;
  events: EventSink;
  frequency: FrequencyCounter;
  metrics: MetricsSink;
  /** Where the exchange reaches our notice endpoints, e.g. https://bid.example.com */
  noticeBaseUrl: string;
  /** Identifies this task in notice URLs (a notice reaching another task is counted). */
  bidderId: string;
  /**
   * Key shared by every task for signing notice URLs (bidder/notice-signing.ts). Unset: a random
   * key for this process (notices reaching another task are then refused as forged).
   */
  noticeSigningKey?: string;
  /** Who acts on a notice first, across tasks (Redis in production; default: this process only). */
  noticeClaims?: NoticeClaims;
  /** How long our notice URLs are accepted after the bid (default 1 h). */
  noticeTtlMs?: number;
  /** tmax when the request has none (default 100 ms). */
  defaultTmaxMs?: number;
  /** Kept for parsing, the auction, writing and the network: the DSP deadline is tmax minus this (default 25 ms). */
  marginMs?: number;
  /** Largest tmax honoured (default 1000 ms). */
  maxTmaxMs?: number;
  /**
   * Losing bids listed per imp in the auction event (highest-ranked first; default all). Each costs
   * ~250 bytes of event; with many eligible line items the list dominates the event's size and the
   * Kinesis bill (docs/bidder.md, figures).
   */
  eventMaxLosersPerImp?: number;
  /** The currency our line items bid in (response currency when the request allows it). */
  currency?: string;
  clock?: () => number;
}

export type AuctionResult =
  | { status: 200; response: BidResponse; auctionId: string }
  | { status: 204; reason: NoBidReason; auctionId: string };

interface Internal extends AuctionBid {
  candidate: Candidate;
}
interface External extends AuctionBid {
  ext: DspBid;
}
type AnyBid = Internal | External;

/** Default life of our notice URLs: exchanges send billing notices seconds to minutes after the bid. */
const NOTICE_TTL_MS = 60 * 60_000;

export class BidPipeline {
  private readonly bidIds = new BidIds();
  private readonly clock: () => number;
  private readonly signer: NoticeSigner;
  private readonly pending: PendingFrequency;
  private readonly notices: NoticeHandler;

  constructor(private readonly o: PipelineOptions) {
    this.clock = o.clock ?? Date.now;
    this.signer = createNoticeSigner(o.noticeSigningKey);
    this.pending = new PendingFrequency({ metrics: o.metrics, clock: this.clock });
    this.notices = new NoticeHandler({
      signer: this.signer,
      claims: o.noticeClaims ?? new MemoryNoticeClaims(this.clock),
      budget: o.budget,
      demand: o.demand,
      events: o.events,
      frequency: o.frequency,
      pending: this.pending,
      metrics: o.metrics,
      bidderId: o.bidderId,
      clock: this.clock,
    });
  }

  /** Internal bids waiting for their win notice with a frequency cap to count. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A notice from the exchange (path + query as received): bidder/notices.ts. */
  notice(pathAndQuery: string): Promise<NoticeResult> {
    return this.notices.handle(pathAndQuery);
  }

  async auction(request: BidRequest, exchangeId: string, receivedAt: number): Promise<AuctionResult> {
    const m = this.o.metrics;
    const auctionId = request.id;
    const tmax = Math.min(request.tmax ?? this.o.defaultTmaxMs ?? 100, this.o.maxTmaxMs ?? 1000);
    const deadlineAt = receivedAt + Math.max(5, tmax - (this.o.marginMs ?? 25));
    const dspStart = this.clock();
    const demandPromise: Promise<DemandResult> = this.o.demand
      .collect(request, deadlineAt)
      .catch(() => ({ bids: [], dsp: {}, timedOut: [], breakerOpen: [], errors: ['*'] }));

    // Internal candidates (sync) while the DSPs work.
    const { lineItems } = this.o.catalog.snapshot;
    const internalOn = lineItems.length > 0 && this.o.budget.allocatorReachable;
    if (lineItems.length > 0 && !internalOn) m.count('InternalSuspended');
    const ctx = { frequencyCount: (u: string, c: string, p: number) => this.o.frequency.count(u, c, p) };
    const byImp = new Map<string, AnyBid[]>();
    let arrival = 0;
    let rejectionReason: NoBidReason | undefined;
    if (internalOn) {
      for (const imp of request.imp) {
        const { candidates, rejections } = eligibleBids(request, imp, lineItems, ctx);
        if (candidates.length === 0 && rejections.length > 0 && !rejectionReason) rejectionReason = noBidReasonOf(rejections.map((r) => r.reason));
        const list: AnyBid[] = [];
        for (const c of candidates) {
          const b: Internal = {
            id: this.bidIds.next(),
            impId: imp.id,
            source: 'internal',
            sourceId: c.lineItem.id,
            seat: c.lineItem.seat,
            priceMicros: c.priceMicros,
            currency: c.currency,
            adomain: c.creative.adomain,
            cat: c.creative.cat,
            arrival: arrival++,
            candidate: c,
          };
          if (c.dealId !== undefined) b.dealId = c.dealId;
          if (c.creative.bundle !== undefined) b.bundle = c.creative.bundle;
          list.push(b);
        }
        byImp.set(imp.id, list);
      }
    }

    const demand = await demandPromise;
    const dspMs = this.clock() - dspStart;
    for (const dsp of demand.timedOut) m.count('DspTimeouts', 1, { name: 'Dsp', value: dsp });
    for (const dsp of demand.breakerOpen) m.count('DspBreakerOpen', 1, { name: 'Dsp', value: dsp });
    for (const dsp of demand.errors) m.count('DspErrors', 1, { name: 'Dsp', value: dsp });
    for (const ext of demand.bids) {
      const b: External = {
        id: this.bidIds.next(),
        impId: ext.impId,
        source: 'external',
        sourceId: ext.dspId,
        seat: ext.seat,
        priceMicros: ext.priceMicros,
        currency: ext.currency,
        arrival: 1_000_000 + arrival++,
        ext,
      };
      if (ext.dealid !== undefined) b.dealId = ext.dealid;
      if (ext.adomain !== undefined) b.adomain = ext.adomain;
      if (ext.cat !== undefined) b.cat = ext.cat;
      if (ext.bundle !== undefined) b.bundle = ext.bundle;
      const list = byImp.get(b.impId);
      if (list) list.push(b);
      else if (request.imp.some((i) => i.id === b.impId)) byImp.set(b.impId, [b]);
    }

    const currency = responseCurrency(request, this.o.currency ?? 'USD');
    const responseBids: ResponseBid[] = [];
    const eventBids: BidSummary[] = [];
    const winners: WinnerSummary[] = [];
    const dspLosers: Array<{ b: External; reason: number }> = [];
    let budgetBlocked = false;
    let advertiser: string | undefined;
    const now = this.clock();
    for (const imp of request.imp) {
      let bids: AnyBid[] | undefined = byImp.get(imp.id);
      if (!bids || bids.length === 0) continue;
      const rules = auctionRulesFor(request, imp, currency);
      for (;;) {
        const outcome: AuctionOutcome<AnyBid> = runAuction<AnyBid>(rules, bids);
        const w: AnyBid | null = outcome.winner;
        if (!w || outcome.clearingPriceMicros === null) {
          this.noteLosers(outcome.losers, eventBids, dspLosers);
          break;
        }
        const clearing = outcome.clearingPriceMicros;
        if (w.source === 'internal') {
          const c = (w as Internal).candidate;
          const cost = impressionCostNanos(clearing);
          if (!this.o.budget.tryReserve(c.lineItem.campaignId, cost, w.id)) {
            budgetBlocked = true;
            m.count('ReservationFailures');
            eventBids.push(this.eventBid(w, 3 /* not sent: no budget */, c.lineItem.campaignId));
            bids = bids.filter((b: AnyBid) => b !== w);
            continue;
          }
          m.count('Reservations');
          const lineItem = c.lineItem;
          const adv = c.creative.adomain[0] ?? lineItem.accountId;
          const rb = this.internalResponseBid(w as Internal, clearing);
          // What any task needs to commit the bill against the lease this reservation came from.
          const held = this.o.budget.reservationOf?.(w.id);
          const terms: NoticeTerms = { source: 'internal', campaignId: lineItem.campaignId, ...this.noticeBase(adv, clearing, outcome.floorMicros ?? 0, currency, now) };
          if (held) terms.reservation = { campaignDay: held.campaignDay, leaseId: held.leaseId, cost: held.amount };
          Object.assign(rb, signedNoticeParams(this.signer, { auctionId, impId: imp.id, bidId: w.id }, terms));
          responseBids.push(rb);
          const cap = lineItem.frequencyCap;
          const userId = cap ? userIdOf(request) : undefined;
          if (cap && userId) this.pending.remember(w.id, { userId, campaignId: lineItem.campaignId, periodHours: cap.periodHours });
          const ws: WinnerSummary = { impId: imp.id, bidId: w.id, source: 'internal', sourceId: w.sourceId, campaignId: lineItem.campaignId, bidPriceMicros: w.priceMicros, clearingPriceMicros: clearing, currency, reservedNanos: cost };
          if (c.dealId !== undefined) ws.dealId = c.dealId;
          winners.push(ws);
          advertiser ??= adv;
        } else {
          const e = (w as External).ext;
          const rb = this.externalResponseBid(w as External, clearing);
          const terms: NoticeTerms = {
            source: 'dsp',
            dspId: e.dspId,
            dspBidId: e.responseBidId ?? e.bidId,
            dspUrls: { ...(e.nurl ? { win: e.nurl } : {}), ...(e.burl ? { bill: e.burl } : {}), ...(e.lurl ? { loss: e.lurl } : {}) },
            ...this.noticeBase(e.adomain?.[0], clearing, outcome.floorMicros ?? 0, currency, now),
          };
          Object.assign(rb, signedNoticeParams(this.signer, { auctionId, impId: imp.id, bidId: w.id }, terms));
          responseBids.push(rb);
          const ws: WinnerSummary = { impId: imp.id, bidId: w.id, source: 'external', sourceId: e.dspId, bidPriceMicros: w.priceMicros, clearingPriceMicros: clearing, currency };
          if (e.dealid !== undefined) ws.dealId = e.dealid;
          winners.push(ws);
          if (e.adomain?.[0]) advertiser ??= e.adomain[0];
        }
        eventBids.push(this.eventBid(w, 0, w.source === 'internal' ? (w as Internal).candidate.lineItem.campaignId : undefined));
        this.noteLosers(outcome.losers, eventBids, dspLosers);
        break;
      }
    }

    let result: AuctionResult;
    let response: BidResponse | null = null;
    try {
      response = buildBidResponse(request, responseBids, { currency, noticeBaseUrl: this.o.noticeBaseUrl, responseId: auctionId });
    } catch (error) {
      // A bug upstream: never send an invalid response; give the reservations back.
      for (const b of responseBids) this.o.budget.release(b.bidId);
      m.count('ResponseBuildErrors');
      void error;
    }
    if (response) {
      result = { status: 200, response, auctionId };
      m.count('Bids', responseBids.length);
    } else {
      const reason: NoBidReason =
        lineItems.length > 0 && !internalOn && demand.bids.length === 0
          ? 'budget_store_unavailable'
          : budgetBlocked
            ? 'no_budget'
            : eventBids.length > 0
              ? 'all_bids_invalid'
              : (rejectionReason ?? (lineItems.length === 0 && this.hasDemandConfigured(demand) ? 'no_dsp_bids' : 'no_eligible_line_items'));
      result = { status: 204, reason, auctionId };
      m.count('NoBid', 1, { name: 'Reason', value: reason });
    }

    // Off the hot path: the event and the loss notices to DSPs that lost our auction.
    const totalMs = this.clock() - receivedAt;
    const event: AuctionEvent = {
      schemaVersion: EVENT_SCHEMA_VERSION,
      eventId: eventIds.auction(auctionId),
      type: 'auction',
      at: new Date(this.clock()).toISOString(),
      bidderId: this.o.bidderId,
      auctionId,
      request: requestSummary(request, exchangeId, tmax),
      bids: eventBids,
      winners,
      timings: { receivedAt: new Date(receivedAt).toISOString(), totalMs, deadlineMs: deadlineAt - receivedAt, auctionMs: Math.max(0, totalMs - dspMs), dsp: demand.dsp },
      responseStatus: result.status,
    };
    if (advertiser) event.advertiser = advertiser;
    if (result.status === 204) event.noBidReason = result.reason;
    this.o.events.publish(event);
    if (dspLosers.length > 0) {
      setImmediate(() => {
        for (const { b, reason } of dspLosers) {
          if (b.ext.lurl === undefined) continue;
          this.o.demand.forward('loss', { dspId: b.ext.dspId, url: b.ext.lurl }, { auctionId, bidId: b.ext.responseBidId ?? b.ext.bidId, impId: b.impId, seatId: b.seat, currency, loss: reason });
        }
      });
    }
    return result;
  }

  private hasDemandConfigured(demand: DemandResult): boolean {
    return Object.keys(demand.dsp).length > 0;
  }

  private noteLosers(losers: ReadonlyArray<{ bid: AnyBid; reason: number }>, eventBids: BidSummary[], dspLosers: Array<{ b: External; reason: number }>): void {
    for (const l of losers) if (l.bid.source === 'external') dspLosers.push({ b: l.bid as External, reason: l.reason });
    const max = this.o.eventMaxLosersPerImp;
    const listed = max === undefined || losers.length <= max ? losers : [...losers].sort((x, y) => (ranksBefore(x.bid, y.bid) ? -1 : 1)).slice(0, max);
    for (const l of listed) eventBids.push(this.eventBid(l.bid, l.reason, l.bid.source === 'internal' ? (l.bid as Internal).candidate.lineItem.campaignId : undefined));
  }

  private eventBid(b: AnyBid, outcome: number, campaignId: string | undefined): BidSummary {
    const e: BidSummary = {
      bidId: b.id,
      impId: b.impId,
      source: b.source,
      sourceId: b.sourceId,
      seat: b.seat,
      priceMicros: b.priceMicros,
      currency: b.currency,
      status: outcome === 0 ? 'won' : outcome === 3 || outcome === 4 ? 'invalid' : 'lost',
    };
    if (outcome !== 0) e.lossReason = outcome;
    if (campaignId !== undefined) e.campaignId = campaignId;
    if (b.dealId !== undefined) e.dealId = b.dealId;
    if (b.adomain !== undefined) e.adomain = [...b.adomain];
    return e;
  }

  /** The notice terms every bid shares: who bid, what bounds a bill, until when. */
  private noticeBase(advertiser: string | undefined, priceMicros: number, floorMicros: number, currency: string, now: number) {
    const base = { bidderId: this.o.bidderId, priceMicros, floorMicros, currency, expiresAt: now + (this.o.noticeTtlMs ?? NOTICE_TTL_MS) };
    return advertiser ? { ...base, advertiser } : base;
  }

  private internalResponseBid(w: Internal, clearing: number): ResponseBid {
    const c = w.candidate;
    const cr = c.creative;
    const rb: ResponseBid = {
      impId: w.impId,
      bidId: w.id,
      seat: w.seat,
      priceMicros: clearing,
      adm: cr.adm,
      adomain: cr.adomain,
      cat: cr.cat,
      crid: cr.id,
      cid: c.lineItem.campaignId,
      w: cr.w,
      h: cr.h,
      mtype: cr.format === 'banner' ? 1 : cr.format === 'video' ? 2 : cr.format === 'audio' ? 3 : 4,
    };
    if (cr.bundle !== undefined) rb.bundle = cr.bundle;
    if (c.dealId !== undefined) rb.dealId = c.dealId;
    return rb;
  }

  private externalResponseBid(w: External, clearing: number): ResponseBid {
    const bid = w.ext;
    const rb: ResponseBid = { impId: w.impId, bidId: w.id, seat: w.seat, priceMicros: clearing, adm: bid.adm };
    if (bid.adomain !== undefined) rb.adomain = bid.adomain;
    if (bid.cat !== undefined) rb.cat = bid.cat;
    if (bid.crid !== undefined) rb.crid = bid.crid;
    if (bid.cid !== undefined) rb.cid = bid.cid;
    if (bid.bundle !== undefined) rb.bundle = bid.bundle;
    if (bid.w !== undefined) rb.w = bid.w;
    if (bid.h !== undefined) rb.h = bid.h;
    if (bid.dealid !== undefined) rb.dealId = bid.dealid;
    if (bid.mtype !== undefined) rb.mtype = bid.mtype;
    return rb;
  }
}
