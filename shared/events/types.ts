/**
 * Events the bidder streams to Kinesis (the bid path of docs/architecture.md): one `auction` event per bid
 * request it answered (bid or no bid), and one notice event per win / billing / loss notice it received.
 * Consumers: spend reconciliation (functions/spend/reconcile.ts reads `notice.bill`), billing and audit.
 *
 * Plain data, JSON on the wire (UTF-8, one event per Kinesis record, see codec.ts). Every event carries
 * `schemaVersion`; a consumer refuses versions it does not know rather than guess.
 *
 * Units (the same as the code that produces them):
 *   - prices (`…Micros`): CPM in integer micro-units of `currency` (shared/bidding/money.ts);
 *   - spend (`costNanos`): integer nanos of `currency` (shared/budget/units.ts): one impression bought
 *     at a CPM of p micros costs exactly p nanos, so committed spend is exact integer arithmetic.
 *   - times: ISO-8601 UTC strings; durations: milliseconds (fractional allowed).
 *
 * Partitioning: the Kinesis partition key is `advertiser` (the advertiser domain, else the account id;
 * see partitionKeyOf in codec.ts), so one advertiser's events stay on one shard, in order.
 */

export const EVENT_SCHEMA_VERSION = 1 as const;

export type EventType = 'auction' | 'notice.win' | 'notice.bill' | 'notice.loss' | 'stream.heartbeat';

interface EventBase {
  schemaVersion: typeof EVENT_SCHEMA_VERSION;
  /** Unique per event (producers: see eventIdFor* helpers in codec.ts for deterministic ids). */
  eventId: string;
  type: EventType;
  /** When the bidder produced the event (ISO-8601 UTC). */
  at: string;
  /** The bidder task that produced it (for audit and debugging). */
  bidderId?: string;
  /**
   * Who the event belongs to, for partitioning: the advertiser domain of the winning (or noticed) bid
   * (`adomain[0]`), else the advertiser's account id. Absent on auctions nobody won.
   */
  advertiser?: string;
}

/** What the bidder kept of the bid request: enough for billing and audit, never the whole request. */
export interface RequestSummary {
  /** BidRequest.id */
  id: string;
  /** Exchange the request came from (the key's owner). */
  exchange: string;
  /** BidRequest.at (1 first price, 2 second price plus). */
  auctionType?: number;
  tmax?: number;
  test?: boolean;
  imps: ImpSummary[];
  site?: { domain?: string; page?: string };
  app?: { bundle?: string };
  device?: { type?: number; country?: string; os?: string };
  /** Blocked categories / advertisers the request carried (counts only would lose audit value). */
  bcat?: string[];
  badv?: string[];
}

export interface ImpSummary {
  id: string;
  /** Banner sizes as "WxH". */
  sizes?: string[];
  formats?: ('banner' | 'video' | 'audio' | 'native')[];
  bidfloorMicros?: number;
  bidfloorCurrency?: string;
  dealIds?: string[];
  privateAuction?: boolean;
}

export type BidStatus = 'won' | 'lost' | 'invalid';

export interface BidSummary {
  bidId: string;
  impId: string;
  source: 'internal' | 'external';
  /** Line item id (= campaign id) for internal bids, DSP id for external ones. */
  sourceId: string;
  /** Internal bids: the campaign whose budget the bid reserves. */
  campaignId?: string;
  seat?: string;
  priceMicros: number;
  currency: string;
  dealId?: string;
  adomain?: string[];
  status: BidStatus;
  /** OpenRTB loss reason code (shared/bidding/auction.ts LOSS_REASON) when not won. */
  lossReason?: number;
}

export interface WinnerSummary {
  impId: string;
  bidId: string;
  source: 'internal' | 'external';
  sourceId: string;
  campaignId?: string;
  dealId?: string;
  /** Bid price and the price the auction cleared at (what the winner pays), CPM micros. */
  bidPriceMicros: number;
  clearingPriceMicros: number;
  currency: string;
  /** Budget reserved for this bid (internal bids), nanos. */
  reservedNanos?: number;
}

export interface AuctionTimings {
  /** When the request arrived (ISO-8601 UTC). */
  receivedAt: string;
  /** Arrival to response written, ms. */
  totalMs: number;
  /** Deadline the fan-out ran under, ms after arrival. */
  deadlineMs?: number;
  /** Auction and response building, ms. */
  auctionMs?: number;
  /** Per external DSP: response time in ms, or 'timeout' / 'error' / 'skipped' (breaker open, QPS cap). */
  dsp?: Record<string, number | 'timeout' | 'error' | 'skipped'>;
}

/** Why nothing was bid. Free text is not allowed: dashboards group by these. */
export type NoBidReason =
  | 'no_eligible_line_items'
  | 'below_floor'
  | 'no_budget'
  | 'budget_store_unavailable'
  | 'all_bids_invalid'
  | 'no_dsp_bids'
  | 'deadline_exceeded'
  | 'blocked'
  | 'frequency_capped'
  | 'test_request'
  | 'other';

export interface AuctionEvent extends EventBase {
  type: 'auction';
  /** Our id for this auction (also in notice URLs as ${AUCTION_ID} … see notices). */
  auctionId: string;
  request: RequestSummary;
  bids: BidSummary[];
  /** One per impression that got a winning bid; empty on no bid. */
  winners: WinnerSummary[];
  timings: AuctionTimings;
  /** HTTP status the exchange got: 200 (bid) or 204 (no bid). */
  responseStatus: 200 | 204;
  /** Set when responseStatus is 204. */
  noBidReason?: NoBidReason;
}

interface NoticeBase extends EventBase {
  auctionId: string;
  impId: string;
  bidId: string;
  source: 'internal' | 'external';
  sourceId: string;
  campaignId?: string;
  /** Price the exchange reported in ${AUCTION_PRICE} (clearing CPM), micros; absent if not sent. */
  priceMicros?: number;
  currency?: string;
  /** When the notice arrived at the bidder (ISO-8601 UTC). */
  receivedAt: string;
}

export interface WinNoticeEvent extends NoticeBase {
  type: 'notice.win';
}

/**
 * The budget spend a billing notice committed. Present only when an internal line item's budget was
 * charged (the allocator answered `committed` or `duplicate`); external DSPs spend their own budgets.
 */
export interface CommittedSpend {
  campaignId: string;
  /** The campaign-day (UTC, YYYY-MM-DD) the spend was committed against (the lease's day). */
  day: string;
  /** Committed cost of this impression, integer nanos of `currency`. */
  costNanos: number;
  currency: string;
}

export interface BillNoticeEvent extends NoticeBase {
  type: 'notice.bill';
  spend?: CommittedSpend;
}

export interface LossNoticeEvent extends NoticeBase {
  type: 'notice.loss';
  /** OpenRTB loss reason code from ${AUCTION_LOSS}. */
  lossReason?: number;
}

export type NoticeEvent = WinNoticeEvent | BillNoticeEvent | LossNoticeEvent;

/**
 * A bidder task's periodic record on one shard (sent with that shard's starting hash key). It carries
 * nothing but its time: it keeps the spend consumer's per-shard watermark moving on shards no
 * advertiser's events land on, so a budget rebuild after a Redis loss can prove the ledger caught up
 * (docs/budget-leases.md, "Restart").
 */
export interface StreamHeartbeatEvent extends EventBase {
  type: 'stream.heartbeat';
  shardId: string;
  /** The shard's starting hash key (decimal): the record's ExplicitHashKey. */
  hashKey: string;
}

export type BidderEvent = AuctionEvent | NoticeEvent | StreamHeartbeatEvent;
