/**
 * The bidder's line items: loaded from the LineItemSource at start, replaced as a whole snapshot on
 * every refresh (hot path reads one array reference, never a half-updated set). A failed refresh
 * keeps the last good snapshot and is counted.
 */
import { lineItemsFromDeal, type CampaignBudgetInfo } from '../shared/bidding/line-items-from-deals.js';
import type { LineItem } from '../shared/bidding/line-item.js';
import type { LineItemSource } from '../shared/ports/line-item-source.js';
import type { MetricsSink } from './metrics.js';

export interface Snapshot {
  lineItems: readonly LineItem[];
  budgets: ReadonlyMap<string, CampaignBudgetInfo>;
  loadedAt: number;
}

export class LineItemCatalog {
  private current: Snapshot = { lineItems: [], budgets: new Map(), loadedAt: 0 };
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

  /** Loads a fresh snapshot; throws if the source fails (start-up) — the loop catches. */
  async refresh(): Promise<Snapshot> {
    const now = (this.options.clock ?? Date.now)();
    const today = new Date(now).toISOString().slice(0, 10);
    const deals = await this.options.source.loadBiddableDeals();
    const lineItems: LineItem[] = [];
    const budgets = new Map<string, CampaignBudgetInfo>();
    for (const { deal, campaigns } of deals) {
      const mapped = lineItemsFromDeal(deal, campaigns, today, { seat: this.options.seat });
      lineItems.push(...mapped.lineItems);
      for (const b of mapped.budgets) budgets.set(b.campaignId, b);
    }
    this.current = { lineItems: Object.freeze(lineItems), budgets, loadedAt: now };
    this.options.metrics.gauge('LineItems', lineItems.length);
    return this.current;
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
}
