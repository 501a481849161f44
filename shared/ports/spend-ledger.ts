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

export interface SpendLedger {
  /** Records entries; all or some may be replays. Throws on a failure (nothing counted twice on retry). */
  recordSpend(entries: readonly SpendEntry[]): Promise<RecordSpendResult>;
  getSpend(campaignId: string, day: string): Promise<CampaignDaySpend>;
  /**
   * Consumer watermark (docs/budget-leases.md, "Restart"): every record of stream shard `shard` whose
   * event time is ≤ `eventTimeMs` — and everything before it in the shard — has been recorded.
   * Monotonic: a lower value than the stored one changes nothing. Written after the batch's spend.
   */
  recordWatermark?(shard: string, eventTimeMs: number): Promise<void>;
  /**
   * The minimum watermark over all shards the consumer has seen: the ledger holds every bill whose
   * record precedes, in its shard, a record with an event time ≤ this. undefined: nothing recorded.
   */
  coveredUntil?(): Promise<number | undefined>;
}
