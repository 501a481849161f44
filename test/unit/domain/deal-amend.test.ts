import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amendDeal, type DealPatch } from '../../../shared/domain/deal/amend.js';
import { DEAL_STATUSES, DEAL_TYPES, type DealStatus } from '../../../shared/domain/deal/deal.js';
import { DEAL_FIELDS_AMENDABLE_AFTER_SUBMIT, DEAL_TERMINAL_STATUSES } from '../../../shared/domain/deal/rules.js';
import { BudgetExceededError, FieldLockedError, IllegalTransitionError, ValidationError } from '../../../shared/domain/errors.js';
import { T1, aCampaign, aContext, aDeal, aDealIn, anActor, thrownBy } from './fixtures.js';

const later = aContext({ at: T1, actor: anActor({ userId: 'user-eve' }) });

describe('amendDeal in draft and rejected', () => {
  it.each(['draft', 'rejected'] as const)('accepts every mutable field in %s', (status) => {
    // Prepare
    const deal = aDealIn(status);
    const patch: DealPatch = {
      name: 'Summer',
      type: 'preferred',
      totalValue: { amountMinor: 2_000_000, currency: 'EUR' },
      startDate: '2026-06-01',
      endDate: '2026-08-31',
      ownerId: 'user-zed',
    };
    // Act
    const { next, changes } = amendDeal(deal, patch, later);
    // Assess
    expect(next).toMatchObject({ ...patch, status, version: deal.version + 1, updatedAt: T1, updatedBy: 'user-eve' });
    expect(next.createdAt).toBe(deal.createdAt);
    expect(next.createdBy).toBe(deal.createdBy);
    expect(changes.map((c) => c.field)).toEqual(['name', 'type', 'totalValue', 'startDate', 'endDate', 'ownerId']);
  });

  it('records old and new values of each change', () => {
    const deal = aDeal();
    const { changes } = amendDeal(deal, { name: 'Renamed' }, later);
    expect(changes).toEqual([{ field: 'name', old: 'Spring launch', new: 'Renamed' }]);
  });

  it('checks the merged deal: a new endDate must follow the current startDate', () => {
    const error = thrownBy(() => amendDeal(aDeal(), { endDate: '2026-02-01' }, later));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['endDate']);
  });

  it('refuses a patch that changes nothing (no empty versions in history)', () => {
    // Prepare
    const deal = aDeal();
    // Act
    const error = thrownBy(() => amendDeal(deal, { name: `  ${deal.name} `, type: deal.type }, later));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain('patch changes nothing');
  });

  it('ignores explicitly undefined fields instead of erasing them', () => {
    const { next } = amendDeal(aDeal(), { name: 'X', ownerId: undefined }, later);
    expect(next.ownerId).toBe('user-ana');
  });
});

describe('amendDeal after submission', () => {
  const lockedStatuses: DealStatus[] = ['pending_approval', 'approved', 'active', 'paused'];

  it.each(lockedStatuses)('accepts name and ownerId in %s', (status) => {
    const { next } = amendDeal(aDealIn(status), { name: 'New name', ownerId: 'user-zed' }, later);
    expect(next).toMatchObject({ name: 'New name', ownerId: 'user-zed', status });
  });

  it.each(lockedStatuses)('refuses commercial terms in %s with a 409 naming status and fields', (status) => {
    // Act
    const error = thrownBy(() =>
      amendDeal(aDealIn(status), { totalValue: { amountMinor: 5, currency: 'USD' }, endDate: '2026-12-31' }, later),
    );
    // Assess
    expect(error).toBeInstanceOf(FieldLockedError);
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect((error as FieldLockedError).currentStatus).toBe(status);
    expect((error as FieldLockedError).fields).toEqual(['totalValue', 'endDate']);
    expect((error as Error).message).toContain(status);
  });

  it('lets a client send back locked fields unchanged', () => {
    const deal = aDealIn('approved');
    const { changes } = amendDeal(deal, { name: 'Renamed', totalValue: { ...deal.totalValue }, type: deal.type }, later);
    expect(changes.map((c) => c.field)).toEqual(['name']);
  });
});

