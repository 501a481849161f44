/**
 * Committed spend per campaign-day, fed from billing notices on the event stream (at least once) and
 * counted exactly once per event id. The allocator's `committed` is rebuilt from here after a Redis
 * loss, so a double count would starve a campaign and a lost one could overspend it.
 *
 * Amounts are integer nanos of the campaign's currency (shared/budget/units.ts).
 */
export interface SpendEntry {
  campaignId: string;
  /** UTC calendar day, YYYY-MM-DD. */
  day: string;
  /** Non-negative safe integer, nanos. */
  amountNanos: number;
  /** Idempotency key: the same id recorded twice (a replayed record, a repeated notice) counts once. */
  eventId: string;
}

export interface RecordSpendResult {
  /** Entries counted now. */
  recorded: number;
  /** Entries whose event id was already counted (replays), or repeated within the call. */
  duplicates: number;
}

export interface CampaignDaySpend {
  campaignId: string;
  day: string;
  /** Sum of the recorded entries, nanos (0 when nothing was recorded). */
  amountNanos: number;
  /** Number of distinct events counted. */
  events: number;
}

/** The ledger as the bidders see it: they read spend and the watermark, and open campaign-days. */
export interface BudgetLedger {
  getSpend(campaignId: string, day: string): Promise<CampaignDaySpend>;
  /**
   * The minimum watermark over `shards` (the stream's open shards): the ledger holds every bill whose
   * record precedes, in its shard, a record with an event time ≤ this. undefined when a shard has no
   * watermark yet (or `shards` is empty): nothing is proven.
   */
  coveredUntil(shards: readonly string[]): Promise<number | undefined>;
  /**
   * Durably marks the campaign-day as opened in a budget allocator; a bidder calls it before it
   * initialises the allocator for that day, so before any grant. `opened` goes to exactly one caller:
   * it knows no allocator held the day before (spend recorded anyway came from before openings
   * existed; the caller checks). Everyone else gets `already_open`: the day may have had an allocator
   * state that was lost, and a rebuild must wait for the watermark.
   */
  openCampaignDay(campaignId: string, day: string, openedBy: string): Promise<CampaignDayOpening>;
}

/** The whole ledger: the spend consumer (functions/spend) also writes spend and its watermark. */
export interface SpendLedger extends BudgetLedger {
  /** Records entries; all or some may be replays. Throws on a failure (nothing counted twice on retry). */
  recordSpend(entries: readonly SpendEntry[]): Promise<RecordSpendResult>;
  /**
   * Consumer watermark (docs/budget-leases.md, "Restart"): every record of stream shard `shard` whose
   * event time is ≤ `eventTimeMs` — and everything before it in the shard — has been recorded.
   * Monotonic: a lower value than the stored one changes nothing. Written after the batch's spend.
   */
  recordWatermark(shard: string, eventTimeMs: number): Promise<void>;
}

export type CampaignDayOpening = 'opened' | 'already_open';
