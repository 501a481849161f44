import { createHmac } from 'node:crypto';
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

describe('notice signing with a key ring (rotation)', () => {
  const r = { campaignDay: 'camp-1/2026-11-22', leaseId: 'ab12cd34.7', cost: 4_000_000 };
  const OLD = 'o'.repeat(32);
  const K1 = 'a'.repeat(40);
  const K2 = 'b'.repeat(40);
  const ring = (current: string, keys: Record<string, string>) => JSON.stringify({ current, ...keys });

  it('signs with the current key, naming it in `k`, and verifies with any key of the ring', () => {
    const extra = createNoticeSigner(ring('k1', { k1: K1, k2: K2 })).sign('bid-1', r);
    expect(extra.k).toBe('k1');
    expect(createNoticeSigner(ring('k1', { k1: K1 })).verify('bid-1', extra)).toEqual(r);
    expect(createNoticeSigner(ring('k2', { k1: K1, k2: K2 })).verify('bid-1', extra)).toEqual(r);
    expect(createNoticeSigner(ring('k2', { k2: K2 })).verify('bid-1', extra)).toBe('invalid');
  });

  it('after switching current to k2 signs with k2, and notices signed with k1 still verify', () => {
    const before = createNoticeSigner(ring('k1', { k1: K1, k2: K2 })).sign('bid-1', r);
    const after = createNoticeSigner(ring('k2', { k1: K1, k2: K2 }));
    const signedAfter = after.sign('bid-2', r);
    expect(signedAfter.k).toBe('k2');
    expect(signedAfter.h).not.toBe(createNoticeSigner(ring('k1', { k1: K1, k2: K2 })).sign('bid-2', r).h);
    expect(after.verify('bid-1', before)).toEqual(r);
    expect(after.verify('bid-2', signedAfter)).toEqual(r);
  });

  it('never refuses a notice between the tasks of two consecutive rotation steps (rolling deployments)', () => {
    const steps = [
      ring('k1', { k1: K1 }), // before
      ring('k1', { k1: K1, k2: K2 }), // 1. add k2
      ring('k2', { k1: K1, k2: K2 }), // 2. sign with k2
      ring('k2', { k2: K2 }), // 3. drop k1
    ].map((text) => createNoticeSigner(text));
    for (let i = 1; i < steps.length; i++) {
      const [older, newer] = [steps[i - 1]!, steps[i]!];
      expect(newer.verify('bid-1', older.sign('bid-1', r)), `step ${i}: older task's notice on a newer task`).toEqual(r);
      expect(older.verify('bid-1', newer.sign('bid-1', r)), `step ${i}: newer task's notice on an older task`).toEqual(r);
    }
  });

  it('refuses a notice naming a key id it does not hold, or another key than the one that signed', () => {
    const signer = createNoticeSigner(ring('k1', { k1: K1, k2: K2 }));
    const extra = signer.sign('bid-1', r);
    expect(signer.verify('bid-1', { ...extra, k: 'k9' })).toBe('invalid');
    expect(signer.verify('bid-1', { ...extra, k: 'k2' })).toBe('invalid');
    expect(signer.verify('bid-1', { ...extra, k: '' })).toBe('invalid');
    expect(signer.verify('bid-1', { k: 'k1' })).toBe('invalid');
  });

  it('refuses a tampered cost whichever key signed it', () => {
    const extra = createNoticeSigner(ring('k2', { k1: K1, k2: K2 })).sign('bid-1', r);
    const verifier = createNoticeSigner(ring('k1', { k1: K1, k2: K2 }));
    expect(verifier.verify('bid-1', extra)).toEqual(r);
    expect(verifier.verify('bid-1', { ...extra, r: '4000001' })).toBe('invalid');
    expect(verifier.verify('bid-1', { ...extra, r: '40000000' })).toBe('invalid');
  });

  it('verifies a notice without `k` (signed before key ids, with the plain key) with key `legacy` only', () => {
    // Exactly what bidders before key rings put in the URL: no `k`, the MAC keyed with the plain key.
    const h = createHmac('sha256', OLD).update(`dealdesk-notice-v1\nbid-1\n${r.campaignDay}\n${r.leaseId}\n${r.cost}`).digest().subarray(0, 16);
    const legacyUrl = { cd: r.campaignDay, l: r.leaseId, r: String(r.cost), h: h.toString('base64url') };
    expect(createNoticeSigner(ring('k2', { legacy: OLD, k2: K2 })).verify('bid-1', legacyUrl)).toEqual(r);
    expect(createNoticeSigner(OLD).verify('bid-1', legacyUrl)).toEqual(r);
    expect(createNoticeSigner(ring('k2', { k1: OLD, k2: K2 })).verify('bid-1', legacyUrl)).toBe('invalid');
    // A plain key signs as key `legacy`, with the same MAC: tasks on the old format verify it.
    expect(createNoticeSigner(OLD).sign('bid-1', r)).toEqual({ ...legacyUrl, k: 'legacy' });
  });

  it('refuses to build a signer from an invalid key ring', () => {
    expect(() => createNoticeSigner(ring('k3', { k1: K1 }))).toThrow(/current key id "k3" is not one of the keys \(k1\)/);
    expect(() => createNoticeSigner(ring('k1', { k1: 'short' }))).toThrow(/key "k1" must be at least 32 characters/);
    expect(() => createNoticeSigner('short')).toThrow(/key "legacy" must be at least 32 characters/);
  });
});
