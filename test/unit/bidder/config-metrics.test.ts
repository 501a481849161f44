import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../bidder/config.js';
import { EmfMetrics } from '../../../bidder/metrics.js';

const base = {
  DEALS_TABLE_NAME: 'deals',
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
