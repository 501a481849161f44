import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNoticeSigner, type NoticeSignature, type NoticeSigner } from '../../../bidder/notice-signing.js';

const PARAMS = { auction: 'req-1', imp: '1', bid: 'bid-1', s: 'i', c: 'camp-1', cd: 'camp-1/2026-11-22', l: 'ab12cd34.7', r: '4000000', p: '4000000', f: '500000', cy: 'USD', e: '1795000000', t: 'task-a' };

const verify = (signer: NoticeSigner, kind: 'win' | 'bill' | 'loss', params: Record<string, string>, sig: Partial<NoticeSignature>) => signer.verify(kind, params, sig.k, sig.h);

describe('notice signing', () => {
  it('round-trips with the shared key and refuses every changed, added or removed parameter', () => {
    // Prepare
    const a = createNoticeSigner('k'.repeat(32));
    const b = createNoticeSigner('k'.repeat(32));
    // Act
    const sig = a.sign('bill', PARAMS);
    // Assess
    expect(verify(b, 'bill', PARAMS, sig)).toBe('valid');
    for (const name of Object.keys(PARAMS)) {
      expect(verify(b, 'bill', { ...PARAMS, [name]: `${PARAMS[name as keyof typeof PARAMS]}9` }, sig), `changed ${name}`).toBe('invalid');
      const { [name]: _removed, ...without } = PARAMS as Record<string, string>;
      expect(verify(b, 'bill', without, sig), `removed ${name}`).toBe('invalid');
    }
    expect(verify(b, 'bill', { ...PARAMS, extra: '1' }, sig)).toBe('invalid');
    expect(verify(b, 'bill', PARAMS, { ...sig, h: 'A'.repeat(22) })).toBe('invalid');
    expect(verify(createNoticeSigner('x'.repeat(32)), 'bill', PARAMS, sig)).toBe('invalid');
    expect(verify(b, 'bill', PARAMS, { k: sig.k })).toBe('missing');
  });

  it('covers the kind: a signature made for one kind never verifies for another', () => {
    // Prepare
    const signer = createNoticeSigner('k'.repeat(32));
    // Act
    const loss = signer.sign('loss', PARAMS);
    const win = signer.sign('win', PARAMS);
    // Assess
    expect(verify(signer, 'loss', PARAMS, loss)).toBe('valid');
    expect(verify(signer, 'bill', PARAMS, loss)).toBe('invalid');
    expect(verify(signer, 'bill', PARAMS, win)).toBe('invalid');
    expect(new Set([loss.h, win.h, signer.sign('bill', PARAMS).h]).size).toBe(3);
  });

  it('cannot be fooled by moving characters between a name and a value', () => {
    const signer = createNoticeSigner('k'.repeat(32));
    const sig = signer.sign('bill', { ab: 'c' });
    expect(verify(signer, 'bill', { a: 'bc' }, sig)).toBe('invalid');
    expect(verify(signer, 'bill', { a: 'b', c: '' }, sig)).toBe('invalid');
  });

  it('without a key each process has its own (notices only verify where they were signed)', () => {
    const sig = createNoticeSigner().sign('bill', PARAMS);
    expect(verify(createNoticeSigner(), 'bill', PARAMS, sig)).toBe('invalid');
  });

  it('does not accept the MAC of the earlier format, which did not cover the kind', () => {
    // The earlier format: HMAC over bid id, campaign-day, lease and cost only, the same in all three URLs.
    const key = 'o'.repeat(32);
    const old = createHmac('sha256', key).update(`dealdesk-notice-v1\nbid-1\n${PARAMS.cd}\n${PARAMS.l}\n${PARAMS.r}`).digest().subarray(0, 16);
    expect(verify(createNoticeSigner(key), 'bill', PARAMS, { h: old.toString('base64url') })).toBe('invalid');
  });
});

describe('notice signing with a key ring (rotation)', () => {
  const OLD = 'o'.repeat(32);
  const K1 = 'a'.repeat(40);
  const K2 = 'b'.repeat(40);
  const ring = (current: string, keys: Record<string, string>) => JSON.stringify({ current, ...keys });

  it('signs with the current key, naming it in `k`, and verifies with any key of the ring', () => {
    const sig = createNoticeSigner(ring('k1', { k1: K1, k2: K2 })).sign('bill', PARAMS);
    expect(sig.k).toBe('k1');
    expect(verify(createNoticeSigner(ring('k1', { k1: K1 })), 'bill', PARAMS, sig)).toBe('valid');
    expect(verify(createNoticeSigner(ring('k2', { k1: K1, k2: K2 })), 'bill', PARAMS, sig)).toBe('valid');
    expect(verify(createNoticeSigner(ring('k2', { k2: K2 })), 'bill', PARAMS, sig)).toBe('invalid');
  });

  it('after switching current to k2 signs with k2, and notices signed with k1 still verify', () => {
    const before = createNoticeSigner(ring('k1', { k1: K1, k2: K2 })).sign('bill', PARAMS);
    const after = createNoticeSigner(ring('k2', { k1: K1, k2: K2 }));
    const signedAfter = after.sign('bill', PARAMS);
    expect(signedAfter.k).toBe('k2');
    expect(signedAfter.h).not.toBe(before.h);
    expect(verify(after, 'bill', PARAMS, before)).toBe('valid');
    expect(verify(after, 'bill', PARAMS, signedAfter)).toBe('valid');
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
      expect(verify(newer, 'bill', PARAMS, older.sign('bill', PARAMS)), `step ${i}: older task's notice on a newer task`).toBe('valid');
      expect(verify(older, 'bill', PARAMS, newer.sign('bill', PARAMS)), `step ${i}: newer task's notice on an older task`).toBe('valid');
    }
  });

  it('refuses a notice naming a key id it does not hold, or another key than the one that signed', () => {
    const signer = createNoticeSigner(ring('k1', { k1: K1, k2: K2 }));
    const sig = signer.sign('bill', PARAMS);
    expect(verify(signer, 'bill', PARAMS, { ...sig, k: 'k9' })).toBe('invalid');
    expect(verify(signer, 'bill', PARAMS, { ...sig, k: 'k2' })).toBe('invalid');
    expect(verify(signer, 'bill', PARAMS, { ...sig, k: '' })).toBe('invalid');
  });

  it('verifies a notice without `k` with key `legacy` only (a plain key is the ring of key `legacy`)', () => {
    const sig = createNoticeSigner(OLD).sign('bill', PARAMS);
    expect(sig.k).toBe('legacy');
    expect(verify(createNoticeSigner(ring('k2', { legacy: OLD, k2: K2 })), 'bill', PARAMS, { h: sig.h })).toBe('valid');
    expect(verify(createNoticeSigner(ring('k2', { k1: OLD, k2: K2 })), 'bill', PARAMS, { h: sig.h })).toBe('invalid');
  });

  it('refuses to build a signer from an invalid key ring', () => {
    expect(() => createNoticeSigner(ring('k3', { k1: K1 }))).toThrow(/current key id "k3" is not one of the keys \(k1\)/);
    expect(() => createNoticeSigner(ring('k1', { k1: 'short' }))).toThrow(/key "k1" must be at least 32 characters/);
    expect(() => createNoticeSigner('short')).toThrow(/key "legacy" must be at least 32 characters/);
  });
});
