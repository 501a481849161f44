import { describe, expect, it } from 'vitest';
import { createDeal } from '../../../shared/domain/deal/create.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { T0, aContext, aDealInput, anActor, thrownBy } from './fixtures.js';

function issuesOf(error: unknown) {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

describe('createDeal', () => {
  it('opens a draft at version 1 owned and stamped by the actor', () => {
    // Prepare
    const ctx = aContext({ actor: anActor({ userId: 'user-bo' }) });
    // Act
    const deal = createDeal(aDealInput(), ctx, { dealId: 'deal-42' });
    // Assess
    expect(deal).toEqual({
      id: 'deal-42',
      accountId: 'acct-demo',
      name: 'Spring launch',
      type: 'guaranteed',
      totalValue: { amountMinor: 1_000_000, currency: 'USD' },
      startDate: '2026-03-01',
      endDate: '2026-05-31',
      ownerId: 'user-bo',
      status: 'draft',
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      createdBy: 'user-bo',
      updatedBy: 'user-bo',
    });
  });

  it('keeps an explicit owner and stores the name trimmed', () => {
    const deal = createDeal(aDealInput({ ownerId: 'user-cy', name: '  Spring  ' }), aContext(), { dealId: 'd' });
    expect(deal.ownerId).toBe('user-cy');
    expect(deal.name).toBe('Spring');
  });

  it('does not share the caller-supplied money object', () => {
    const input = aDealInput();
    const deal = createDeal(input, aContext(), { dealId: 'd' });
    input.totalValue.amountMinor = 1;
    expect(deal.totalValue.amountMinor).toBe(1_000_000);
  });

  it.each([
    ['endDate equal to startDate', { startDate: '2026-03-01', endDate: '2026-03-01' }, 'endDate'],
    ['endDate before startDate', { startDate: '2026-03-02', endDate: '2026-03-01' }, 'endDate'],
    ['impossible date', { startDate: '2026-02-30' }, 'startDate'],
    ['zero amount', { totalValue: { amountMinor: 0, currency: 'USD' } }, 'totalValue.amountMinor'],
    ['fractional amount', { totalValue: { amountMinor: 10.5, currency: 'USD' } }, 'totalValue.amountMinor'],
    ['negative amount', { totalValue: { amountMinor: -5, currency: 'USD' } }, 'totalValue.amountMinor'],
    ['lower-case currency', { totalValue: { amountMinor: 5, currency: 'usd' } }, 'totalValue.currency'],
    ['four-letter currency', { totalValue: { amountMinor: 5, currency: 'USDX' } }, 'totalValue.currency'],
    ['blank name', { name: '   ' }, 'name'],
    ['name over 200 characters', { name: 'x'.repeat(201) }, 'name'],
    ['blank account', { accountId: ' ' }, 'accountId'],
    ['blank owner', { ownerId: '' }, 'ownerId'],
  ] as const)('refuses %s, naming %s', (_case, overrides, path) => {
    // Act
    const error = thrownBy(() => createDeal(aDealInput(overrides), aContext(), { dealId: 'd' }));
    // Assess
    expect(issuesOf(error).map((i) => i.path)).toContain(path);
  });

  it('accepts a 200-character name after trimming surrounding spaces', () => {
    const deal = createDeal(aDealInput({ name: ` ${'x'.repeat(200)} ` }), aContext(), { dealId: 'd' });
    expect(deal.name).toHaveLength(200);
  });

  it('reports every broken rule at once', () => {
    // Prepare
    const input = aDealInput({ name: '', totalValue: { amountMinor: 0, currency: 'us' }, endDate: '2026-01-01' });
    // Act
    const issues = issuesOf(thrownBy(() => createDeal(input, aContext(), { dealId: 'd' })));
    // Assess
    expect(issues.map((i) => i.path).sort()).toEqual(['endDate', 'name', 'totalValue.amountMinor', 'totalValue.currency']);
  });
});
