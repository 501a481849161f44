import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cpmToMicros,
  decimalStringToMicros,
  impressionCostMicros,
  microsToCpm,
  microsToDecimalString,
  minorToMicros,
} from '../../../shared/bidding/money.js';
import { floorInCurrency, responseCurrency, UNREACHABLE_FLOOR } from '../../../shared/bidding/floors.js';
import { aRequest } from './fixtures.js';

describe('money: CPM micros', () => {
  it.each([
    [0.03, 30_000],
    [2.5, 2_500_000],
    [0.1 + 0.2, 300_000],
    [1.2345, 1_234_500],
    [0.000001, 1],
    [12, 12_000_000],
  ])('wire %s CPM is exactly %s micros', (cpm, micros) => {
    expect(cpmToMicros(cpm, 'up')).toBe(micros);
    expect(cpmToMicros(cpm, 'down')).toBe(micros);
  });

  it('values with more than 6 decimals round in the requested safe direction', () => {
    expect(cpmToMicros(0.0000015, 'up')).toBe(2);
    expect(cpmToMicros(0.0000015, 'down')).toBe(1);
  });

  it('rejects negative and non-finite values, saturates absurd ones', () => {
    expect(cpmToMicros(-1, 'up')).toBe(-1);
    expect(cpmToMicros(Number.NaN, 'up')).toBe(-1);
    expect(cpmToMicros(1e300, 'up')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('micros -> wire -> micros is the identity (prices below 1e9 CPM)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), (micros) => {
        const wire = JSON.parse(JSON.stringify(microsToCpm(micros))) as number;
        expect(cpmToMicros(wire, 'down')).toBe(micros);
        expect(decimalStringToMicros(microsToDecimalString(micros))).toBe(micros);
      }),
      { numRuns: 2000 },
    );
  });

  it('formats exact decimals', () => {
    expect(microsToDecimalString(2_500_000)).toBe('2.5');
    expect(microsToDecimalString(30_000)).toBe('0.03');
    expect(microsToDecimalString(12_000_000)).toBe('12');
    expect(microsToDecimalString(1)).toBe('0.000001');
    expect(decimalStringToMicros('1.2.3')).toBe(-1);
    expect(decimalStringToMicros('${AUCTION_PRICE}')).toBe(-1);
  });

  it('converts API minor units and per-impression cost', () => {
    expect(minorToMicros(250)).toBe(2_500_000);
    expect(impressionCostMicros(2_500_000)).toBe(2_500);
    expect(impressionCostMicros(1)).toBe(1);
  });

  it('floors: absent = 0, other currency = unreachable unless zero', () => {
    expect(floorInCurrency(undefined, undefined, 'USD')).toBe(0);
    expect(floorInCurrency(0.03, undefined, 'USD')).toBe(30_000);
    expect(floorInCurrency(0.03, 'EUR', 'USD')).toBe(UNREACHABLE_FLOOR);
    expect(floorInCurrency(0, 'EUR', 'USD')).toBe(0);
  });

  it('response currency: the preferred one when allowed, else the first allowed, USD by default', () => {
    expect(responseCurrency(aRequest({ cur: ['EUR', 'USD'] }), 'USD')).toBe('USD');
    expect(responseCurrency(aRequest({ cur: ['EUR', 'GBP'] }), 'USD')).toBe('EUR');
    const { cur: _c, ...noCur } = aRequest();
    expect(responseCurrency(noCur)).toBe('USD');
  });
});
