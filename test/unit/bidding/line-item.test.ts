import { describe, expect, it } from 'vitest';
import { lineItemsFromCampaign, minorDigitsOf, moneyToMicros, type LineItemExtras } from '../../../shared/bidding/line-item.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import { aBanner } from './fixtures.js';

const stamp = { version: 1, createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-01T00:00:00.000Z', createdBy: 'u', updatedBy: 'u' };

function aDeal(overrides: Partial<Deal> = {}): Deal {
  return {
    id: 'deal-1', accountId: 'acct-1', name: 'Q4', type: 'programmatic', totalValue: { amountMinor: 10_000_000, currency: 'USD' },
    startDate: '2026-11-01', endDate: '2026-12-31', ownerId: 'u', status: 'active', ...stamp, ...overrides,
  };
}

function aCampaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    id: 'camp-1', dealId: 'deal-1', accountId: 'acct-1', name: 'Shoes', type: 'display',
    budget: { amountMinor: 1_000_000, currency: 'USD' }, dailyBudget: { amountMinor: 50_000, currency: 'USD' },
    targeting: { audienceSegments: [], geo: { countries: ['USA'] }, devices: ['mobile'] },
    schedule: { startDate: '2026-11-10', endDate: '2026-11-30', pacing: 'asap' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
    frequencyCap: { impressions: 3, periodHours: 24 }, bidStrategy: 'max_cpm', maxBid: { amountMinor: 250, currency: 'USD' },
    status: 'active', ...stamp, ...overrides,
  };
}

const extras: LineItemExtras = { seat: 'dealdesk', creatives: [aBanner()], pmpDealId: 'PMP-1' };

describe('lineItemsFromCampaign', () => {
  it('maps an active campaign of an active deal, maxBid in micros', () => {
    // Act
    const items = lineItemsFromCampaign(aDeal(), aCampaign(), extras, '2026-11-22');

    // Assess
    expect(items).toEqual([
      {
        id: 'camp-1', campaignId: 'camp-1', dealId: 'deal-1', accountId: 'acct-1', seat: 'dealdesk', currency: 'USD', maxBidMicros: 2_500_000,
        creatives: extras.creatives, targeting: { countries: ['USA'], devices: ['mobile'] }, pacing: 'asap', pmpDealId: 'PMP-1',
        frequencyCap: { impressions: 3, periodHours: 24 },
      },
    ]);
  });

  it.each([
    ['the deal is not approved or active', aDeal({ status: 'pending_approval' }), aCampaign(), '2026-11-22'],
    ['the deal is paused', aDeal({ status: 'paused' }), aCampaign(), '2026-11-22'],
    ['the campaign is paused', aDeal(), aCampaign({ status: 'paused' }), '2026-11-22'],
    ['the campaign belongs to another deal', aDeal(), aCampaign({ dealId: 'other' }), '2026-11-22'],
    ['before the flight', aDeal(), aCampaign(), '2026-11-09'],
    ['after the flight', aDeal(), aCampaign(), '2026-12-01'],
  ])('none when %s', (_name, deal, campaign, today) => {
    expect(lineItemsFromCampaign(deal, campaign, extras, today)).toEqual([]);
  });

  it('an approved deal bids; no creatives, no line item', () => {
    expect(lineItemsFromCampaign(aDeal({ status: 'approved' }), aCampaign(), extras, '2026-11-10')).toHaveLength(1);
    expect(lineItemsFromCampaign(aDeal(), aCampaign(), { seat: 's', creatives: [] }, '2026-11-22')).toEqual([]);
  });

  it('converts minor units by the currency exponent', () => {
    expect(minorDigitsOf('USD')).toBe(2);
    expect(moneyToMicros({ amountMinor: 250, currency: 'USD' })).toBe(2_500_000);
    expect(moneyToMicros({ amountMinor: 300, currency: 'JPY' })).toBe(300_000_000);
    expect(moneyToMicros({ amountMinor: 1_500, currency: 'KWD' })).toBe(1_500_000);
  });
});
