import { describe, expect, it } from 'vitest';
import { amendCampaign } from '../../../shared/domain/campaign/amend.js';
import { BudgetExceededError, FieldLockedError, IllegalTransitionError, ValidationError } from '../../../shared/domain/errors.js';
import { T1, aCampaign, aContext, aDeal, aDealIn, anActor, thrownBy } from './fixtures.js';

const later = aContext({ at: T1, actor: anActor({ userId: 'user-cm', groups: ['campaign_manager'] }) });
const deal = aDeal();

describe('amendCampaign', () => {
  it('applies the patch, bumps the version and records dotted changes', () => {
    // Prepare
    const campaign = aCampaign(deal, { version: 3 });
    // Act
    const { next, changes } = amendCampaign(deal, [campaign], campaign, {
      name: 'Renamed',
      schedule: { ...campaign.schedule, endDate: '2026-04-30' },
    }, later);
    // Assess
    expect(next).toMatchObject({ id: campaign.id, name: 'Renamed', version: 4, updatedAt: T1, updatedBy: 'user-cm' });
    expect(next.createdAt).toBe(campaign.createdAt);
    expect(changes).toEqual([
      { field: 'name', old: 'Homepage takeover', new: 'Renamed' },
      { field: 'schedule.endDate', old: '2026-03-31', new: '2026-04-30' },
    ]);
  });

  it("leaves the campaign's own budget out of the deal total check", () => {
    // Prepare: this campaign holds 400,000; raising it to 1,000,000 uses exactly the deal total
    const campaign = aCampaign(deal);
    // Act
    const { next } = amendCampaign(deal, [campaign], campaign, { budget: { amountMinor: 1_000_000, currency: 'USD' } }, later);
    // Assess
    expect(next.budget.amountMinor).toBe(1_000_000);
  });

  it('refuses a budget increase that pushes the campaigns over the deal total with BudgetExceededError (409)', () => {
    // Prepare: 400,000 + 400,000 of 1,000,000 allocated; raising c1 by 200,001 needs more than the 200,000 left
    const campaign = aCampaign(deal, { id: 'c1' });
    const sibling = aCampaign(deal, { id: 'c2' });
    // Act
    const error = thrownBy(() =>
      amendCampaign(deal, [campaign, sibling], campaign, { budget: { amountMinor: 600_001, currency: 'USD' } }, later),
    );
    // Assess
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({
      totalValue: { amountMinor: 1_000_000, currency: 'USD' },
      allocated: { amountMinor: 800_000, currency: 'USD' },
      available: { amountMinor: 200_000, currency: 'USD' },
      required: { amountMinor: 200_001, currency: 'USD' },
    });
  });

  it('always lets a budget go down, even where the campaigns hold more than the deal total (older data)', () => {
    // Prepare: 700,000 + 400,000 of 1,000,000
    const campaign = aCampaign(deal, { id: 'c1' }, { budget: { amountMinor: 700_000, currency: 'USD' } });
    const sibling = aCampaign(deal, { id: 'c2' });
    // Act
    const { next } = amendCampaign(deal, [campaign, sibling], campaign, { budget: { amountMinor: 650_000, currency: 'USD' } }, later);
    // Assess
    expect(next.budget.amountMinor).toBe(650_000);
  });

  it('re-checks the merged campaign: lowering the budget below the daily budget is refused', () => {
    const campaign = aCampaign(deal);
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { budget: { amountMinor: 10_000, currency: 'USD' } }, later));
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['dailyBudget.amountMinor']);
  });

  it('moves status along the campaign table', () => {
    const campaign = aCampaign(deal);
    const { next, changes } = amendCampaign(deal, [campaign], campaign, { status: 'active' }, later);
    expect(next.status).toBe('active');
    expect(changes).toEqual([{ field: 'status', old: 'draft', new: 'active' }]);
  });

  it('refuses a status move outside the table with a 409 on the campaign', () => {
    const campaign = aCampaign(deal);
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { status: 'paused' }, later));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ entity: 'campaign', currentStatus: 'draft' });
    expect((error as Error).message).toBe('cannot pause a campaign in status draft');
  });

  it.each(['completed', 'archived'] as const)('refuses field changes on a %s campaign', (status) => {
    const campaign = aCampaign(deal, { status });
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { name: 'Late' }, later));
    expect(error).toBeInstanceOf(FieldLockedError);
    expect(error).toMatchObject({ currentStatus: status, fields: ['name'] });
  });

  it('archives a completed campaign', () => {
    const campaign = aCampaign(deal, { status: 'completed' });
    expect(amendCampaign(deal, [campaign], campaign, { status: 'archived' }, later).next.status).toBe('archived');
  });

  it.each(['completed', 'cancelled'] as const)('refuses any change under a %s deal', (status) => {
    const closed = aDealIn(status);
    const campaign = aCampaign(deal);
    const error = thrownBy(() => amendCampaign(closed, [campaign], campaign, { name: 'X' }, later));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ entity: 'deal', currentStatus: status });
  });

  it('removes the frequency cap with null and adds one with an object', () => {
    const capped = aCampaign(deal, {}, { frequencyCap: { impressions: 2, periodHours: 12 } });
    const removed = amendCampaign(deal, [capped], capped, { frequencyCap: null }, later);
    expect(removed.next).not.toHaveProperty('frequencyCap');
    expect(removed.changes).toEqual([{ field: 'frequencyCap', old: { impressions: 2, periodHours: 12 }, new: null }]);
    const added = amendCampaign(deal, [removed.next], removed.next, { frequencyCap: { impressions: 5, periodHours: 24 } }, later);
    expect(added.next.frequencyCap).toEqual({ impressions: 5, periodHours: 24 });
  });

  it('refuses a patch that changes nothing', () => {
    const campaign = aCampaign(deal);
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { name: campaign.name, status: 'draft' }, later));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('patch changes nothing');
  });
});

