/**
 * Line items by push: the task reads the line-item feed (shared/ports/line-item-changes.ts, a Redis
 * stream every task reads in full) and reloads each deal a change names, so an activated, paused or
 * amended campaign bids, stops or changes within a second or two instead of at the next full refresh.
 *
 * Order of start (bidder/app.ts): `markStart()` takes the feed's current position BEFORE the initial
 * full load, so a change committed between the two is read (and at worst reloaded once more). Then
 * `start()` runs the loop:
 *   read the changes after the position (blocking up to `maxWaitMs`) → drop those the catalog already
 *   holds → one reload per deal (coalesced: a burst of changes of one deal costs one Query) → apply
 *   them in one new snapshot → advance.
 * A reload that fails is retried on the next round (the round then waits at most `retryDelayMs`). A
 * read that fails (Redis unreachable) is retried from the same position, backing off up to ten retry
 * delays, until it answers. A gap (the
 * position was trimmed away, or the stream was lost) takes the newest position and reloads everything.
 *
 * Metrics: LineItemPushes (changes read), LineItemPushReloads (deals reloaded and applied),
 * LineItemPushErrors (failed reads and reloads), LineItemPushGaps (full reloads after a gap),
 * LineItemPushLag (ms from the change, the event's `at`, to its reload being applied).
 */
import type { FeedPosition, LineItemChange, LineItemChangeFeed } from '../shared/ports/line-item-changes.js';
import type { DealReload, LineItemSource } from '../shared/ports/line-item-source.js';
import type { LineItemCatalog } from './line-items.js';
import type { MetricsSink } from './metrics.js';

export interface LineItemPushOptions {
  feed: LineItemChangeFeed;
  catalog: Pick<LineItemCatalog, 'refresh' | 'applyDeals' | 'holds'>;
  source: Pick<LineItemSource, 'loadBiddableDeal'>;
  metrics: MetricsSink;
  /** Longest one read waits for a change. @default 5000 */
  maxWaitMs?: number;
  /** Changes per read. @default 500 */
  maxChanges?: number;
  /** Deals reloaded at once. @default 16 */
  reloadConcurrency?: number;
  /** Pause after a failed round, and the longest wait while reloads are pending. @default 1000 */
  retryDelayMs?: number;
  clock?: () => number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class LineItemPush {
  private position: FeedPosition | undefined;
  /** Deals whose reload failed, with the changes that asked for it. */
  private pending = new Map<string, LineItemChange[]>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly options: LineItemPushOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Takes the feed's newest position; false when the feed is unreachable (the loop then starts with a full reload). */
  async markStart(): Promise<boolean> {
    try {
      this.position = await this.options.feed.latest();
      return true;
    } catch (error) {
      this.options.log?.('line-item feed unreachable at start; pushes start with a full reload once it answers', { error: String(error) });
      return false;
    }
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Ends the loop: the read in progress is cut (the feed is closed) and the round in progress finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.feed.close();
    await this.running;
  }

  /** One round: catch up after a gap if needed, read the next changes, reload and apply their deals. */
  async tick(): Promise<void> {
    const { feed, catalog, metrics } = this.options;
    if (!this.position) {
      const position = await feed.latest();
      await catalog.refresh();
      this.position = position;
    }
    const read = await feed.readAfter(this.position, {
      maxWaitMs: this.pending.size > 0 ? (this.options.retryDelayMs ?? 1_000) : (this.options.maxWaitMs ?? 5_000),
      maxChanges: this.options.maxChanges ?? 500,
    });
    if (this.stopped) return;
    if (read.kind === 'gap') {
      metrics.count('LineItemPushGaps');
      this.options.log?.('line-item feed gap: reloading every deal', { reason: read.reason });
      this.position = undefined;
      this.pending.clear();
      return;
    }
    this.position = read.position;
    if (read.malformed > 0) metrics.count('LineItemPushErrors', read.malformed);
    if (read.changes.length > 0) metrics.count('LineItemPushes', read.changes.length);

    const byDeal = this.pending;
    this.pending = new Map();
    for (const change of read.changes) {
      const waiting = byDeal.get(change.dealId);
      if (waiting) waiting.push(change);
      else if (!catalog.holds(change)) byDeal.set(change.dealId, [change]);
    }
    if (byDeal.size === 0) return;
    const reloads = await this.reload([...byDeal.keys()]);
    const loaded = reloads.filter((reload): reload is DealReload => reload !== undefined);
    catalog.applyDeals(loaded);
    if (loaded.length > 0) metrics.count('LineItemPushReloads', loaded.length);
    const now = this.clock();
    for (const reload of loaded) {
      for (const change of byDeal.get(reload.dealId) ?? []) {
        const at = Date.parse(change.at);
        if (Number.isFinite(at)) metrics.latency('LineItemPushLag', Math.max(0, now - at));
      }
      byDeal.delete(reload.dealId);
    }
    // What is left failed to reload: next round.
    this.pending = byDeal;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.tick();
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        failures += 1;
        this.options.metrics.count('LineItemPushErrors');
        // Once per outage in the log, not once per retry; the pause grows to 10 retry delays.
        if (failures === 1) this.options.log?.('line-item push round failed; retrying until the feed answers', { error: String(error) });
        const delayMs = (this.options.retryDelayMs ?? 1_000) * Math.min(2 ** (failures - 1), 10);
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }

  /** Each deal's reload, undefined where it failed (counted). */
  private async reload(dealIds: readonly string[]): Promise<(DealReload | undefined)[]> {
    const out: (DealReload | undefined)[] = new Array(dealIds.length);
    let next = 0;
    const worker = async () => {
      while (next < dealIds.length) {
        const index = next++;
        const dealId = dealIds[index]!;
        try {
          out[index] = await this.options.source.loadBiddableDeal(dealId);
        } catch (error) {
          this.options.metrics.count('LineItemPushErrors');
          this.options.log?.('line-item reload failed; retried next round', { dealId, error: String(error) });
          out[index] = undefined;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.reloadConcurrency ?? 16, dealIds.length) }, worker));
    return out;
  }
}
