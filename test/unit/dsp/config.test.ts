import { describe, expect, it } from 'vitest';
import { breakerSettingsOf, DEFAULT_BREAKER_SETTINGS, parseDspConfigs } from '../../../shared/bidding/dsp/config.js';
import { loadDspConfigs } from '../../../bidder/dsp/config.js';

const good = { id: 'dsp-a', endpoint: 'https://bid.dsp-a.example/openrtb', timeoutMs: 80, maxQps: 500, seat: 'a' };

describe('DSP config', () => {
  it('accepts an array or { dsps: [...] }', () => {
    expect(parseDspConfigs([good])).toEqual({ ok: true, dsps: [good] });
    expect(parseDspConfigs({ dsps: [good] })).toEqual({ ok: true, dsps: [good] });
  });

  it('names the bad field', () => {
    const r = parseDspConfigs([good, { ...good, id: 'dsp-b', endpoint: 'ftp://x', timeoutMs: -1 }]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain('1.endpoint');
      expect(r.error).toContain('1.timeoutMs');
    }
  });

  it('rejects duplicate ids, unknown keys, and bad breaker overrides', () => {
    expect(parseDspConfigs([good, good])).toMatchObject({ ok: false });
    expect(parseDspConfigs([{ ...good, extra: 1 }])).toMatchObject({ ok: false });
    expect(parseDspConfigs([{ ...good, breaker: { cooldownMs: 0 } }])).toMatchObject({ ok: false });
    expect(parseDspConfigs('nope')).toMatchObject({ ok: false });
  });

  it('merges breaker overrides with defaults', () => {
    expect(breakerSettingsOf({ breaker: { failureThreshold: 2 } })).toEqual({ ...DEFAULT_BREAKER_SETTINGS, failureThreshold: 2 });
  });

  it('loads from DEALDESK_DSPS, or nothing when unset, and fails loudly on bad JSON', () => {
    expect(loadDspConfigs({ DEALDESK_DSPS: JSON.stringify([good]) })).toEqual([good]);
    expect(loadDspConfigs({})).toEqual([]);
    expect(() => loadDspConfigs({ DEALDESK_DSPS: '[{' })).toThrow(/not valid JSON/);
    expect(() => loadDspConfigs({ DEALDESK_DSPS: '[{"id":"X"}]' })).toThrow(/invalid/);
  });
});
