import { describe, expect, it } from 'vitest';
import { creationChanges, deepEqual, diffFields } from '../../../shared/domain/changes.js';

describe('diffFields', () => {
  it('lists only the fields that changed, in the order asked', () => {
    // Prepare
    const before = { name: 'A', ownerId: 'u1', type: 'standard' };
    const after = { name: 'B', ownerId: 'u1', type: 'preferred' };
    // Act
    const changes = diffFields(before, after, ['type', 'name', 'ownerId']);
    // Assess
    expect(changes).toEqual([
      { field: 'type', old: 'standard', new: 'preferred' },
      { field: 'name', old: 'A', new: 'B' },
    ]);
  });

  it('compares money deeply and reports it as one value', () => {
    const before = { totalValue: { amountMinor: 100, currency: 'USD' } };
    const same = { totalValue: { currency: 'USD', amountMinor: 100 } };
    const changed = { totalValue: { amountMinor: 200, currency: 'USD' } };
    expect(diffFields(before, same, ['totalValue'])).toEqual([]);
    expect(diffFields(before, changed, ['totalValue'])).toEqual([
      { field: 'totalValue', old: { amountMinor: 100, currency: 'USD' }, new: { amountMinor: 200, currency: 'USD' } },
    ]);
  });

  it('descends into nested objects with dotted paths', () => {
    const before = { schedule: { startDate: '2026-03-01', endDate: '2026-03-31', pacing: 'even' } };
    const after = { schedule: { startDate: '2026-03-01', endDate: '2026-04-15', pacing: 'even' } };
    expect(diffFields(before, after, ['schedule'])).toEqual([
      { field: 'schedule.endDate', old: '2026-03-31', new: '2026-04-15' },
    ]);
  });

  it('treats arrays as whole values and records absent values as null', () => {
    const before: { countries: string[]; cap?: { impressions: number } } = { countries: ['USA'] };
    const after: { countries: string[]; cap?: { impressions: number } } = { countries: ['USA', 'CAN'], cap: { impressions: 3 } };
    expect(diffFields(before, after, ['countries', 'cap'])).toEqual([
      { field: 'countries', old: ['USA'], new: ['USA', 'CAN'] },
      { field: 'cap', old: null, new: { impressions: 3 } },
    ]);
  });

  it('creation changes list every set field from null', () => {
    expect(creationChanges({ a: 1, b: undefined, c: 'x' } as { a: number; b?: number; c: string }, ['a', 'b', 'c'])).toEqual([
      { field: 'a', old: null, new: 1 },
      { field: 'c', old: null, new: 'x' },
    ]);
  });

  it('deepEqual ignores key order and undefined-valued keys', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: '1' })).toBe(false);
  });
});
