import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../bidder/config.js';
import { EmfMetrics } from '../../../bidder/metrics.js';

const base = {
  DEALS_TABLE_NAME: 'deals',
  SPEND_TABLE_NAME: 'spend',
  BID_EVENTS_STREAM: 'events',
  REDIS_HOST: 'redis.internal',
  EXCHANGE_KEYS: JSON.stringify({ exA: 'aaaaaaaaaaaaaaaaaaaa' }),
};

describe('loadConfig', () => {
  it('names every missing variable', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    try {
      loadConfig({});
    } catch (e) {
      expect(String(e)).toMatch(/DEALS_TABLE_NAME is required.*BID_EVENTS_STREAM is required.*REDIS_HOST is required.*EXCHANGE_KEYS is required/);
    }
  });

  it('builds the Redis URL (TLS + auth) and the key -> exchange map', () => {
    const c = loadConfig({ ...base, REDIS_TLS: 'true', REDIS_AUTH: 'p@ss', REDIS_PORT: '6380', PORT: '9000' });
    expect(c.redisUrl).toBe('rediss://:p%40ss@redis.internal:6380');
    expect(c.EXCHANGE_KEYS.get('aaaaaaaaaaaaaaaaaaaa')).toBe('exA');
    expect(c.PORT).toBe(9000);
  });

  it('refuses short keys and bad JSON, naming the variable', () => {
    expect(() => loadConfig({ ...base, EXCHANGE_KEYS: '{"a":"short"}' })).toThrow(/EXCHANGE_KEYS: keys must be at least 16/);
    expect(() => loadConfig({ ...base, EXCHANGE_KEYS: 'nope' })).toThrow(/EXCHANGE_KEYS: must be JSON/);
  });
});

describe('loadConfig NOTICE_SIGNING_KEY', () => {
  const env = { ...base, SPEND_TABLE_NAME: 'spend' };
  const K1 = 'a'.repeat(40);
  const K2 = 'b'.repeat(40);

  it('accepts a key ring and a plain key, kept as the text the signer reads', () => {
    const ring = JSON.stringify({ current: 'k2', k1: K1, k2: K2, 'key_3-x': K1 });
    expect(loadConfig({ ...env, NOTICE_SIGNING_KEY: ring }).NOTICE_SIGNING_KEY).toBe(ring);
    expect(loadConfig({ ...env, NOTICE_SIGNING_KEY: K1 }).NOTICE_SIGNING_KEY).toBe(K1);
    expect(loadConfig(env).NOTICE_SIGNING_KEY).toBeUndefined();
  });

  it('names the variable and the problem of an invalid key ring', () => {
    const bad = (value: unknown) => () => loadConfig({ ...env, NOTICE_SIGNING_KEY: typeof value === 'string' ? value : JSON.stringify(value) });
    expect(bad({ current: 'k2', k1: K1 })).toThrow(/NOTICE_SIGNING_KEY: current key id "k2" is not one of the keys \(k1\)/);
    expect(bad({ k1: K1 })).toThrow(/NOTICE_SIGNING_KEY: "current" is missing/);
    expect(bad({ current: 'k1', k1: K1, k2: 'short-key' })).toThrow(/NOTICE_SIGNING_KEY: key "k2" must be at least 32 characters/);
    expect(bad({ current: 'k1', k1: K1, 'k 2': K2 })).toThrow(/NOTICE_SIGNING_KEY: key id "k 2" must be 1-16 characters of A-Z a-z 0-9 _ -/);
    expect(bad({ current: 'k1', k1: K1, ['k'.repeat(17)]: K2 })).toThrow(/NOTICE_SIGNING_KEY: key id "k{17}" must be 1-16/);
    expect(bad({ current: 'k1', keys: { k1: K1 } })).toThrow(/NOTICE_SIGNING_KEY: every value must be a string/);
    expect(bad(`{"current": "k1", "k1": "${K1}"`)).toThrow(/NOTICE_SIGNING_KEY: starts with "\{" but is not valid JSON/);
    expect(bad('too-short')).toThrow(/NOTICE_SIGNING_KEY: key "legacy" must be at least 32 characters/);
  });
});

describe('EmfMetrics', () => {
  it('writes valid EMF: counters, dimensioned counters and the latency histogram, once per flush', () => {
    const lines: string[] = [];
    const m = new EmfMetrics({ write: (l) => lines.push(l), clock: () => 1000 });
    m.count('Requests');
    m.count('Requests');
    m.count('NoBid', 1, { name: 'Reason', value: 'no_budget' });
    m.latency('BidLatency', 3.2);
    m.latency('BidLatency', 3.4);
    m.latency('BidLatency', 250);
    expect(m.flush()).toBe(2);
    const main = JSON.parse(lines[0]!);
    expect(main._aws.CloudWatchMetrics[0].Namespace).toBe('DealDesk/Bidder');
    expect(main.Requests).toBe(2);
    expect(main.BidLatency).toEqual({ Values: [3, 250], Counts: [2, 1] });
    const reason = JSON.parse(lines[1]!);
    expect(reason).toMatchObject({ Reason: 'no_budget', NoBid: 1 });
    expect(reason._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'Reason']]);
    lines.length = 0;
    m.flush();
    expect(lines).toEqual([]);
  });
});

describe('loadConfig line items by push', () => {
  it('pushes by default on the stream line-items:changes, with the full refresh every 5 minutes as the safety net', () => {
    // Act
    const config = loadConfig(base);
    // Assess
    expect(config).toMatchObject({ LINE_ITEM_PUSH: true, LINE_ITEM_CHANGES_KEY: 'line-items:changes', LINE_ITEM_PUSH_WAIT_MS: 5_000, LINE_ITEM_REFRESH_MS: 300_000 });
  });

  it('takes its own values and names a bad one', () => {
    // Act
    const config = loadConfig({ ...base, LINE_ITEM_PUSH: 'false', LINE_ITEM_CHANGES_KEY: 'test:changes', LINE_ITEM_PUSH_WAIT_MS: '250' });
    // Assess
    expect(config).toMatchObject({ LINE_ITEM_PUSH: false, LINE_ITEM_CHANGES_KEY: 'test:changes', LINE_ITEM_PUSH_WAIT_MS: 250 });
    expect(() => loadConfig({ ...base, LINE_ITEM_PUSH: 'maybe' })).toThrow(/LINE_ITEM_PUSH:/);
    expect(() => loadConfig({ ...base, LINE_ITEM_PUSH_WAIT_MS: '0' })).toThrow(/LINE_ITEM_PUSH_WAIT_MS:/);
    expect(() => loadConfig({ ...base, LINE_ITEM_CHANGES_KEY: '' })).toThrow(/LINE_ITEM_CHANGES_KEY:/);
  });
});
