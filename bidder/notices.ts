/**
 * Win, billing and loss notices from the exchange, on whichever task receives them. Nothing in a
 * notice is used before its signature is verified for its kind (bidder/notice-terms.ts); then:
 *
 *  - bill: refused (400, counted `BillsRefused`) when the reported price is below the floor that applied
 *    to the bid, above our bid, or in another currency. Internal: committed against the lease the URL
 *    names (the allocator is idempotent per bid). DSP: forwarded to the DSP's burl once.
 *  - win: the impression counts for the frequency cap (when the bid was made here), DSP: forwarded once.
 *  - loss: the reservation is released (when made here), DSP: forwarded once.
 *
 * "Once" holds across tasks and replays: the first task to claim (kind, bid) acts (NoticeClaims); a
 * repeat answers 204 and changes nothing. If the claim cannot be made (Redis unreachable) nothing is
 * forwarded: a DSP notice is never sent twice, at the price of one not sent.
 */
import { eventIds } from '../shared/events/codec.js';
import type { NoticeEvent } from '../shared/events/types.js';
import { EVENT_SCHEMA_VERSION } from '../shared/events/types.js';
import { parseNotice, type MacroValues, type Notice, type NoticeKind } from '../shared/bidding/response.js';
import { impressionCostNanos } from '../shared/budget/units.js';
import type { NoticeClaims } from '../shared/ports/notice-claims.js';
import type { MetricsSink } from './metrics.js';
import type { NoticeSigner } from './notice-signing.js';
import { verifyNotice, type DspNoticeTerms, type InternalNoticeTerms } from './notice-terms.js';
import type { PendingFrequency } from './pending-frequency.js';
import type { BudgetLeases, DemandSource, EventSink, FrequencyCounter } from './ports.js';

export interface NoticeHandlerOptions {
  signer: NoticeSigner;
  claims: NoticeClaims;
  budget: BudgetLeases;
  demand: Pick<DemandSource, 'forward'>;
  events: EventSink;
  frequency: FrequencyCounter;
  pending: PendingFrequency;
  metrics: MetricsSink;
  bidderId: string;
  clock?: () => number;
}

export interface NoticeResult {
  status: 204 | 400;
  reason?: string;
  event?: NoticeEvent;
}

type Terms = InternalNoticeTerms | (DspNoticeTerms & { dspUrl?: string });
type Claim = 'first' | 'repeat' | 'unknown';

/** Why a bill's reported price cannot be charged, or undefined when it can. */
export function billPriceProblem(notice: Pick<Notice, 'priceMicros' | 'currency'>, terms: Pick<Terms, 'floorMicros' | 'priceMicros' | 'currency'>): string | undefined {
  if (notice.currency !== '' && notice.currency !== terms.currency) return 'currency';
  // No price (macro not filled in): billed at our bid, which met the floor.
  if (notice.priceMicros < 0) return undefined;
  if (notice.priceMicros < terms.floorMicros) return 'below_floor';
  if (notice.priceMicros > terms.priceMicros) return 'above_bid';
  return undefined;
}

export class NoticeHandler {
  private readonly clock: () => number;

