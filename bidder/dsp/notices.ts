/**
 * Passing win / billing / loss notices on to the external DSP whose bid took part in our auction.
 *
 * The exchange calls OUR notice endpoints (shared/bidding/response.ts builds them); when the bid was a
 * DSP's, the service then calls that DSP's own nurl / burl / lurl with the OpenRTB macros filled in
 * with OUR auction's values (substituteMacros from shared/bidding/response.ts: clearing price as an
 * exact decimal, currency, ids, loss reason). Fire-and-forget: the returned promise never rejects and
 * callers need not await it; each notice has a timeout; the number in flight is bounded (over the bound
 * a notice is dropped and counted, never queued without limit). Notice URLs were already checked at
 * bid time to be http(s) on the DSP's own hosts (shared/bidding/dsp/response.ts), so this never calls
 * a host the DSP's config does not name.
 */
import { Agent, type Dispatcher } from 'undici';
import { substituteMacros, type MacroValues } from '../../shared/bidding/response.js';
import type { DspBid } from '../../shared/bidding/dsp/response.js';

export type DspNoticeKind = 'win' | 'bill' | 'loss';

export type NoticeOutcome = 'sent' | 'no-url' | 'failed' | 'timeout' | 'dropped';

export interface NoticeStats {
  sent: number;
  failed: number;
  timeouts: number;
  dropped: number;
  noUrl: number;
  inFlight: number;
  byKind: Record<DspNoticeKind, number>;
}

export interface NoticeForwarderOptions {
  /** Per notice, ms. Default 2000 (notices are off the bid path; DSPs expect them within seconds). */
  timeoutMs?: number;
  /** Notices in flight at most; more are dropped (counted). Default 1000. */
  maxInFlight?: number;
  /** Kept-alive connections per DSP notice host. Default 16. */
  connectionsPerHost?: number;
  /** Dispatcher to use instead of an own keep-alive Agent (tests). */
  dispatcher?: Dispatcher;
}

export class NoticeForwarder {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly pending = new Set<Promise<NoticeOutcome>>();
  private readonly counters: Omit<NoticeStats, 'inFlight' | 'byKind'> = { sent: 0, failed: 0, timeouts: 0, dropped: 0, noUrl: 0 };
  private readonly byKind: Record<DspNoticeKind, number> = { win: 0, bill: 0, loss: 0 };

  constructor(options: NoticeForwarderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.maxInFlight = options.maxInFlight ?? 1_000;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ?? new Agent({ connections: options.connectionsPerHost ?? 16, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /**
   * Calls the DSP's URL of `kind` (its nurl / burl / lurl, `template`) with macros substituted from
   * `values` (fill auctionId, impId, bidId = the DSP's BidResponse.bidid, seatId, priceMicros = OUR
   * clearing price, currency, loss). Resolves with what happened; never rejects.
   */
  forward(kind: DspNoticeKind, template: string | undefined, values: MacroValues): Promise<NoticeOutcome> {
    if (template === undefined) {
      this.counters.noUrl++;
      return Promise.resolve('no-url');
    }
    if (this.pending.size >= this.maxInFlight) {
      this.counters.dropped++;
      return Promise.resolve('dropped');
    }
    this.byKind[kind]++;
    const url = substituteMacros(template, values);
    const p = this.send(url).then((outcome) => {
      this.pending.delete(p);
      this.counters[outcome === 'sent' ? 'sent' : outcome === 'timeout' ? 'timeouts' : 'failed']++;
      return outcome;
    });
    this.pending.add(p);
    return p;
  }

  /** Macro values for a DSP bid: its ids, with our auction's clearing price and currency. */
  static valuesFor(bid: DspBid, auctionId: string, clearingPriceMicros: number, loss?: number): MacroValues {
    const values: MacroValues = {
      auctionId,
      impId: bid.impId,
      seatId: bid.seat,
      priceMicros: clearingPriceMicros,
      currency: bid.currency,
      bidId: bid.responseBidId ?? bid.bidId,
    };
    if (bid.adid !== undefined) values.adId = bid.adid;
    if (loss !== undefined) values.loss = loss;
    return values;
  }

  private async send(url: string): Promise<NoticeOutcome> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return 'failed';
      }
      const response = await this.dispatcher.request({
        origin: parsed.origin,
        path: `${parsed.pathname}${parsed.search}`,
        method: 'GET',
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await response.body.dump({ limit: 64 * 1024 });
      return response.statusCode >= 200 && response.statusCode < 400 ? 'sent' : 'failed';
    } catch {
      return signal.aborted ? 'timeout' : 'failed';
    }
  }

  stats(): NoticeStats {
    return { ...this.counters, inFlight: this.pending.size, byKind: { ...this.byKind } };
  }

  /** Waits for the notices in flight (they time out on their own), e.g. before shutdown or in tests. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
