/**
 * What the bid pipeline needs from the outside, as small interfaces: external demand (DSP fan-out),
 * the event sink (Kinesis), frequency counts (Redis), budget (the LeaseManager). The service wires
 * the real adapters in main.ts; tests can pass fakes.
 */
import type { DspBid } from '../shared/bidding/dsp/response.js';
import type { BidRequest } from '../shared/bidding/openrtb/types.js';
import type { BidderEvent } from '../shared/events/types.js';
import type { EventSink } from '../shared/ports/event-sink.js';
import type { MacroValues, NoticeKind } from '../shared/bidding/response.js';
import type { CommitReport, SignedReservation } from '../shared/budget/lease-manager.js';
import type { Nanos } from '../shared/budget/units.js';

/** What one fan-out brought back (bids already checked and normalized by shared/bidding/dsp). */
export interface DemandResult {
  bids: DspBid[];
  /** Per DSP: latency in ms, or what happened instead. */
  dsp: Record<string, number | 'timeout' | 'error' | 'skipped'>;
  /** DSPs that did not answer before the deadline. */
  timedOut: string[];
  /** DSPs skipped because their circuit breaker is open. */
  breakerOpen: string[];
  /** DSPs that answered with an error. */
  errors: string[];
}

/** A DSP notice to send: the DSP's id and its own URL template of that kind (nurl, burl or lurl). */
export interface DspNoticeTarget {
  dspId: string;
  url: string;
}

export interface DemandSource {
  /** Ask every configured DSP; resolves by `deadlineAt` (epoch ms, Date.now clock) with whatever arrived. Never rejects. */
  collect(request: BidRequest, deadlineAt: number): Promise<DemandResult>;
  /**
   * Pass a notice on to the DSP, macros filled in with OUR auction's values. Fire and forget; false
   * when the target is refused (not a configured DSP, or a URL outside its notice hosts).
   */
  forward(kind: NoticeKind, target: DspNoticeTarget, values: MacroValues): boolean;
  close?(): Promise<void>;
}

export const NO_DEMAND: DemandSource = {
  collect: async () => ({ bids: [], dsp: {}, timedOut: [], breakerOpen: [], errors: [] }),
  forward: () => false,
};

export type { BidderEvent, EventSink };

/** Keeps events in memory (tests, local runs without a stream). */
export class MemoryEventSink implements EventSink {
  readonly events: BidderEvent[] = [];
  publish(event: BidderEvent): void {
    this.events.push(event);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Budget operations the pipeline uses (LeaseManager implements them). */
export interface BudgetLeases {
  tryReserve(campaignId: string, cost: Nanos, bidId: string): boolean;
  release(bidId: string): boolean;
  /**
   * Billing notice. `signed`: the reservation the (verified) notice URL names; used when the
   * reservation is not on this task (another task bid) or expired here.
   */
  commit(bidId: string, amount?: Nanos, signed?: SignedReservation): Promise<CommitReport>;
  /** The campaign-day and lease a live reservation of this task is held on (for the notice URL). */
  reservationOf?(bidId: string): { campaignDay: string; leaseId: string; amount: Nanos } | undefined;
  readonly allocatorReachable: boolean;
}

/** Frequency counts: synchronous read from a local cache, background sync with Redis. */
export interface FrequencyCounter {
  count(userId: string, campaignId: string, periodHours: number): number;
  record(userId: string, campaignId: string, periodHours: number): void;
}
