import { describe, expect, it } from 'vitest';
import { campaignsAllowedByAccount, lineItemsFromDeal } from '../../../shared/bidding/line-items-from-deals.js';
import type { CampaignCreative } from '../../../shared/domain/campaign/campaign.js';
import { aCampaign, aDealIn } from '../domain/fixtures.js';

const creative: CampaignCreative = { id: 'cr1', format: 'banner', w: 300, h: 250, adm: '<img>', adomain: ['a.example'], cat: [] };
const today = '2026-03-10';
const deal = aDealIn('active');
const active = (id: string, fields: { seat?: string; pmpDealIds?: string[] } = {}) => aCampaign(deal, { id, status: 'active', creatives: [creative], ...fields });

/** The line items the bidder builds from what the account's settings let through. */
function lineItemIds(campaigns: ReturnType<typeof active>[], settings?: { allowedSeats: string[]; allowedPmpDealIds: string[] }) {
  return lineItemsFromDeal(deal, campaignsAllowedByAccount(campaigns, settings), today, { seat: 'house' }).lineItems.map((li) => [li.id, li.seat, li.pmpDealId]);
}

describe('line items under the account bidding settings', () => {
  it('drops the line items of a seat or PMP deal id the settings no longer allow, keeps the rest', () => {
    // Prepare: settings narrowed after the campaigns were accepted (seat-b and pmp-2 removed)
    const settings = { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-1', 'pmp-3'] };
    const campaigns = [
      active('c-house'),
      active('c-seat-a', { seat: 'seat-a' }),
      active('c-seat-b', { seat: 'seat-b' }),
      active('c-pmp', { pmpDealIds: ['pmp-1', 'pmp-2', 'pmp-3'] }),
    ];
    // Act
    const ids = lineItemIds(campaigns, settings);
    // Assess
    expect(ids).toEqual([
      ['c-house', 'house', undefined],
      ['c-seat-a', 'seat-a', undefined],
      ['c-pmp', 'house', 'pmp-1'],
      ['c-pmp~pmp-3', 'house', 'pmp-3'],
    ]);
  });

  it('never turns a PMP campaign whose deal ids were all removed into an open-auction bidder', () => {
    // Act
    const ids = lineItemIds([active('c-pmp', { pmpDealIds: ['pmp-2'] })], { allowedSeats: [], allowedPmpDealIds: ['pmp-1'] });
    // Assess
    expect(ids).toEqual([]);
  });

  it('lets an account without settings bid only under the house seat in the open auction', () => {
    // Act
    const ids = lineItemIds([active('c-house'), active('c-seat', { seat: 'seat-a' }), active('c-pmp', { pmpDealIds: ['pmp-1'] })]);
    // Assess
    expect(ids).toEqual([['c-house', 'house', undefined]]);
  });

  it('leaves allowed campaigns as they are (same objects)', () => {
    // Prepare
    const campaign = active('c-pmp', { seat: 'seat-a', pmpDealIds: ['pmp-1'] });
    // Act
    const [kept] = campaignsAllowedByAccount([campaign], { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-1'] });
    // Assess
    expect(kept).toBe(campaign);
  });
});
