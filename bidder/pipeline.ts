/**
 * The bid pipeline, independent of HTTP: one parsed BidRequest in, a BidResponse (or a no-bid
 * reason) out; and the three notices. main.ts wires real adapters, tests pass fakes.
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
import { randomBytes } from 'node:crypto';
import { auctionRulesFor, ranksBefore, runAuction, type AuctionBid, type AuctionOutcome } from '../shared/bidding/auction.js';
import { eligibleBids, type Candidate } from '../shared/bidding/eligibility.js';
import { responseCurrency } from '../shared/bidding/floors.js';
import type { BidRequest, BidResponse, Imp } from '../shared/bidding/openrtb/types.js';
import type { DspBid } from '../shared/bidding/dsp/response.js';
import { eventIds } from '../shared/events/codec.js';
import type { AuctionEvent, BidSummary, NoBidReason, NoticeEvent, RequestSummary, WinnerSummary } from '../shared/events/types.js';
import { EVENT_SCHEMA_VERSION } from '../shared/events/types.js';
import { userIdOf } from '../shared/bidding/eligibility.js';
import { buildBidResponse, type NoticeKind, type ResponseBid } from '../shared/bidding/response.js';
import { parseNotice } from '../shared/bidding/response.js';
import { createNoticeSigner, type NoticeSigner } from './notice-signing.js';
import { impressionCostNanos } from '../shared/budget/units.js';
import type { LineItemCatalog } from './line-items.js';
import type { MetricsSink } from './metrics.js';
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
   * key for this process (bills reaching another task are then refused as forged).
   */
  noticeSigningKey?: string;
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

/** What we remember about a bid we sent, until its notices arrive (or it expires). */
interface Pending {
  auctionId: string;
  impId: string;
  expiresAt: number;
  userId?: string;
  campaignId?: string;
  accountId?: string;
  periodHours?: number;
  dsp?: DspBid;
  advertiser?: string;
  clearingPriceMicros: number;
  currency: string;
}

const PENDING_TTL_MS = 15 * 60_000;
const PENDING_MAX = 500_000;

export class BidPipeline {
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly clock: () => number;
  private lastSweep = 0;
  private readonly signer: NoticeSigner;

  constructor(private readonly o: PipelineOptions) {
    this.clock = o.clock ?? Date.now;
    this.signer = createNoticeSigner(o.noticeSigningKey);
  }

  private nextId(): string {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return `${this.prefix}${this.seq.toString(36)}`;
  }