describe('amendCampaign: bidder fields (creatives, pmpDealIds, seat)', () => {
  const banner = { id: 'cr-1', format: 'banner' as const, w: 300, h: 250, adm: '<img src="a.png">', adomain: ['brand.example'], cat: ['IAB3'] };

  it('replaces the creatives, bumps the version and records old and new creatives', () => {
    // Prepare
    const campaign = aCampaign(deal, { version: 2 }, { creatives: [banner] });
    const replacement = [{ ...banner, adm: '<img src="b.png">' }, { ...banner, id: 'cr-2' }];
    // Act
    const { next, changes } = amendCampaign(deal, [campaign], campaign, { creatives: replacement }, later);
    // Assess
    expect(next).toMatchObject({ version: 3, creatives: replacement, updatedBy: 'user-cm' });
    expect(changes).toEqual([{ field: 'creatives', old: [banner], new: replacement }]);
  });

  it('sets and removes pmpDealIds and seat, auditing null for the absent side', () => {
    // Prepare
    const campaign = aCampaign(deal);
    // Act
    const set = amendCampaign(deal, [campaign], campaign, { pmpDealIds: ['pmp-1'], seat: 'seat-9', creatives: [banner] }, later);
    const removed = amendCampaign(deal, [set.next], set.next, { pmpDealIds: null, seat: null, creatives: null }, later);
    // Assess
    expect(set.changes).toEqual([
      { field: 'creatives', old: null, new: [banner] },
      { field: 'pmpDealIds', old: null, new: ['pmp-1'] },
      { field: 'seat', old: null, new: 'seat-9' },
    ]);
    expect(removed.next).not.toHaveProperty('creatives');
    expect(removed.next).not.toHaveProperty('pmpDealIds');
    expect(removed.next).not.toHaveProperty('seat');
    expect(removed.changes.map((c) => [c.field, c.new])).toEqual([
      ['creatives', null],
      ['pmpDealIds', null],
      ['seat', null],
    ]);
  });

  it('re-checks creatives against the merged creativeSpecs: dropping the banner size is refused', () => {
    const campaign = aCampaign(deal, {}, { creatives: [banner] });
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { creativeSpecs: [] }, later));
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['creatives.0.w']);
  });

  it('refuses a duplicate creative id in the patch', () => {
    const campaign = aCampaign(deal);
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { creatives: [banner, banner] }, later));
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['creatives.1.id']);
  });

  it('locks creatives on a completed campaign', () => {
    const campaign = aCampaign(deal, { status: 'completed' });
    const error = thrownBy(() => amendCampaign(deal, [campaign], campaign, { creatives: [banner] }, later));
    expect(error).toBeInstanceOf(FieldLockedError);
    expect(error).toMatchObject({ fields: ['creatives'] });
  });
});
