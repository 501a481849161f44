import { afterEach, describe, expect, it } from 'vitest';
import { LineItemPush } from '../../../bidder/line-item-push.js';
import { LineItemCatalog } from '../../../bidder/line-items.js';
import { MemoryLineItemChanges } from '../../../shared/adapters/memory/memory-line-item-changes.js';
import { MemoryLineItemSource } from '../../../shared/adapters/memory/memory-line-item-source.js';
import type { LineItemChangeFeed } from '../../../shared/ports/line-item-changes.js';
import type { DealReload, LineItemSource } from '../../../shared/ports/line-item-source.js';
import { campaignOf, changeOf, dealOf, NOW, RecordingMetrics } from './line-item-fixtures.js';

/** A source that counts its loads and can be made to fail. */
class CountingSource implements LineItemSource {
  fullLoads = 0;
  reloads: string[] = [];
  failReloads = 0;
  constructor(readonly inner: MemoryLineItemSource) {}
  loadBiddableDeals() {
    this.fullLoads += 1;
    return this.inner.loadBiddableDeals();
  }
  async loadBiddableDeal(dealId: string): Promise<DealReload> {
    this.reloads.push(dealId);
    if (this.failReloads > 0) {
      this.failReloads -= 1;
      throw new Error('throttled');
    }
    return this.inner.loadBiddableDeal(dealId);
  }
}

const running: LineItemPush[] = [];
afterEach(async () => {
  for (const push of running.splice(0)) await push.stop();
});

async function setUp(options: { maxLength?: number } = {}) {
  const deal = dealOf('d-1', 'active');
  const memory = new MemoryLineItemSource({ deals: [deal], campaigns: [campaignOf(deal, 'c-1')] });
  const source = new CountingSource(memory);
  const feed = new MemoryLineItemChanges(options.maxLength);
  const metrics = new RecordingMetrics();
  const catalog = new LineItemCatalog({ source, seat: 'house', metrics, clock: () => NOW });
  const push = new LineItemPush({ feed, catalog, source, metrics, maxWaitMs: 20, retryDelayMs: 10, clock: () => NOW });
  await push.markStart();
  await catalog.refresh();
  return { deal, memory, source, feed, metrics, catalog, push };
}
const idsOf = (catalog: LineItemCatalog) => catalog.snapshot.lineItems.map((lineItem) => lineItem.id).sort();

