import { describe, expect, it } from 'vitest';
import { bucketsFromHash, frequencyKey, MemoryFrequencyCounter } from '../../../bidder/frequency.js';

const MIDNIGHT = Date.UTC(2026, 10, 22);
const at = (h: number, m: number) => MIDNIGHT + h * 3_600_000 + m * 60_000;

describe('frequencyKey', () => {
  it('keeps the campaign as the Cluster hash tag and the user id last', () => {
    expect(frequencyKey('u-1', 'camp-1', 24)).toBe('fcw:{camp-1}:24:u-1');
  });

  it('a colon in a user id cannot make two (period, user) pairs share a key', () => {
    expect(frequencyKey('1:u', 'c', 2)).not.toBe(frequencyKey('u', 'c', 21));
    expect(frequencyKey('2:u', 'c', 1)).not.toBe(frequencyKey('1:u', 'c', 2));
  });
});

describe('bucketsFromHash', () => {
  it('reads bucket fields and ignores anything else', () => {
    expect(bucketsFromHash({ '5983520': '3', '5983521': '1', junk: '4', '5983522': 'x', '5983523': '0' })).toEqual([
      [5983520, 3],
      [5983521, 1],
    ]);
  });
});

describe('MemoryFrequencyCounter', () => {
  it('counts over a sliding window: 3 impressions at 00:59 still cap a 3-per-hour user at 01:01, not at 02:00', () => {
    let now = at(0, 59);
    const counter = new MemoryFrequencyCounter(() => now);
    for (let i = 0; i < 3; i++) counter.record('u', 'camp-1', 1);
    expect(counter.count('u', 'camp-1', 1)).toBe(3);
    now = at(1, 1);
    expect(counter.count('u', 'camp-1', 1)).toBe(3);
    now = at(2, 0);
    expect(counter.count('u', 'camp-1', 1)).toBe(0);
  });

  it('keeps users, campaigns and periods apart', () => {
    const counter = new MemoryFrequencyCounter(() => at(12, 0));
    counter.record('u', 'camp-1', 1);
    expect(counter.count('u', 'camp-1', 24)).toBe(0);
    expect(counter.count('u', 'camp-2', 1)).toBe(0);
    expect(counter.count('v', 'camp-1', 1)).toBe(0);
  });
});
