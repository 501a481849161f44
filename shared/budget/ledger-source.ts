/**
 * BudgetSource over the SpendLedger (DynamoDB, fed by the spend reconciler) and a lookup of the
 * campaign's daily budget and pacing (the bidder's line items). This is what a Redis allocator is
 * rebuilt from after it lost its state: the ledger must be caught up to the moment of the loss
 * (see docs/budget-leases.md, "Restart").
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import type { SpendLedger } from '../ports/spend-ledger.js';
import type { CampaignDay } from './campaign-day.js';
import { LedgerBehindError, type BudgetSource, type CampaignDayBudget, type LoadContext } from './ports.js';
import type { Nanos } from './units.js';

export type CampaignBudgetLookup = (
  campaignId: string,
) => { dailyBudget: Nanos; pacing: PacingMode } | undefined | Promise<{ dailyBudget: Nanos; pacing: PacingMode } | undefined>;

export interface LedgerSourceOptions {
  /**
   * How far past the loss the consumer watermark must be, ms: 2 × the bidders' clock skew plus the
   * longest a bill event may take from its event time to the stream (publisher buffering and retries).
   * Default 30 s.
   */
  marginMs?: number;
}

export const DEFAULT_LEDGER_MARGIN_MS = 30_000;

/**
 * A rebuild (`context.stateLostBy` set) only answers once the consumer watermark
 * (`ledger.coveredUntil()`, the minimum over the stream's shards of the newest event time recorded)
 * is ≥ stateLostBy + margin; before that it throws LedgerBehindError. A ledger without a watermark
 * never proves coverage: rebuilds fail closed.
 */
export function budgetSourceFromLedger(ledger: SpendLedger, lookup: CampaignBudgetLookup, options: LedgerSourceOptions = {}): BudgetSource {
  const marginMs = options.marginMs ?? DEFAULT_LEDGER_MARGIN_MS;
  return {
    async load(cd: CampaignDay, context?: LoadContext): Promise<CampaignDayBudget | undefined> {
      const campaign = await lookup(cd.campaignId);
      if (!campaign) return undefined;
      if (context?.stateLostBy !== undefined) {
        const covered = ledger.coveredUntil ? await ledger.coveredUntil() : undefined;
        const needed = context.stateLostBy + marginMs;
        if (covered === undefined || covered < needed) {
          throw new LedgerBehindError(
            `spend ledger covers until ${covered === undefined ? 'nothing' : new Date(covered).toISOString()}, rebuild of ${cd.campaignId}/${cd.day} needs ${new Date(needed).toISOString()}`,
          );
        }
      }
      // Read after the watermark: the spend it covers was written before it.
      const spend = await ledger.getSpend(cd.campaignId, cd.day);
      return { dailyBudget: campaign.dailyBudget, pacing: campaign.pacing, committed: spend.amountNanos };
    },
  };
}
