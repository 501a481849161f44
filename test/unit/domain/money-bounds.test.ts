import { describe, expect, it } from 'vitest';
import { moneyToMicros } from '../../../shared/bidding/line-item.js';
import { minorToNanos } from '../../../shared/budget/units.js';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import { createDeal } from '../../../shared/domain/deal/create.js';
import { MINOR_DIGITS, MONEY_MAXIMA, minorDigitsOf } from '../../../shared/domain/money.js';
import { aCampaignInput, aContext, aDeal, aDealInput, issuesOf } from './fixtures.js';

const CURRENCIES = ['USD', 'EUR', ...Object.keys(MINOR_DIGITS)];


describe('money maxima: derived from the conversions the bidder makes', () => {
  it.each(CURRENCIES)('%s: the largest daily budget converts to nanos exactly, one more does not', (currency) => {
    // Prepare
    const max = MONEY_MAXIMA.dailyBudget(currency);
    // Act / Assess: minorToNanos (shared/budget/units.ts) throws past 2^53
    expect(Number.isSafeInteger(minorToNanos(max, minorDigitsOf(currency)))).toBe(true);
    expect(() => minorToNanos(max + 1, minorDigitsOf(currency))).toThrow(RangeError);
  });

  it.each(CURRENCIES)('%s: the largest max bid converts to CPM micros exactly, one more does not', (currency) => {
    // Prepare
    const max = MONEY_MAXIMA.maxBid(currency);
    // Act / Assess
    expect(Number.isSafeInteger(moneyToMicros({ amountMinor: max, currency }))).toBe(true);
    expect(Number.isSafeInteger(moneyToMicros({ amountMinor: max + 1, currency }))).toBe(false);
  });

  it('budgets and deal values: two of the largest still add up exactly', () => {
    for (const field of ['budget', 'totalValue'] as const) {
      const max = MONEY_MAXIMA[field]('JPY');
      expect(Number.isSafeInteger(max + max), field).toBe(true);
      expect(Number.isSafeInteger((max + 1) * 2), field).toBe(false);
    }
  });

  it('knows the zero-decimal currencies: 9007199 JPY but 900719925 USD a day', () => {
    expect(MONEY_MAXIMA.dailyBudget('JPY')).toBe(9_007_199);
    expect(MONEY_MAXIMA.dailyBudget('USD')).toBe(900_719_925);
    expect(MONEY_MAXIMA.maxBid('JPY')).toBe(9_007_199_254);
  });
});

describe('money maxima: enforced on campaigns and deals', () => {
  const jpyDeal = () => aDeal({ totalValue: { amountMinor: 4_000_000_000, currency: 'JPY' } });
  const jpy = (amountMinor: number) => ({ amountMinor, currency: 'JPY' });

  it('refuses a JPY daily budget of 10,000,000, naming the field and the maximum for JPY', () => {
    // Prepare
    const input = aCampaignInput({ budget: jpy(3_000_000_000), dailyBudget: jpy(10_000_000), maxBid: jpy(500) });
    // Act
    const issues = issuesOf(() => createCampaign(jpyDeal(), [], input, aContext(), { campaignId: 'camp-1' }));
    // Assess
    expect(issues).toEqual([{ path: 'dailyBudget.amountMinor', message: 'must be at most 9007199 for JPY' }]);
  });

  it('accepts exactly the maximum daily budget and max bid', () => {
    // Prepare
    const input = aCampaignInput({ budget: jpy(3_000_000_000), dailyBudget: jpy(9_007_199), maxBid: jpy(9_007_199_254) });
    // Act
    const campaign = createCampaign(jpyDeal(), [], input, aContext(), { campaignId: 'camp-1' });
    // Assess
    expect(campaign.dailyBudget).toEqual(jpy(9_007_199));
  });

  it('refuses a max bid whose CPM micros would not be exact', () => {
    // Prepare
    const input = aCampaignInput({ budget: jpy(3_000_000_000), dailyBudget: jpy(1_000), maxBid: jpy(9_007_199_255) });
    // Act
    const issues = issuesOf(() => createCampaign(jpyDeal(), [], input, aContext(), { campaignId: 'camp-1' }));
    // Assess
    expect(issues).toEqual([{ path: 'maxBid.amountMinor', message: 'must be at most 9007199254 for JPY' }]);
  });

  it('refuses a deal value two of which would not add up exactly', () => {
    // Prepare
    const max = MONEY_MAXIMA.totalValue('USD');
    // Act
    const issues = issuesOf(() => createDeal(aDealInput({ totalValue: { amountMinor: max + 1, currency: 'USD' } }), aContext(), { dealId: 'deal-1' }));
    // Assess
    expect(issues).toEqual([{ path: 'totalValue.amountMinor', message: `must be at most ${max} for USD` }]);
  });
});
