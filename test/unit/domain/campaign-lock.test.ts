import { describe, expect, it } from 'vitest';
import { amendCampaign } from '../../../shared/domain/campaign/amend.js';
import type { CampaignCreative } from '../../../shared/domain/campaign/campaign.js';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import type { DealStatus } from '../../../shared/domain/deal/deal.js';
import { ApprovedFieldsLockedError } from '../../../shared/domain/errors.js';
import { aCampaign, aCampaignInput, aContext, aDeal, aDealIn, thrownBy } from './fixtures.js';

const creative: CampaignCreative = { id: 'cr-1', format: 'banner', w: 300, h: 250, adm: '<img src="a.png">', adomain: ['brand.example'], cat: [] };
const SUBMITTED: DealStatus[] = ['pending_approval', 'approved', 'rejected', 'active', 'paused'];

/** A campaign with bidder fields, created while its deal was a draft, under the deal now in `status`. */
function campaignUnder(status: DealStatus) {
  const campaign = aCampaign(aDeal(), {}, { creatives: [creative], pmpDealIds: ['pmp-1'], seat: 'seat-1' });
  return { deal: aDealIn(status), campaign };
}

describe('bidder-facing fields are locked once the deal is submitted', () => {
  it.each(SUBMITTED)('refuses changing creatives, pmpDealIds or seat under a %s deal, naming the fields and the status', (status) => {
    // Prepare
    const { deal, campaign } = campaignUnder(status);
    const patch = { creatives: [{ ...creative, adm: '<img src="b.png">' }], seat: null };
    // Act
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, patch, aContext()));
    // Assess
    expect(error).toBeInstanceOf(ApprovedFieldsLockedError);
    expect(error).toMatchObject({ code: 'field_locked', fields: ['creatives', 'seat'], dealStatus: status });
    expect((error as Error).message).toContain(`while its deal is ${status}`);
    expect((error as Error).message).toContain('new approval round');
  });

  it('locks a single advertiser domain of one creative, and the PMP deal ids', () => {
    // Prepare
    const { deal, campaign } = campaignUnder('approved');
    // Act
    const domain = thrownBy(() => amendCampaign(deal, [campaign], campaign, { creatives: [{ ...creative, adomain: ['other.example'] }] }, aContext()));
    const pmp = thrownBy(() => amendCampaign(deal, [campaign], campaign, { pmpDealIds: ['pmp-1', 'pmp-2'] }, aContext()));
    // Assess
    expect(domain).toMatchObject({ fields: ['creatives'] });
    expect(pmp).toMatchObject({ fields: ['pmpDealIds'] });
  });

  it('still amends budget, pacing, status and the other fields, and accepts the bidder fields sent back unchanged', () => {
    // Prepare
    const { deal, campaign } = campaignUnder('active');
    const patch = {
      budget: { amountMinor: 300_000, currency: 'USD' },
      schedule: { ...campaign.schedule, pacing: 'asap' as const },
      status: 'active' as const,
      name: 'Renamed',
      creatives: campaign.creatives!,
      seat: 'seat-1',
    };
    // Act
    const { next } = amendCampaign(deal, [campaign], campaign, patch, aContext());
    // Assess
    expect(next).toMatchObject({ budget: { amountMinor: 300_000 }, schedule: { pacing: 'asap' }, status: 'active', name: 'Renamed', seat: 'seat-1' });
  });

  it('lets a draft deal change them', () => {
    // Prepare
    const { deal, campaign } = campaignUnder('draft');
    // Act
    const { next } = amendCampaign(deal, [campaign], campaign, { seat: 'seat-2', pmpDealIds: null }, aContext());
    // Assess
    expect(next.seat).toBe('seat-2');
    expect(next.pmpDealIds).toBeUndefined();
  });

  it('refuses a new campaign with bidder-facing fields under a submitted deal, and accepts one without', () => {
    // Prepare
    const deal = aDealIn('pending_approval');
    // Act
    const error = thrownBy(() => createCampaign(deal, [], aCampaignInput({ seat: 'seat-1', creatives: [creative] }), aContext(), { campaignId: 'c' }));
    const plain = createCampaign(deal, [], aCampaignInput(), aContext(), { campaignId: 'c' });
    // Assess
    expect(error).toBeInstanceOf(ApprovedFieldsLockedError);
    expect(error).toMatchObject({ fields: ['creatives', 'seat'], dealStatus: 'pending_approval' });
    expect(plain.status).toBe('draft');
  });
});