  constructor(private readonly o: NoticeHandlerOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** A notice (path + query as received): 204 when handled or a repeat, 400 when refused. */
  async handle(pathAndQuery: string): Promise<NoticeResult> {
    const m = this.o.metrics;
    const notice = parseNotice(pathAndQuery);
    if (!notice) {
      m.count('BadNotices');
      return { status: 400, reason: 'not a notice: auction, imp and bid are required once each' };
    }
    m.count('Notices', 1, { name: 'Kind', value: notice.kind });
    const verified = verifyNotice(this.o.signer, notice, this.clock());
    if (!verified.ok) {
      m.count(verified.problem === 'forged' ? 'ForgedNotices' : verified.problem === 'expired' ? 'ExpiredNotices' : 'BadNotices');
      return { status: 400, reason: verified.reason };
    }
    const terms = verified.terms;
    if (terms.bidderId !== this.o.bidderId) m.count('NoticeOtherTask');
    if (notice.kind === 'bill') return this.bill(notice, terms);
    const claim = await this.claim(notice.kind, notice.bidId, terms.expiresAt);
    if (claim === 'repeat') {
      m.count('NoticeRepeats', 1, { name: 'Kind', value: notice.kind });
      return { status: 204 };
    }
    return notice.kind === 'win' ? this.win(notice, terms, claim) : this.loss(notice, terms, claim);
  }

  private async claim(kind: NoticeKind, bidId: string, expiresAt: number): Promise<Claim> {
    try {
      return (await this.o.claims.claim(kind, bidId, expiresAt)) ? 'first' : 'repeat';
    } catch {
      this.o.metrics.count('NoticeClaimErrors');
      return 'unknown';
    }
  }

  private win(notice: Notice, terms: Terms, claim: Claim): NoticeResult {
    this.o.metrics.count('Wins');
    if (terms.source === 'internal') {
      const held = this.o.pending.take(notice.bidId);
      if (held) this.o.frequency.record(held.userId, held.campaignId, held.periodHours);
    } else if (claim === 'first') this.forward('win', notice, terms);
    return this.publish(this.event(notice, terms, 'notice.win', eventIds.win(notice.bidId)));
  }

  private loss(notice: Notice, terms: Terms, claim: Claim): NoticeResult {
    if (terms.source === 'internal') {
      this.o.pending.take(notice.bidId);
      if (this.o.budget.release(notice.bidId)) this.o.metrics.count('Releases');
      // Another task's reservation cannot be released from here, and need not be: it expires on
      // its owner, which then learns from the allocator that it was not committed.
      else if (terms.bidderId !== this.o.bidderId) this.o.metrics.count('LossOtherTask');
    } else if (claim === 'first') this.forward('loss', notice, terms);
    const event = this.event(notice, terms, 'notice.loss', eventIds.loss(notice.bidId)) as Extract<NoticeEvent, { type: 'notice.loss' }>;
    if (notice.loss !== undefined) event.lossReason = notice.loss;
    return this.publish(event);
  }

  private async bill(notice: Notice, terms: Terms): Promise<NoticeResult> {
    const m = this.o.metrics;
    const problem = billPriceProblem(notice, terms);
    if (problem) {
      m.count('BillsRefused', 1, { name: 'Reason', value: problem });
      return { status: 400, reason: `bill refused: price ${problem.replace('_', ' ')} (floor ${terms.floorMicros}, bid ${terms.priceMicros} micros ${terms.currency})` };
    }
    const event = this.event(notice, terms, 'notice.bill', eventIds.bill(notice.bidId)) as Extract<NoticeEvent, { type: 'notice.bill' }>;
    if (terms.source === 'dsp') {
      const claim = await this.claim('bill', notice.bidId, terms.expiresAt);
      if (claim === 'repeat') {
        m.count('NoticeRepeats', 1, { name: 'Kind', value: 'bill' });
        return { status: 204 };
      }
      if (claim === 'first') this.forward('bill', notice, terms);
      return this.publish(event);
    }
    this.o.pending.take(notice.bidId);
    // Bill at the price the exchange reports (never more than we reserved: the lease refuses that).
    const amount = notice.priceMicros >= 0 ? impressionCostNanos(notice.priceMicros) : undefined;
    const report = await this.o.budget.commit(notice.bidId, amount, terms.reservation);
    if (report.billable) {
      if (report.elsewhere) m.count('BillsCommittedElsewhere');
      if (report.status === 'committed') m.count('Spend', report.amount);
      event.spend = {
        campaignId: report.campaignId,
        day: report.campaignDay.slice(report.campaignDay.lastIndexOf('/') + 1),
        costNanos: report.amount,
        currency: terms.currency,
      };
    } else {
      m.count('CommitRefused', 1, { name: 'Status', value: report.status });
      // The exchange billed an impression our ledger did not accept: house cost, alarmed.
      if (report.status === 'refused' || (report.status === 'refused_locally' && report.reason === 'over_reservation')) m.count('Overspend');
    }
    return this.publish(event);
  }

  private forward(kind: NoticeKind, notice: Notice, terms: DspNoticeTerms & { dspUrl?: string }): void {
    if (terms.dspUrl === undefined) return;
    const values: MacroValues = {
      auctionId: notice.auctionId,
      bidId: terms.dspBidId,
      impId: notice.impId,
      seatId: notice.seat,
      currency: notice.currency || terms.currency,
      priceMicros: notice.priceMicros >= 0 ? notice.priceMicros : terms.priceMicros,
    };
    if (notice.loss !== undefined) values.loss = notice.loss;
    if (!this.o.demand.forward(kind, { dspId: terms.dspId, url: terms.dspUrl }, values)) this.o.metrics.count('NoticeForwardRefused');
  }

  private event(notice: Notice, terms: Terms, type: NoticeEvent['type'], eventId: string): NoticeEvent {
    const at = new Date(this.clock()).toISOString();
    const event = {
      schemaVersion: EVENT_SCHEMA_VERSION,
      type,
      eventId,
      at,
      bidderId: this.o.bidderId,
      auctionId: notice.auctionId,
      impId: notice.impId,
      bidId: notice.bidId,
      source: terms.source === 'internal' ? 'internal' : 'external',
      sourceId: terms.source === 'internal' ? terms.campaignId : terms.dspId,
      receivedAt: at,
    } as NoticeEvent;
    if (terms.advertiser) event.advertiser = terms.advertiser;
    if (terms.source === 'internal') event.campaignId = terms.campaignId;
    if (notice.priceMicros >= 0) event.priceMicros = notice.priceMicros;
    event.currency = notice.currency || terms.currency;
    return event;
  }

  private publish(event: NoticeEvent): NoticeResult {
    this.o.events.publish(event);
    return { status: 204, event };
  }
}
