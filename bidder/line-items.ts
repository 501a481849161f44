/**
 * The bidder's line items, kept per deal and published as one snapshot (the hot path reads one frozen
 * array reference, never a half-updated set).
 *
 * Two ways in:
 * - `refresh()`: the whole biddable set from the LineItemSource (at start, on the periodic safety-net
 *   refresh, and after a gap in the push feed). A failed refresh keeps the last good snapshot and is
 *   counted.
 * - `applyDeals(reloads)`: one deal at a time, reloaded because a change of it was pushed
 *   (bidder/line-item-push.ts). The deal's line items are replaced; a deal that may no longer bid loses
 *   them.
 *
 * Neither may put an older state over a newer one. Each deal keeps the versions of what it was built
 * from; a read that saw any of its entities at an older version than the catalog has is ignored. A
 * full refresh is a long, eventually consistent Scan: for a deal whose reload was applied while the
 * Scan ran, the reload wins, since the Scan may have read the deal before the change (a later change
 * comes with its own push, and a missed one with the next refresh).
 */
import { lineItemsFromDeal, type CampaignBudgetInfo } from '../shared/bidding/line-items-from-deals.js';
import type { LineItem } from '../shared/bidding/line-item.js';
import type { LineItemChange } from '../shared/ports/line-item-changes.js';
import type { BiddableDeal, DealReload, EntityVersions, LineItemSource } from '../shared/ports/line-item-source.js';
import type { MetricsSink } from './metrics.js';

export interface Snapshot {
  lineItems: readonly LineItem[];
  budgets: ReadonlyMap<string, CampaignBudgetInfo>;
  loadedAt: number;
}

/** What the catalog holds for one deal: none (a deal that stopped bidding) or its line items. */
interface DealEntry {
  lineItems: readonly LineItem[];
  budgets: readonly CampaignBudgetInfo[];
  versions: EntityVersions;
  /** Order in which a pushed reload was applied (0: from a full refresh). */
  pushed: number;
}

/** True when `read` saw any entity at an older version than `held` has it. */
export function isOlderRead(read: EntityVersions, held: EntityVersions): boolean {
  if (read.deal !== undefined && held.deal !== undefined && read.deal < held.deal) return true;
  for (const [campaignId, version] of Object.entries(read.campaigns)) {
    const heldVersion = held.campaigns[campaignId];
    if (heldVersion !== undefined && version < heldVersion) return true;
  }
  return false;
}

export class LineItemCatalog {
  private current: Snapshot = { lineItems: [], budgets: new Map(), loadedAt: 0 };
  private deals = new Map<string, DealEntry>();
  private pushes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly options: {
      source: LineItemSource;
      seat: string;
      metrics: MetricsSink;
      clock?: () => number;
      onError?: (error: unknown) => void;
    },
  ) {}

  get snapshot(): Snapshot {
    return this.current;
  }

  /** Loads the whole biddable set; throws if the source fails (start-up) — the loop catches. */
  async refresh(): Promise<Snapshot> {
    const pushesBefore = this.pushes;
    const loaded = await this.options.source.loadBiddableDeals();
    const today = this.today();
    const next = new Map<string, DealEntry>();
    for (const biddable of loaded) next.set(biddable.deal.id, this.entryOf(biddable, today, 0));
    // What the catalog holds wins over the load when it was pushed while the load ran, or is newer than
    // what the load read. Anything else, a stopped deal's empty entry included, is settled by the load.
    for (const [dealId, held] of this.deals) {
      const read = next.get(dealId);
      if (held.pushed > pushesBefore || (read && isOlderRead(read.versions, held.versions))) next.set(dealId, held);
    }
    this.deals = next;
    return this.publish();
  }

  /**
   * Replaces the line items of each reloaded deal (one new snapshot for all of them) and returns how
   * many were applied; a reload older than what the catalog has for its deal is skipped.
   */
  applyDeals(reloads: readonly DealReload[]): number {
    const today = this.today();
    let applied = 0;
    for (const reload of reloads) {
      const held = this.deals.get(reload.dealId);
      if (held && isOlderRead(reload.versions, held.versions)) continue;
      this.pushes += 1;
      this.deals.set(
        reload.dealId,
        reload.biddable
          ? this.entryOf(reload.biddable, today, this.pushes, reload.versions)
          : { lineItems: [], budgets: [], versions: reload.versions, pushed: this.pushes },
      );
      applied += 1;
    }
    if (applied > 0) this.publish();
    return applied;
  }

  /**
   * Whether the catalog already holds this change: it built the deal from a read that saw the entity at
   * this version or later. A removal is never held (the read before it saw the same version).
   */
  holds(change: Pick<LineItemChange, 'dealId' | 'entity' | 'entityId' | 'version' | 'type'>): boolean {
    if (change.type.endsWith('.removed')) return false;
    const versions = this.deals.get(change.dealId)?.versions;
    const seen = change.entity === 'deal' ? versions?.deal : versions?.campaigns[change.entityId];
    return seen !== undefined && seen >= change.version;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.inflight) return;
      this.inflight = this.refresh()
        .then(() => this.options.metrics.count('LineItemRefreshes'))
        .catch((error) => {
          this.options.metrics.count('LineItemRefreshErrors');
          this.options.onError?.(error);
        })
        .finally(() => {
          this.inflight = undefined;
        }) as Promise<void>;
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inflight;
  }

  private today(): string {
    return new Date((this.options.clock ?? Date.now)()).toISOString().slice(0, 10);
  }

  private entryOf(biddable: BiddableDeal, today: string, pushed: number, versions?: EntityVersions): DealEntry {
    const mapped = lineItemsFromDeal(biddable.deal, biddable.campaigns, today, { seat: this.options.seat });
    return {
      lineItems: mapped.lineItems,
      budgets: mapped.budgets,
      versions: versions ?? { deal: biddable.deal.version, campaigns: Object.fromEntries(biddable.campaigns.map((c) => [c.id, c.version])) },
      pushed,
    };
  }

  private publish(): Snapshot {
    const lineItems: LineItem[] = [];
    const budgets = new Map<string, CampaignBudgetInfo>();
    for (const entry of this.deals.values()) {
      lineItems.push(...entry.lineItems);
      for (const budget of entry.budgets) budgets.set(budget.campaignId, budget);
    }
    this.current = { lineItems: Object.freeze(lineItems), budgets, loadedAt: (this.options.clock ?? Date.now)() };
    this.options.metrics.gauge('LineItems', lineItems.length);
    return this.current;
  }
}
