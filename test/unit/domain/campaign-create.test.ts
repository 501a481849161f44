import { describe, expect, it } from 'vitest';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import { BudgetExceededError, IllegalTransitionError, ValidationError } from '../../../shared/domain/errors.js';
import { T0, aCampaign, aCampaignInput, aContext, aDeal, aDealIn, thrownBy } from './fixtures.js';

const deal = aDeal(); // USD 1,000,000 minor, 2026-03-01..2026-05-31

function pathsOf(fn: () => unknown): string[] {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((i) => i.path);
}

describe('createCampaign', () => {
  it('creates a draft at version 1 under the deal and its account', () => {
    // Act
    const campaign = createCampaign(deal, [], aCampaignInput({ name: ' Takeover ' }), aContext(), { campaignId: 'camp-9' });
    // Assess
    expect(campaign).toMatchObject({
      id: 'camp-9',
      dealId: deal.id,
      accountId: deal.accountId,
      name: 'Takeover',
      status: 'draft',
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      createdBy: 'user-ana',
      updatedBy: 'user-ana',
    });
    expect(campaign).not.toHaveProperty('frequencyCap');
  });

  it('keeps a frequency cap when given', () => {
    const campaign = createCampaign(deal, [], aCampaignInput({ frequencyCap: { impressions: 3, periodHours: 24 } }), aContext(), {
      campaignId: 'c',
    });
    expect(campaign.frequencyCap).toEqual({ impressions: 3, periodHours: 24 });
  });

  it.each(['completed', 'cancelled'] as const)('refuses a campaign under a %s deal with a 409', (status) => {
    const error = thrownBy(() => createCampaign(aDealIn(status), [], aCampaignInput(), aContext(), { campaignId: 'c' }));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ entity: 'deal', currentStatus: status });
  });

  it.each(['draft', 'pending_approval', 'approved', 'rejected', 'active', 'paused'] as const)('accepts campaigns under a %s deal', (status) => {
    expect(createCampaign(aDealIn(status), [], aCampaignInput(), aContext(), { campaignId: 'c' }).status).toBe('draft');
  });

  it('requires every money field in the deal currency', () => {
    const input = aCampaignInput({
      budget: { amountMinor: 1000, currency: 'EUR' },
      dailyBudget: { amountMinor: 100, currency: 'EUR' },
      maxBid: { amountMinor: 5, currency: 'GBP' },
    });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }))).toEqual([
      'budget.currency',
      'dailyBudget.currency',
      'maxBid.currency',
    ]);
  });

  it('refuses a daily budget above the budget', () => {
    const input = aCampaignInput({ budget: { amountMinor: 1000, currency: 'USD' }, dailyBudget: { amountMinor: 1001, currency: 'USD' } });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }))).toEqual(['dailyBudget.amountMinor']);
  });

  it('accepts a daily budget equal to the budget', () => {
    const input = aCampaignInput({ budget: { amountMinor: 1000, currency: 'USD' }, dailyBudget: { amountMinor: 1000, currency: 'USD' } });
    expect(createCampaign(deal, [], input, aContext(), { campaignId: 'c' }).dailyBudget.amountMinor).toBe(1000);
  });

  it('refuses a zero max bid', () => {
    const input = aCampaignInput({ maxBid: { amountMinor: 0, currency: 'USD' } });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }))).toEqual(['maxBid.amountMinor']);
  });

  it.each([
    ['starts before the deal', { startDate: '2026-02-28', endDate: '2026-03-10' }, ['schedule.startDate']],
    ['ends after the deal', { startDate: '2026-05-01', endDate: '2026-06-01' }, ['schedule.endDate']],
    ['ends before it starts', { startDate: '2026-04-10', endDate: '2026-04-09' }, ['schedule.endDate']],
  ] as const)('refuses a flight that %s', (_case, dates, paths) => {
    const input = aCampaignInput({ schedule: { ...dates, pacing: 'even' } });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }))).toEqual(paths);
  });

  it("accepts a one-day flight on the deal's first and last days", () => {
    const first = aCampaignInput({ schedule: { startDate: '2026-03-01', endDate: '2026-03-01', pacing: 'asap' } });
    const last = aCampaignInput({ schedule: { startDate: '2026-05-31', endDate: '2026-05-31', pacing: 'asap' } });
    expect(() => createCampaign(deal, [], first, aContext(), { campaignId: 'a' })).not.toThrow();
    expect(() => createCampaign(deal, [], last, aContext(), { campaignId: 'b' })).not.toThrow();
  });

  it("refuses budgets that together exceed the deal's total value with BudgetExceededError, and accepts exactly the total", () => {
    // Prepare: 400,000 + 400,000 already committed out of 1,000,000
    const existing = [aCampaign(deal, { id: 'c1' }), aCampaign(deal, { id: 'c2' })];
    const tooMuch = aCampaignInput({ budget: { amountMinor: 200_001, currency: 'USD' } });
    const exact = aCampaignInput({ budget: { amountMinor: 200_000, currency: 'USD' } });
    // Act
    const error = thrownBy(() => createCampaign(deal, existing, tooMuch, aContext(), { campaignId: 'c3' }));
    // Assess
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ dealId: deal.id, available: { amountMinor: 200_000 }, required: { amountMinor: 200_001 } });
    expect((error as Error).message).toContain('1000000 USD');
    expect(createCampaign(deal, existing, exact, aContext(), { campaignId: 'c3' }).budget.amountMinor).toBe(200_000);
  });

  it("answers 400 for a budget above the deal's total value on its own, whatever the other campaigns hold", () => {
    const tooBig = aCampaignInput({ budget: { amountMinor: 1_000_001, currency: 'USD' } });
    expect(pathsOf(() => createCampaign(deal, [], tooBig, aContext(), { campaignId: 'c' }))).toEqual(['budget.amountMinor']);
  });

  it('checks shapes the wire schema may not: counts, countries, creative sizes, video-only duration', () => {
    const input = aCampaignInput({
      name: '',
      frequencyCap: { impressions: 0, periodHours: 1.5 },
      targeting: { audienceSegments: [], geo: { countries: ['US'] }, devices: [] },
      creativeSpecs: [{ format: 'banner', width: 0, height: 250, mimeTypes: [], maxDurationSeconds: 30 }],
    });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' })).sort()).toEqual(
      [
        'creativeSpecs.0.maxDurationSeconds',
        'creativeSpecs.0.width',
        'frequencyCap.impressions',
        'frequencyCap.periodHours',
        'name',
        'targeting.geo.countries.0',
      ].sort(),
    );
  });
});

