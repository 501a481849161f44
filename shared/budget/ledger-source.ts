/**
 * BudgetSource over the SpendLedger (DynamoDB, fed by the spend consumer) and a lookup of the
 * campaign's daily budget and pacing (the bidder's line items). A Redis allocator's campaign-day is
 * initialised from here: at its first opening, and again whenever Redis lost its state (see
 * docs/budget-leases.md, "Restart").
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import type { BudgetLedger, CampaignDayOpening } from '../ports/spend-ledger.js';
import type { StreamShards } from '../ports/stream-shards.js';
import type { CampaignDay } from './campaign-day.js';
import { LedgerBehindError, type BudgetSource, type CampaignDayBudget, type LoadContext } from './ports.js';
import type { Nanos } from './units.js';

export type CampaignBudgetLookup = (
  campaignId: string,
) => { dailyBudget: Nanos; pacing: PacingMode } | undefined | Promise<{ dailyBudget: Nanos; pacing: PacingMode } | undefined>;

export interface LedgerSourceOptions {
  /** The bid-event stream's open shards: the consumer watermark must cover every one. */
  shards: StreamShards;
  /** Who opens campaign-days (the bidder id): kept on the opening for audit. */
  openedBy: string;
  /**
   * How far past the loss the consumer watermark must be, ms: 2 × the bidders' clock skew plus the
   * longest a bill event may take from its event time to the stream (publisher buffering and retries).
   * Default 30 s.
   */
  marginMs?: number;
  /**
   * How long one reading of the watermark serves every campaign-day waiting for its rebuild, ms: after
   * a Redis loss every campaign of every task asks on each lease refresh. Default 1 s. A reading is a
   * lower bound (watermarks only move forward), so reusing it can only delay a rebuild.
   */
  coverageCacheMs?: number;
  clock?: () => number;
}

export const DEFAULT_LEDGER_MARGIN_MS = 30_000;

/**
 * An initialisation (`context` given) first opens the campaign-day in the ledger (`openCampaignDay`),
 * so the opening is durable before the allocator can grant anything for the day. Then, for a day that
 * has started
 * (`context.stateLostBy` set):
 *   - `opened` (this caller opened it) and no spend recorded: no allocator ever held the day, so
 *     nothing was committed: start from 0 at once.
 *   - `already_open`: the allocator had the day and lost it. Answer only once the consumer watermark
 *     (minimum over the open shards) is ≥ stateLostBy + margin, else throw LedgerBehindError (the
 *     caller grants nothing and asks again: fail closed).
 */
export function budgetSourceFromLedger(ledger: BudgetLedger, lookup: CampaignBudgetLookup, options: LedgerSourceOptions): BudgetSource {
  const marginMs = options.marginMs ?? DEFAULT_LEDGER_MARGIN_MS;
  const coverageCacheMs = options.coverageCacheMs ?? 1_000;
  const clock = options.clock ?? Date.now;
  let coverage: { at: number; covered: Promise<number | undefined> } | undefined;
  const coveredUntil = () => {
    if (!coverage || clock() - coverage.at >= coverageCacheMs) {
      const covered = options.shards.openShards().then((shards) => ledger.coveredUntil(shards.map((s) => s.key)));
      coverage = { at: clock(), covered };
      covered.catch(() => (coverage = undefined)); // a failed reading is not reused
    }
    return coverage.covered;
  };
  const requireCoverage = async (cd: CampaignDay, stateLostBy: number) => {
    const covered = await coveredUntil();
    const needed = stateLostBy + marginMs;
    if (covered === undefined || covered < needed) {
      throw new LedgerBehindError(
        `spend ledger covers until ${covered === undefined ? 'nothing' : new Date(covered).toISOString()}, rebuild of ${cd.campaignId}/${cd.day} needs ${new Date(needed).toISOString()}`,
      );
    }
  };
  // Days known to be open need no further UpdateItem: once open, a day stays open. A day this source
  // opened counts as open from then on too (its first initialisation may have reached Redis).
  const open = new Set<string>();
  const openDay = async (cd: CampaignDay): Promise<CampaignDayOpening> => {
    const key = `${cd.campaignId}/${cd.day}`;
    if (open.has(key)) return 'already_open';
    const opening = await ledger.openCampaignDay(cd.campaignId, cd.day, options.openedBy);
    if (open.size >= 10_000) open.clear();
    open.add(key);
    return opening;
  };
  return {
    async load(cd: CampaignDay, context?: LoadContext): Promise<CampaignDayBudget | undefined> {
      const campaign = await lookup(cd.campaignId);
      if (!campaign) return undefined;
      // Without a context this is a budget lookup, not an initialisation: nothing to open.
      const opening = context ? await openDay(cd) : undefined;
      const budget = async () => ({ dailyBudget: campaign.dailyBudget, pacing: campaign.pacing, committed: (await ledger.getSpend(cd.campaignId, cd.day)).amountNanos });
      if (context?.stateLostBy === undefined) return budget();
      if (opening === 'opened') {
        const fresh = await budget();
        // Spend recorded for a day nobody opened was committed before openings existed: not fresh.
        if (fresh.committed === 0) return { ...fresh, neverHeld: true };
      }
      await requireCoverage(cd, context.stateLostBy);
      // Read after the watermark: the spend it covers was written before it.
      return budget();
    },
  };
}