  get pendingCount(): number {
    return this.pending.size;
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
            id: this.nextId(),
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
        id: this.nextId(),
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
          const rb = this.internalResponseBid(w as Internal, clearing, imp);
          // What any task needs to commit the bill against the lease this reservation came from.
          const held = this.o.budget.reservationOf?.(w.id);
          if (held) rb.notice = { ...rb.notice, ...this.signer.sign(w.id, { campaignDay: held.campaignDay, leaseId: held.leaseId, cost: held.amount }) };
          responseBids.push(rb);
          const p: Pending = { auctionId, impId: imp.id, expiresAt: now + PENDING_TTL_MS, campaignId: c.lineItem.campaignId, accountId: c.lineItem.accountId, clearingPriceMicros: clearing, currency, advertiser: c.creative.adomain[0] ?? c.lineItem.accountId };
          const cap = c.lineItem.frequencyCap;
          if (cap) {
            const u = userIdOf(request);
            if (u) {
              p.userId = u;
              p.periodHours = cap.periodHours;
            }
          }
          // Only bids with a frequency cap need memory until their notices (the user id is not in the
          // URL); everything else a notice needs travels in the notice URL itself.
          if (p.userId) this.remember(w.id, p);
          const ws: WinnerSummary = { impId: imp.id, bidId: w.id, source: 'internal', sourceId: w.sourceId, campaignId: c.lineItem.campaignId, bidPriceMicros: w.priceMicros, clearingPriceMicros: clearing, currency, reservedNanos: cost };
          if (c.dealId !== undefined) ws.dealId = c.dealId;
          winners.push(ws);
          advertiser ??= p.advertiser;
        } else {
          const e = (w as External).ext;
          responseBids.push(this.externalResponseBid(w as External, clearing));
          const p: Pending = { auctionId, impId: imp.id, expiresAt: now + PENDING_TTL_MS, dsp: e, clearingPriceMicros: clearing, currency };
          if (e.adomain?.[0]) p.advertiser = e.adomain[0];
          this.remember(w.id, p);
          const ws: WinnerSummary = { impId: imp.id, bidId: w.id, source: 'external', sourceId: e.dspId, bidPriceMicros: w.priceMicros, clearingPriceMicros: clearing, currency };
          if (e.dealid !== undefined) ws.dealId = e.dealid;
          winners.push(ws);
          advertiser ??= p.advertiser;
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
      request: summarize(request, exchangeId, tmax),
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
          this.o.demand.forward('loss', b.ext, { auctionId, bidId: b.ext.responseBidId ?? b.ext.bidId, impId: b.impId, seatId: b.seat, currency, loss: reason });
        }
      });
    }
    this.sweep(now);
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

  private internalResponseBid(w: Internal, clearing: number, imp: Imp): ResponseBid {
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
      notice: { s: 'i', c: c.lineItem.campaignId, a: cr.adomain[0] ?? c.lineItem.accountId, t: this.o.bidderId },
    };
    if (cr.bundle !== undefined) rb.bundle = cr.bundle;
    if (c.dealId !== undefined) rb.dealId = c.dealId;
    void imp;
    return rb;
  }

  private externalResponseBid(w: External, clearing: number): ResponseBid {
    const bid = w.ext;
    const rb: ResponseBid = { impId: w.impId, bidId: w.id, seat: w.seat, priceMicros: clearing, adm: bid.adm, notice: { s: 'd', d: bid.dspId, t: this.o.bidderId } };
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

  private remember(bidId: string, p: Pending): void {
    if (this.pending.size >= PENDING_MAX) {
      this.o.metrics.count('PendingDropped');
      const first = this.pending.keys().next().value;
      if (first !== undefined) this.pending.delete(first);
    }
    this.pending.set(bidId, p);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 5_000) return;
    this.lastSweep = now;
    for (const [id, p] of this.pending) {
      if (p.expiresAt > now) break; // insertion order = expiry order
      this.pending.delete(id);
    }
  }

  /**
   * A notice from the exchange (path + query as received). Returns the HTTP status to answer:
   * 204 when handled, 400 when it is not a notice of ours.
   */
  async notice(pathAndQuery: string): Promise<{ status: 204 | 400; reason?: string; event?: NoticeEvent }> {
    const n = parseNotice(pathAndQuery);
    const m = this.o.metrics;
    if (!n) {
      m.count('BadNotices');
      return { status: 400, reason: 'not a notice: auction, imp and bid are required' };
    }
    const kind: NoticeKind = n.kind;
    m.count('Notices', 1, { name: 'Kind', value: kind });
    const otherTask = n.extra.t !== undefined && n.extra.t !== this.o.bidderId;
    if (otherTask) m.count('NoticeOtherTask');
    const p = this.pending.get(n.bidId);
    const internal = n.extra.s === 'i' || (n.extra.s === undefined && p !== undefined && !p.dsp);
    const campaignId = p?.campaignId ?? n.extra.c;
    const dspId = p?.dsp?.dspId ?? n.extra.d;
    const base = {
      schemaVersion: EVENT_SCHEMA_VERSION,
      at: new Date(this.clock()).toISOString(),
      bidderId: this.o.bidderId,
      auctionId: n.auctionId,
      impId: n.impId,
      bidId: n.bidId,
      source: internal ? ('internal' as const) : ('external' as const),
      sourceId: (internal ? campaignId : dspId) ?? 'unknown',
      receivedAt: new Date(this.clock()).toISOString(),
    };
    const extras = (e: NoticeEvent): NoticeEvent => {
      const adv = p?.advertiser ?? n.extra.a;
      if (adv) e.advertiser = adv;
      if (campaignId && internal) e.campaignId = campaignId;
      if (n.priceMicros >= 0) e.priceMicros = n.priceMicros;
      if (n.currency) e.currency = n.currency;
      return e;
    };
    const values = {
      auctionId: n.auctionId,
      bidId: p?.dsp?.responseBidId ?? p?.dsp?.bidId ?? n.bidId,
      impId: n.impId,
      seatId: n.seat,
      currency: n.currency || p?.currency,
      priceMicros: n.priceMicros >= 0 ? n.priceMicros : p?.clearingPriceMicros,
    } as const;

    let event: NoticeEvent;
    if (kind === 'win') {
      m.count('Wins');
      if (p?.userId && p.campaignId && p.periodHours) this.o.frequency.record(p.userId, p.campaignId, p.periodHours);
      if (p?.dsp) this.o.demand.forward('win', p.dsp, values);
      event = extras({ ...base, type: 'notice.win', eventId: eventIds.win(n.bidId) });
    } else if (kind === 'bill') {
      const bill = extras({ ...base, type: 'notice.bill', eventId: eventIds.bill(n.bidId) }) as Extract<NoticeEvent, { type: 'notice.bill' }>;
      if (internal) {
        // Bill at the price the exchange reports (never more than we reserved: the lease refuses that).
        const amount = n.priceMicros >= 0 ? impressionCostNanos(n.priceMicros) : undefined;
        // The signed reservation lets this task commit a bill for a bid another task reserved.
        const signed = this.signer.verify(n.bidId, n.extra);
        if (signed === 'invalid' || (signed === 'missing' && !this.o.budget.reservationOf?.(n.bidId) && otherTask)) {
          m.count('ForgedNotices');
          return { status: 400, reason: 'notice signature missing or invalid' };
        }
        const report = await this.o.budget.commit(n.bidId, amount, signed === 'missing' ? undefined : signed);
        if (report.billable && report.elsewhere) m.count('BillsCommittedElsewhere');
        if (report.billable) {
          if (report.status === 'committed') m.count('Spend', report.amount);
          bill.spend = {
            campaignId: report.campaignId,
            day: report.campaignDay.slice(report.campaignDay.lastIndexOf('/') + 1),
            costNanos: report.amount,
            currency: n.currency || p?.currency || 'USD',
          };
        } else {
          m.count('CommitRefused', 1, { name: 'Status', value: report.status });
          // The exchange billed an impression our ledger did not accept: house cost, alarmed.
          if (report.status === 'refused' || (report.status === 'refused_locally' && report.reason === 'over_reservation')) m.count('Overspend');
        }
      } else if (p?.dsp) {
        this.o.demand.forward('bill', p.dsp, values);
      }
      this.pending.delete(n.bidId);
      event = bill;
    } else {
      if (internal) {
        if (this.o.budget.release(n.bidId)) m.count('Releases');
        // Another task's reservation cannot be released from here, and need not be: it expires on
        // its owner, which then learns from the allocator that it was not committed.
        else if (otherTask) m.count('LossOtherTask');
      } else if (p?.dsp) {
        this.o.demand.forward('loss', p.dsp, n.loss !== undefined ? { ...values, loss: n.loss } : values);
      }
      this.pending.delete(n.bidId);
      const loss = extras({ ...base, type: 'notice.loss', eventId: eventIds.loss(n.bidId) }) as Extract<NoticeEvent, { type: 'notice.loss' }>;
      if (n.loss !== undefined) loss.lossReason = n.loss;
      event = loss;
    }
    this.o.events.publish(event);
    return { status: 204, event };
  }
}

/** The no-bid reason for an imp where every line item was rejected (the most telling rejection). */
function noBidReasonOf(reasons: readonly string[]): NoBidReason {
  if (reasons.includes('frequency_capped')) return 'frequency_capped';
  if (reasons.includes('below_floor')) return 'below_floor';
  if (reasons.some((r) => r.startsWith('blocked_') || r === 'advertiser_not_allowed')) return 'blocked';
  return 'no_eligible_line_items';
}

function summarize(r: BidRequest, exchange: string, tmax: number): RequestSummary {
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
