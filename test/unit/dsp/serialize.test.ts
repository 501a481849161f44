import { describe, expect, it } from 'vitest';
import { serializeWithoutTmax } from '../../../bidder/dsp/fanout.js';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';

describe('serializeWithoutTmax', () => {
  it('drops tmax so each DSP gets its own, spliced in as the first key', () => {
    const request: BidRequest = { id: 'r', tmax: 500, imp: [{ id: '1', banner: { w: 1, h: 2 } }], ext: { a: 1 } };
    const rest = serializeWithoutTmax(request);
    const body = JSON.parse(`{"tmax":42,${rest}`);
    expect(body).toEqual({ ...request, tmax: 42 });
    expect(request.tmax).toBe(500); // input untouched
  });

  it('handles a request with only tmax (empty rest)', () => {
    expect(serializeWithoutTmax({ tmax: 1 } as unknown as BidRequest)).toBe('');
  });
});
