import { describe, expect, it } from 'vitest';
import { isOlderRead, LineItemCatalog } from '../../../bidder/line-items.js';
import { MemoryLineItemSource } from '../../../shared/adapters/memory/memory-line-item-source.js';
import type { BiddableDeal, LineItemSource } from '../../../shared/ports/line-item-source.js';
import { campaignOf, changeOf, dealOf, NOW, RecordingMetrics } from './line-item-fixtures.js';

function catalogOver(source: LineItemSource) {
  const metrics = new RecordingMetrics();
  return { catalog: new LineItemCatalog({ source, seat: 'house', metrics, clock: () => NOW }), metrics };
}
const idsOf = (catalog: LineItemCatalog) => catalog.snapshot.lineItems.map((lineItem) => lineItem.id).sort();

/** A source whose full load waits until `release()`, reading the deals as they are when it was called. */
function slowFullLoad(source: MemoryLineItemSource) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow: LineItemSource = {
    loadBiddableDeals: async () => {
      const read = await source.loadBiddableDeals();
      await gate;
      return read;
    },
    loadBiddableDeal: (dealId) => source.loadBiddableDeal(dealId),
  };
  return { slow, release };
}

describe('LineItemCatalog: one deal at a time', () => {
  it('adds the line items of a deal that became biddable, in a new frozen snapshot, the others untouched', async () => {
    // Prepare
    const running = dealOf('d-run', 'active');
    const source = new MemoryLineItemSource({ deals: [running, dealOf('d-new', 'pending_approval')], campaigns: [campaignOf(running, 'c-run')] });
    const { catalog, metrics } = catalogOver(source);
    await catalog.refresh();
    const before = catalog.snapshot;
    const approved = dealOf('d-new', 'approved', 2);
    source.putDeal(approved);
    source.putCampaign(campaignOf(approved, 'c-new'));
    // Act
    const applied = catalog.applyDeals([await source.loadBiddableDeal('d-new')]);
    // Assess
    expect(applied).toBe(1);
    expect(idsOf(catalog)).toEqual(['c-new', 'c-run']);
    expect(catalog.snapshot).not.toBe(before);
    expect(Object.isFrozen(catalog.snapshot.lineItems)).toBe(true);
    expect(before.lineItems.map((lineItem) => lineItem.id)).toEqual(['c-run']);
    expect([...catalog.snapshot.budgets.keys()].sort()).toEqual(['c-new', 'c-run']);
    expect(metrics.gauges.get('LineItems')).toBe(2);
  });

  it('takes every line item and budget of a paused deal away', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active');
    const other = dealOf('d-2', 'active');
    const source = new MemoryLineItemSource({ deals: [deal, other], campaigns: [campaignOf(deal, 'c-1'), campaignOf(deal, 'c-2'), campaignOf(other, 'c-3')] });
    const { catalog } = catalogOver(source);
    await catalog.refresh();
    source.putDeal({ ...deal, status: 'paused', version: 2 });
    // Act
    catalog.applyDeals([await source.loadBiddableDeal('d-1')]);
    // Assess
    expect(idsOf(catalog)).toEqual(['c-3']);
    expect([...catalog.snapshot.budgets.keys()]).toEqual(['c-3']);
  });

  it('replaces an amended campaign (bid, budget, targeting) with its new terms', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active');
    const campaign = campaignOf(deal, 'c-1');
    const source = new MemoryLineItemSource({ deals: [deal], campaigns: [campaign] });
    const { catalog } = catalogOver(source);
    await catalog.refresh();
    source.putCampaign({
      ...campaign,
      version: 2,
      maxBid: { amountMinor: 900, currency: 'USD' },
      dailyBudget: { amountMinor: 70_000, currency: 'USD' },
      targeting: { ...campaign.targeting, geo: { countries: ['CAN'] } },
    });
    // Act
    catalog.applyDeals([await source.loadBiddableDeal('d-1')]);
    // Assess
    const [lineItem] = catalog.snapshot.lineItems;
    expect(lineItem).toMatchObject({ id: 'c-1', maxBidMicros: 9_000_000, targeting: { countries: ['CAN'] } });
    expect(catalog.snapshot.budgets.get('c-1')).toMatchObject({ dailyBudgetMinor: 70_000, version: 2 });
  });

  it('ignores a reload older than what it holds (a campaign or the deal at a lower version)', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active', 3);
    const campaign = campaignOf(deal, 'c-1', { version: 5, maxBid: { amountMinor: 900, currency: 'USD' } });
    const { catalog } = catalogOver(new MemoryLineItemSource({ deals: [deal], campaigns: [campaign] }));
    await catalog.refresh();
    const before = catalog.snapshot;
    const stale: BiddableDeal = { deal, campaigns: [{ ...campaign, version: 4, maxBid: { amountMinor: 100, currency: 'USD' } }] };
    // Act
    const appliedCampaign = catalog.applyDeals([{ dealId: 'd-1', biddable: stale, versions: { deal: 3, campaigns: { 'c-1': 4 } } }]);
    const appliedDeal = catalog.applyDeals([{ dealId: 'd-1', versions: { deal: 2, campaigns: {} } }]);
    // Assess
    expect([appliedCampaign, appliedDeal]).toEqual([0, 0]);
    expect(catalog.snapshot).toBe(before);
    expect(catalog.snapshot.lineItems[0]!.maxBidMicros).toBe(9_000_000);
  });

  it('knows which changes it already holds; a removal never', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active', 3);
    const campaign = campaignOf(deal, 'c-1', { version: 5 });
    const { catalog } = catalogOver(new MemoryLineItemSource({ deals: [deal], campaigns: [campaign] }));
    await catalog.refresh();
    // Act
    const answers = [
      catalog.holds(changeOf({ ...campaign, version: 5 }, 'campaign.amended')),
      catalog.holds(changeOf({ ...campaign, version: 6 }, 'campaign.amended')),
      catalog.holds(changeOf({ ...deal, version: 3 }, 'deal.activated')),
      catalog.holds(changeOf({ ...campaign, version: 5 }, 'campaign.removed')),
      catalog.holds(changeOf({ id: 'c-9', dealId: 'd-9', version: 1 }, 'campaign.activated')),
    ];
    // Assess
    expect(answers).toEqual([true, false, true, false, false]);
  });
});