describe('createCampaign: bidder fields (creatives, pmpDealIds, seat)', () => {
  const banner = { id: 'cr-1', format: 'banner' as const, w: 300, h: 250, adm: '<a href="https://brand.example/"><img></a>', adomain: ['brand.example'], cat: ['IAB3-1'] };

  it('stores creatives, PMP deal ids and seat as copies', () => {
    // Prepare
    const input = aCampaignInput({ creatives: [{ ...banner, mimes: ['image/png'] }], pmpDealIds: ['pmp-1', 'pmp-2'], seat: 'seat-9' });
    // Act
    const campaign = createCampaign(deal, [], input, aContext(), { campaignId: 'c' });
    // Assess
    expect(campaign).toMatchObject({ creatives: [{ ...banner, mimes: ['image/png'] }], pmpDealIds: ['pmp-1', 'pmp-2'], seat: 'seat-9' });
    expect(campaign.creatives).not.toBe(input.creatives);
    expect(campaign.creatives?.[0]).not.toBe(input.creatives?.[0]);
  });

  it('leaves the fields out when not given', () => {
    const campaign = createCampaign(deal, [], aCampaignInput(), aContext(), { campaignId: 'c' });
    expect(campaign).not.toHaveProperty('creatives');
    expect(campaign).not.toHaveProperty('pmpDealIds');
    expect(campaign).not.toHaveProperty('seat');
  });

  it('refuses duplicate creative ids, naming the later one', () => {
    const input = aCampaignInput({ creatives: [banner, { ...banner }] });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }))).toEqual(['creatives.1.id']);
  });

  it('refuses a banner whose size matches no banner creativeSpec, but does not size-match video', () => {
    // Prepare: the fixture declares one banner spec, 300x250
    const input = aCampaignInput({
      creatives: [
        { ...banner, id: 'leader', w: 728, h: 90 },
        { ...banner, id: 'vid', format: 'video', w: 640, h: 360, mimes: ['video/mp4'] },
      ],
    });
    // Act
    const error = thrownBy(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' })) as ValidationError;
    // Assess
    expect(error.issues).toEqual([{ path: 'creatives.0.w', message: expect.stringContaining('declared: 300x250') }]);
  });

  it('refuses a banner when the campaign declares no banner creativeSpec', () => {
    const input = aCampaignInput({ creativeSpecs: [], creatives: [banner] });
    expect(pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }))).toEqual(['creatives.0.w']);
  });

  it('checks each creative field and names its path', () => {
    // Prepare
    const input = aCampaignInput({
      creatives: [
        {
          id: 'bad id',
          format: 'banner',
          w: 0,
          h: 250.5,
          adm: '   ',
          adomain: ['https://brand.example/x'],
          cat: ['IAB27', 'iab1', 'IAB3-1'],
          bundle: 'com example',
          mimes: ['png'],
        },
        { ...banner, id: 'cr-2', adomain: [] },
      ],
      pmpDealIds: ['pmp-1', 'pmp-1', 'a~b'],
      seat: 'seat 9',
    });
    // Act
    const paths = pathsOf(() => createCampaign(deal, [], input, aContext(), { campaignId: 'c' }));
    // Assess
    expect(paths).toEqual([
      'creatives.0.id',
      'creatives.0.w',
      'creatives.0.h',
      'creatives.0.adm',
      'creatives.0.adomain.0',
      'creatives.0.cat.0',
      'creatives.0.cat.1',
      'creatives.0.bundle',
      'creatives.0.mimes.0',
      'creatives.1.adomain',
      'pmpDealIds.1',
      'pmpDealIds.2',
      'seat',
    ]);
  });

  it('bounds adm per creative and in total, in UTF-8 bytes', () => {
    // Prepare: 11,000 three-byte characters = 33,000 bytes (> 32 KiB) while only 11,000 characters
    const wide = '€'.repeat(11_000);
    const big = 'x'.repeat(30_000);
    const oneTooBig = aCampaignInput({ creatives: [{ ...banner, adm: wide }] });
    const fiveBig = aCampaignInput({ creatives: [1, 2, 3, 4, 5].map((n) => ({ ...banner, id: `cr-${n}`, adm: big })) });
    // Act
    const single = pathsOf(() => createCampaign(deal, [], oneTooBig, aContext(), { campaignId: 'c' }));
    const total = pathsOf(() => createCampaign(deal, [], fiveBig, aContext(), { campaignId: 'c' }));
    // Assess
    expect(single).toEqual(['creatives.0.adm']);
    expect(total).toEqual(['creatives']);
  });
});
