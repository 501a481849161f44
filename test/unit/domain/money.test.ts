import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import { isAmountMinor, isAtMost, isCurrency, isMoney, moneyEquals, sumMoney } from '../../../shared/domain/money.js';
import { thrownBy } from './fixtures.js';

describe('currency codes', () => {
  it('accepts three upper-case letters and nothing else', () => {
    // Prepare
    const good = ['USD', 'EUR', 'JPY'];
    const bad = ['usd', 'US', 'USDD', 'U$D', '', 42, null];
    // Act / Assess
    expect(good.every(isCurrency)).toBe(true);
    expect(bad.some((value) => isCurrency(value))).toBe(false);
  });
});

describe('amounts', () => {
  it('are non-negative safe integers', () => {
    expect(isAmountMinor(0)).toBe(true);
    expect(isAmountMinor(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isAmountMinor(-1)).toBe(false);
    expect(isAmountMinor(1.5)).toBe(false);
    expect(isAmountMinor(Number.MAX_SAFE_INTEGER + 1)).toBe(false);
    expect(isAmountMinor('100')).toBe(false);
  });

  it('recognises money values and compares them exactly', () => {
    expect(isMoney({ amountMinor: 5, currency: 'USD' })).toBe(true);
    expect(isMoney({ amountMinor: 5 })).toBe(false);
    expect(moneyEquals({ amountMinor: 5, currency: 'USD' }, { amountMinor: 5, currency: 'EUR' })).toBe(false);
    expect(isAtMost({ amountMinor: 5, currency: 'USD' }, { amountMinor: 5, currency: 'USD' })).toBe(true);
    expect(() => isAtMost({ amountMinor: 5, currency: 'USD' }, { amountMinor: 5, currency: 'EUR' })).toThrow(ValidationError);
  });
});

describe('sumMoney', () => {
  it('adds amounts of one currency', () => {
    // Prepare
    const amounts = [
      { amountMinor: 100, currency: 'USD' },
      { amountMinor: 250, currency: 'USD' },
    ];
    // Act
    const total = sumMoney(amounts, 'USD');
    // Assess
    expect(total).toEqual({ amountMinor: 350, currency: 'USD' });
  });

  it('gives zero in the requested currency for an empty list', () => {
    expect(sumMoney([], 'EUR')).toEqual({ amountMinor: 0, currency: 'EUR' });
  });

  it('refuses mixed currencies, naming the offending entry', () => {
    // Prepare
    const amounts = [
      { amountMinor: 100, currency: 'USD' },
      { amountMinor: 100, currency: 'EUR' },
    ];
    // Act
    const error = thrownBy(() => sumMoney(amounts, 'USD'));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ path: '1' });
    expect((error as ValidationError).issues[0]!.message).toContain('EUR');
  });

  it('refuses a total beyond the exact integer range instead of rounding', () => {
    const huge = { amountMinor: Number.MAX_SAFE_INTEGER, currency: 'USD' };
    expect(() => sumMoney([huge, { amountMinor: 1, currency: 'USD' }], 'USD')).toThrow(ValidationError);
  });

  it('property: either returns the exact sum or throws; never a silently wrong total', () => {
    const amount = fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 52));
    const money = fc.record({ amountMinor: amount, currency: fc.constantFrom('USD', 'EUR') });
    fc.assert(
      fc.property(fc.array(money, { maxLength: 8 }), (amounts) => {
        // Prepare
        const exact = amounts.reduce((acc, m) => acc + BigInt(m.amountMinor), 0n);
        const mixed = amounts.some((m) => m.currency !== 'USD');
        // Act
        let result: ReturnType<typeof sumMoney> | undefined;
        try {
          result = sumMoney(amounts, 'USD');
        } catch (error) {
          // Assess: a refusal is only allowed for mixed currencies or an out-of-range total.
          expect(error).toBeInstanceOf(ValidationError);
          expect(mixed || exact > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
          return;
        }
        expect(mixed).toBe(false);
        expect(BigInt(result.amountMinor)).toBe(exact);
        expect(Number.isSafeInteger(result.amountMinor)).toBe(true);
      }),
    );
  });
});
