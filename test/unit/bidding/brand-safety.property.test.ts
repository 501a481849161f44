/**
 * The block and allow list checks look long lists up in Sets (built once per list); whatever the
 * list's length, they must decide exactly as the plain definitions below do.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAdvertiserBlocked, isAdvertiserNotAllowed, isAppBlocked, isCategoryBlocked, isSeatAllowed } from '../../../shared/bidding/brand-safety.js';

// The rules as written in brand-safety.ts, one comparison at a time.
const categoryBlocks = (cat: string, blocked: string) => cat === blocked || cat.startsWith(`${blocked}-`);
const domainMatches = (domain: string, entry: string) => {
  const d = domain.toLowerCase();
  const e = entry.toLowerCase();
  return d === e || d.endsWith(`.${e}`);
};

const label = fc.constantFrom('a', 'b', 'ads', 'Shop', 'apple', 'pineapple', 'com', 'example');
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
const category = fc.tuple(fc.integer({ min: 1, max: 30 }), fc.option(fc.integer({ min: 1, max: 9 })), fc.option(fc.integer({ min: 1, max: 3 }))).map(
  ([tier1, tier2, tier3]) => `IAB${tier1}${tier2 === null ? '' : `-${tier2}`}${tier2 !== null && tier3 !== null ? `-${tier3}` : ''}`,
);
const seat = fc.constantFrom('s1', 's2', 's3', 'house', 'dsp-a', 'dsp-b');
/** Short lists take the scan path, long ones the Set path. */
const listOf = <T>(item: fc.Arbitrary<T>) => fc.oneof(fc.array(item, { maxLength: 6 }), fc.array(item, { minLength: 9, maxLength: 60 }));

describe('brand safety lists (property)', () => {
  it('categories: blocked exactly when a listed category is the category or one of its parents', () => {
    fc.assert(
      fc.property(fc.array(category, { maxLength: 4 }), listOf(category), (cats, bcat) => {
        expect(isCategoryBlocked(cats, bcat)).toBe(cats.some((cat) => bcat.some((blocked) => categoryBlocks(cat, blocked))));
      }),
      { numRuns: 500 },
    );
  });

  it('advertiser domains: blocked / allowed exactly when a listed domain is the domain or a parent, case-insensitive', () => {
    fc.assert(
      fc.property(fc.array(domain, { maxLength: 4 }), listOf(domain), (adomain, list) => {
        const matched = adomain.some((d) => list.some((entry) => domainMatches(d, entry)));
        expect(isAdvertiserBlocked(adomain, list)).toBe(list.length > 0 && matched);
        expect(isAdvertiserNotAllowed(adomain, list)).toBe(list.length > 0 && !matched);
      }),
      { numRuns: 500 },
    );
  });

  it('seats and app bundles: exact membership', () => {
    fc.assert(
      fc.property(seat, listOf(seat), listOf(seat), (s, wseat, bseat) => {
        expect(isSeatAllowed(s, wseat, bseat)).toBe((wseat.length === 0 || wseat.includes(s)) && !bseat.includes(s));
        expect(isAppBlocked(s, bseat)).toBe(bseat.includes(s));
      }),
      { numRuns: 500 },
    );
  });
});
