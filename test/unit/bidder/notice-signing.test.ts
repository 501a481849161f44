import { describe, expect, it } from 'vitest';
import { createNoticeSigner } from '../../../bidder/notice-signing.js';

describe('notice signing', () => {
  const r = { campaignDay: 'camp-1/2026-11-22', leaseId: 'ab12cd34.7', cost: 4_000_000 };
  it('round-trips with the shared key and refuses every tampered field, another key, or a partial set', () => {
    const a = createNoticeSigner('k'.repeat(32));
    const b = createNoticeSigner('k'.repeat(32));
    const extra = a.sign('bid-1', r);
    expect(b.verify('bid-1', extra)).toEqual(r);
    expect(b.verify('bid-2', extra)).toBe('invalid');
    expect(b.verify('bid-1', { ...extra, r: '4000001' })).toBe('invalid');
    expect(b.verify('bid-1', { ...extra, l: 'ab12cd34.8' })).toBe('invalid');
    expect(b.verify('bid-1', { ...extra, cd: 'camp-2/2026-11-22' })).toBe('invalid');
    expect(b.verify('bid-1', { ...extra, h: 'A'.repeat(22) })).toBe('invalid');
    expect(createNoticeSigner('x'.repeat(32)).verify('bid-1', extra)).toBe('invalid');
    expect(b.verify('bid-1', { cd: extra.cd! })).toBe('invalid');
    expect(b.verify('bid-1', { t: 'task-a' })).toBe('missing');
  });
  it('without a key each process has its own (notices only verify where they were signed)', () => {
    const extra = createNoticeSigner().sign('bid-1', r);
    expect(createNoticeSigner().verify('bid-1', extra)).toBe('invalid');
  });
});