describe('amendDeal in terminal statuses', () => {
  it.each(DEAL_TERMINAL_STATUSES)('refuses any amendment in %s', (status) => {
    const error = thrownBy(() => amendDeal(aDealIn(status), { name: 'Late rename' }, later));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ entity: 'deal', currentStatus: status, action: 'amend' });
    expect((error as Error).message).toBe(`cannot amend a deal in status ${status}`);
  });
});

describe('amendDeal with campaigns', () => {
  it('refuses a total below what campaigns already budget with BudgetExceededError (409)', () => {
    // Prepare: 1,000,000 with 600,000 allocated; a cut to 500,000 needs 500,000 unallocated
    const deal = aDeal();
    const campaigns = [aCampaign(deal, {}, { budget: { amountMinor: 600_000, currency: 'USD' } })];
    // Act
    const error = thrownBy(() => amendDeal(deal, { totalValue: { amountMinor: 500_000, currency: 'USD' } }, later, { campaigns }));
    // Assess
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({
      totalValue: { amountMinor: 1_000_000 },
      allocated: { amountMinor: 600_000 },
      available: { amountMinor: 400_000 },
      required: { amountMinor: 500_000 },
    });
  });

  it('refuses a currency change and dates that would strand a campaign flight', () => {
    const deal = aDeal();
    const campaigns = [aCampaign(deal)];
    const currency = thrownBy(() => amendDeal(deal, { totalValue: { amountMinor: 1_000_000, currency: 'EUR' } }, later, { campaigns }));
    const dates = thrownBy(() => amendDeal(deal, { startDate: '2026-03-15', endDate: '2026-03-20' }, later, { campaigns }));
    expect((currency as ValidationError).issues.map((i) => i.path)).toEqual(['totalValue.currency']);
    expect((dates as ValidationError).issues.map((i) => i.path)).toEqual(['startDate', 'endDate']);
  });

  it('accepts terms that still cover the campaigns', () => {
    const deal = aDeal();
    const { next } = amendDeal(deal, { totalValue: { amountMinor: 400_000, currency: 'USD' } }, later, { campaigns: [aCampaign(deal)] });
    expect(next.totalValue.amountMinor).toBe(400_000);
  });
});

describe('amendDeal properties', () => {
  const patchArb: fc.Arbitrary<DealPatch> = fc.record(
    {
      name: fc.string({ minLength: 0, maxLength: 210 }),
      type: fc.constantFrom(...DEAL_TYPES),
      totalValue: fc.record({ amountMinor: fc.integer({ min: -5, max: 5_000_000 }), currency: fc.constantFrom('USD', 'EUR', 'usd') }),
      startDate: fc.constantFrom('2026-01-01', '2026-03-01', '2026-06-01', '2026-02-30'),
      endDate: fc.constantFrom('2026-02-01', '2026-05-31', '2026-12-31'),
      ownerId: fc.constantFrom('user-ana', 'user-zed', ''),
    },
    { requiredKeys: [] },
  );

  it('never changes identity or creation, and bumps the version by exactly 1; failures are domain errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DEAL_STATUSES), fc.integer({ min: 1, max: 50 }), patchArb, (status, version, patch) => {
        // Prepare
        const deal = aDealIn(status, { version });
        // Act
        let result: ReturnType<typeof amendDeal>;
        try {
          result = amendDeal(deal, patch, later);
        } catch (error) {
          // Assess: refusals are always one of the mapped domain errors, never a crash.
          expect(error instanceof ValidationError || error instanceof IllegalTransitionError || error instanceof BudgetExceededError).toBe(true);
          return;
        }
        const { next, changes } = result;
        expect(next.id).toBe(deal.id);
        expect(next.accountId).toBe(deal.accountId);
        expect(next.createdAt).toBe(deal.createdAt);
        expect(next.createdBy).toBe(deal.createdBy);
        expect(next.status).toBe(deal.status);
        expect(next.version).toBe(version + 1);
        expect(changes.length).toBeGreaterThan(0);
        if (!['draft', 'rejected'].includes(status)) {
          expect(changes.every((c) => (DEAL_FIELDS_AMENDABLE_AFTER_SUBMIT as readonly string[]).includes(c.field))).toBe(true);
        }
      }),
    );
  });
});