describe('LineItemCatalog: the full refresh beside pushed reloads', () => {
  it('keeps a deal activated by a push while the refresh ran, though the refresh read it before', async () => {
    // Prepare
    const deal = dealOf('d-1', 'approved');
    const source = new MemoryLineItemSource({ deals: [deal], campaigns: [campaignOf(deal, 'c-1', { status: 'draft' })] });
    const { slow, release } = slowFullLoad(source);
    const { catalog } = catalogOver(slow);
    const refreshing = catalog.refresh();
    source.putCampaign(campaignOf(deal, 'c-1', { version: 2 }));
    catalog.applyDeals([await source.loadBiddableDeal('d-1')]);
    // Act
    release();
    await refreshing;
    // Assess
    expect(idsOf(catalog)).toEqual(['c-1']);
  });

  it('keeps a deal paused by a push while the refresh ran, though the refresh read it active', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active');
    const source = new MemoryLineItemSource({ deals: [deal], campaigns: [campaignOf(deal, 'c-1')] });
    const { catalog } = catalogOver(source);
    await catalog.refresh();
    const { slow, release } = slowFullLoad(source);
    const slowCatalog = catalogOver(slow).catalog;
    const refreshing = slowCatalog.refresh();
    source.putDeal({ ...deal, status: 'paused', version: 2 });
    slowCatalog.applyDeals([await source.loadBiddableDeal('d-1')]);
    // Act
    release();
    await refreshing;
    // Assess
    expect(idsOf(slowCatalog)).toEqual([]);
  });

  it('settles a pushed deal by a refresh that started after the push', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active');
    const source = new MemoryLineItemSource({ deals: [deal], campaigns: [campaignOf(deal, 'c-1')] });
    const { catalog } = catalogOver(source);
    await catalog.refresh();
    source.putDeal({ ...deal, status: 'paused', version: 2 });
    catalog.applyDeals([await source.loadBiddableDeal('d-1')]);
    source.putDeal({ ...deal, status: 'active', version: 3 }); // resumed; its push was missed
    // Act
    await catalog.refresh();
    // Assess
    expect(idsOf(catalog)).toEqual(['c-1']);
  });

  it('keeps what it holds for a deal the refresh read at an older version', async () => {
    // Prepare
    const deal = dealOf('d-1', 'active', 4);
    const campaign = campaignOf(deal, 'c-1', { version: 7, maxBid: { amountMinor: 900, currency: 'USD' } });
    const staleRead: LineItemSource = {
      loadBiddableDeals: async () => [{ deal, campaigns: [{ ...campaign, version: 6, maxBid: { amountMinor: 100, currency: 'USD' } }] }],
      loadBiddableDeal: async () => ({ dealId: 'd-1', biddable: { deal, campaigns: [campaign] }, versions: { deal: 4, campaigns: { 'c-1': 7 } } }),
    };
    const { catalog } = catalogOver(staleRead);
    catalog.applyDeals([await staleRead.loadBiddableDeal('d-1')]);
    await catalog.refresh(); // settles pushes made before it; the read is still older
    // Act
    await catalog.refresh();
    // Assess
    expect(catalog.snapshot.lineItems[0]!.maxBidMicros).toBe(9_000_000);
  });
});

describe('isOlderRead', () => {
  it('compares only what both saw', () => {
    expect(isOlderRead({ deal: 2, campaigns: { a: 1 } }, { deal: 3, campaigns: {} })).toBe(true);
    expect(isOlderRead({ deal: 3, campaigns: { a: 1 } }, { deal: 3, campaigns: { a: 2 } })).toBe(true);
    expect(isOlderRead({ deal: 3, campaigns: { a: 2, b: 1 } }, { deal: 3, campaigns: { a: 2 } })).toBe(false);
    expect(isOlderRead({ campaigns: {} }, { deal: 3, campaigns: { a: 2 } })).toBe(false);
  });
});
