import { describe, expect, it } from 'vitest';
import { lineItemsFromDeal } from '../../../shared/bidding/line-items-from-deals.js';
import type { CampaignCreative } from '../../../shared/domain/campaign/campaign.js';
import { aCampaign, aDealIn } from '../domain/fixtures.js';

const creative: CampaignCreative = { id: 'cr1', format: 'banner', w: 300, h: 250, adm: '<img>', adomain: ['a.example'], cat: ['IAB1'] };
const today = '2026-03-10';

describe('lineItemsFromDeal', () => {
  it('maps an active campaign of an approved deal, with creatives, to one open-auction line item', () => {
    const deal = aDealIn('approved');
    const campaign = aCampaign(deal, { status: 'active', creatives: [creative] });
    const { lineItems, budgets } = lineItemsFromDeal(deal, [campaign], today, { seat: 'seat-1' });
    expect(lineItems).toHaveLength(1);
    expect(lineItems[0]).toMatchObject({ id: campaign.id, campaignId: campaign.id, seat: 'seat-1', maxBidMicros: 4_500_000, creatives: [creative] });
    expect(lineItems[0]!.pmpDealId).toBeUndefined();
    expect(budgets).toEqual([expect.objectContaining({ campaignId: campaign.id, dailyBudgetMinor: 20_000, currency: 'USD', pacing: 'even' })]);
  });

  it('one line item per PMP deal id, all spending the campaign’s budget; the campaign seat wins over the default', () => {
    const deal = aDealIn('active');
    const campaign = aCampaign(deal, { status: 'active', creatives: [creative], pmpDealIds: ['pmp-1', 'pmp-2'], seat: 'own-seat' });
    const { lineItems, budgets } = lineItemsFromDeal(deal, [campaign], today, { seat: 'seat-1' });
    expect(lineItems.map((li) => [li.id, li.pmpDealId, li.campaignId, li.seat])).toEqual([
      [campaign.id, 'pmp-1', campaign.id, 'own-seat'],
      [`${campaign.id}~pmp-2`, 'pmp-2', campaign.id, 'own-seat'],
    ]);
    expect(budgets).toHaveLength(1);
  });

  it('skips campaigns without creatives, inactive ones, ones out of their dates, and deals not approved/active', () => {
    const deal = aDealIn('approved');
    expect(lineItemsFromDeal(deal, [aCampaign(deal, { status: 'active' })], today, { seat: 's' }).lineItems).toEqual([]);
    expect(lineItemsFromDeal(deal, [aCampaign(deal, { status: 'paused', creatives: [creative] })], today, { seat: 's' }).lineItems).toEqual([]);
    expect(lineItemsFromDeal(deal, [aCampaign(deal, { status: 'active', creatives: [creative] })], '2026-05-01', { seat: 's' }).lineItems).toEqual([]);
    const draft = aDealIn('pending_approval');
    expect(lineItemsFromDeal(draft, [aCampaign(draft, { status: 'active', creatives: [creative] })], today, { seat: 's' }).budgets).toEqual([]);
  });
});