describe('LineItemPush', () => {
  it('reloads a deal once for a burst of its changes and applies it, counting pushes, reloads and lag', async () => {
    // Prepare
    const { deal, memory, source, feed, metrics, catalog, push } = await setUp();
    const added = [campaignOf(deal, 'c-2', { version: 2 }), campaignOf(deal, 'c-3', { version: 2 })];
    for (const campaign of added) memory.putCampaign(campaign);
    await feed.publish(changeOf({ ...added[0]!, dealId: 'd-1' }, 'campaign.activated'));
    await feed.publish(changeOf({ ...added[1]!, dealId: 'd-1' }, 'campaign.activated'));
    await feed.publish(changeOf({ id: 'c-1', dealId: 'd-1', version: 2 }, 'campaign.amended'));
    // Act
    await push.tick();
    // Assess
    expect(source.reloads).toEqual(['d-1']);
    expect(idsOf(catalog)).toEqual(['c-1', 'c-2', 'c-3']);
    expect(metrics.counts.get('LineItemPushes')).toBe(3);
    expect(metrics.counts.get('LineItemPushReloads')).toBe(1);
    expect(metrics.latencies.get('LineItemPushLag')).toEqual([300, 300, 300]);
  });

  it('does not reload for a change the catalog already holds', async () => {
    // Prepare
    const { source, feed, push } = await setUp();
    await feed.publish(changeOf({ id: 'c-1', dealId: 'd-1', version: 1 }, 'campaign.activated'));
    // Act
    await push.tick();
    // Assess
    expect(source.reloads).toEqual([]);
  });

  it('retries a failed reload on the next round, with the changes that asked for it', async () => {
    // Prepare
    const { deal, memory, source, feed, metrics, catalog, push } = await setUp();
    memory.putDeal({ ...deal, status: 'paused', version: 2 });
    await feed.publish(changeOf({ ...deal, version: 2 }, 'deal.paused'));
    source.failReloads = 1;
    await push.tick();
    const afterFailure = idsOf(catalog);
    // Act
    await push.tick();
    // Assess
    expect(afterFailure).toEqual(['c-1']);
    expect(idsOf(catalog)).toEqual([]);
    expect(source.reloads).toEqual(['d-1', 'd-1']);
    expect(metrics.counts.get('LineItemPushErrors')).toBe(1);
    expect(metrics.latencies.get('LineItemPushLag')).toHaveLength(1);
  });

  it('reads from the position taken at start: a change published before its first read is applied, an older one is not read', async () => {
    // Prepare
    const deal = dealOf('d-1', 'approved');
    const memory = new MemoryLineItemSource({ deals: [deal] });
    const source = new CountingSource(memory);
    const feed = new MemoryLineItemChanges();
    const metrics = new RecordingMetrics();
    const catalog = new LineItemCatalog({ source, seat: 'house', metrics, clock: () => NOW });
    const push = new LineItemPush({ feed, catalog, source, metrics, maxWaitMs: 20, clock: () => NOW });
    await feed.publish(changeOf(deal, 'deal.approved')); // before start: the initial load has it
    await push.markStart();
    await catalog.refresh();
    const campaign = campaignOf(deal, 'c-1', { version: 2 });
    memory.putCampaign(campaign);
    await feed.publish(changeOf({ ...campaign, dealId: 'd-1' }, 'campaign.activated'));
    // Act
    await push.tick();
    // Assess
    expect(idsOf(catalog)).toEqual(['c-1']);
    expect(metrics.counts.get('LineItemPushes')).toBe(1);
    expect(source.reloads).toEqual(['d-1']);
  });

  it('after its position was trimmed away, reloads everything and reads on from the newest change', async () => {
    // Prepare
    const { deal, memory, source, feed, metrics, catalog, push } = await setUp({ maxLength: 2 });
    memory.putDeal({ ...deal, status: 'paused', version: 2 });
    for (let version = 2; version <= 4; version++) await feed.publish(changeOf({ ...deal, version }, 'deal.paused'));
    // Act
    await push.tick(); // sees the gap
    await push.tick(); // reloads everything, then reads (nothing new)
    // Assess
    expect(metrics.counts.get('LineItemPushGaps')).toBe(1);
    expect(source.fullLoads).toBe(2);
    expect(source.reloads).toEqual([]);
    expect(idsOf(catalog)).toEqual([]);
  });

  it('after the feed was lost and recreated, reloads everything', async () => {
    // Prepare
    const { deal, memory, source, feed, metrics, catalog, push } = await setUp();
    await feed.publish(changeOf({ id: 'c-1', dealId: 'd-1', version: 1 }, 'campaign.activated'));
    await push.tick();
    feed.reset();
    memory.putDeal({ ...deal, status: 'paused', version: 2 }); // its change was lost with the feed
    // Act
    await push.tick();
    await push.tick();
    // Assess
    expect(metrics.counts.get('LineItemPushGaps')).toBe(1);
    expect(source.fullLoads).toBe(2);
    expect(idsOf(catalog)).toEqual([]);
  });

  it('resumes from the same position after reads fail (Redis unreachable): a change made meanwhile is applied', async () => {
    // Prepare
    const { deal, memory, feed, catalog } = await setUp();
    const metrics = new RecordingMetrics();
    let failing = 3;
    const flaky: LineItemChangeFeed = {
      latest: () => feed.latest(),
      readAfter: (position, options) => (failing-- > 0 ? Promise.reject(new Error('connection refused')) : feed.readAfter(position, options)),
      close: () => feed.close(),
    };
    const push = new LineItemPush({ feed: flaky, catalog, source: memory, metrics, maxWaitMs: 20, retryDelayMs: 5 });
    await push.markStart();
    memory.putDeal({ ...deal, status: 'paused', version: 2 });
    await feed.publish(changeOf({ ...deal, version: 2 }, 'deal.paused'));
    // Act
    push.start();
    running.push(push);
    // Assess
    await expect.poll(() => idsOf(catalog), { timeout: 2_000 }).toEqual([]);
    expect(metrics.counts.get('LineItemPushErrors')).toBe(3);
    expect(metrics.counts.get('LineItemPushGaps')).toBeUndefined();
  });

  it('runs until stopped: a change reaches the catalog, and stop ends a read that is waiting', async () => {
    // Prepare
    const { deal, memory, feed, catalog, push } = await setUp();
    const push2 = new LineItemPush({ feed, catalog, source: memory, metrics: new RecordingMetrics(), maxWaitMs: 60_000 });
    await push2.markStart();
    push2.start();
    memory.putDeal({ ...deal, status: 'paused', version: 2 });
    // Act
    await feed.publish(changeOf({ ...deal, version: 2 }, 'deal.paused'));
    await expect.poll(() => idsOf(catalog), { timeout: 2_000 }).toEqual([]);
    const stopped = await Promise.race([push2.stop().then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000))]);
    // Assess
    expect(stopped).toBe('stopped');
    running.push(push); // never started; stop is harmless
  });
});
