/**
 * In-memory SpendLedger with the DynamoDB adapter's semantics (shared/adapters/dynamodb/spend-ledger.ts),
 * for unit tests and the budget benchmark: spend counted once per event id, monotonic per-shard
 * watermarks, and a campaign-day opened at most once.
 */
import type { CampaignDayOpening, CampaignDaySpend, RecordSpendResult, SpendEntry, SpendLedger } from '../../ports/spend-ledger.js';

export class MemorySpendLedger implements SpendLedger {
  private readonly spend = new Map<string, { amountNanos: number; events: number }>();
  private readonly counted = new Set<string>();
  private readonly watermarks = new Map<string, number>();
  private readonly openings = new Map<string, string>();

  async recordSpend(entries: readonly SpendEntry[]): Promise<RecordSpendResult> {
    const result = { recorded: 0, duplicates: 0 };
    for (const entry of entries) {
      if (this.counted.has(entry.eventId)) {
        result.duplicates += 1;
        continue;
      }
      this.counted.add(entry.eventId);
      const key = `${entry.campaignId}/${entry.day}`;
      const total = this.spend.get(key) ?? { amountNanos: 0, events: 0 };
      this.spend.set(key, { amountNanos: total.amountNanos + entry.amountNanos, events: total.events + 1 });
      result.recorded += 1;
    }
    return result;
  }

  async getSpend(campaignId: string, day: string): Promise<CampaignDaySpend> {
    const total = this.spend.get(`${campaignId}/${day}`);
    return { campaignId, day, amountNanos: total?.amountNanos ?? 0, events: total?.events ?? 0 };
  }

  async recordWatermark(shard: string, eventTimeMs: number): Promise<void> {
    this.watermarks.set(shard, Math.max(this.watermarks.get(shard) ?? eventTimeMs, eventTimeMs));
  }

  async coveredUntil(shards: readonly string[]): Promise<number | undefined> {
    if (shards.length === 0) return undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const shard of shards) {
      const t = this.watermarks.get(shard);
      if (t === undefined) return undefined;
      min = Math.min(min, t);
    }
    return min;
  }

  async openCampaignDay(campaignId: string, day: string, openedBy: string): Promise<CampaignDayOpening> {
    const key = `${campaignId}/${day}`;
    if (this.openings.has(key)) return 'already_open';
    this.openings.set(key, openedBy);
    return 'opened';
  }
}
