/**
 * BudgetSource kept in memory: daily budgets set by tests and tools, committed spend added from
 * billable commit reports (what the DynamoDB reconciler will do from the event stream).
 */
import type { PacingMode } from '../domain/campaign/campaign.js';
import { campaignDayId, type CampaignDay } from './campaign-day.js';
import type { BudgetSource, CampaignDayBudget } from './ports.js';
import type { Nanos } from './units.js';

export class InMemoryBudgetSource implements BudgetSource {
  private readonly budgets = new Map<string, { dailyBudget: Nanos; pacing: PacingMode }>();
  private readonly committed = new Map<string, Nanos>();
  private readonly seenBids = new Set<string>();

  setCampaign(campaignId: string, dailyBudget: Nanos, pacing: PacingMode): void {
    this.budgets.set(campaignId, { dailyBudget, pacing });
  }

  /** Records billable spend once per bid id. */
  recordSpend(cd: CampaignDay, bidId: string, amount: Nanos): void {
    const key = campaignDayId(cd);
    if (this.seenBids.has(`${key}#${bidId}`)) return;
    this.seenBids.add(`${key}#${bidId}`);
    this.committed.set(key, (this.committed.get(key) ?? 0) + amount);
  }

  committedFor(cd: CampaignDay): Nanos {
    return this.committed.get(campaignDayId(cd)) ?? 0;
  }

  async load(cd: CampaignDay): Promise<CampaignDayBudget | undefined> {
    const b = this.budgets.get(cd.campaignId);
    if (!b) return undefined;
    return { dailyBudget: b.dailyBudget, pacing: b.pacing, committed: this.committedFor(cd) };
  }
}
