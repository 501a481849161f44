import './support/env.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../functions/api/config.js';
import { mapError } from '../../../functions/api/http/error-mapper.js';
import { RateLimitedError } from '../../../functions/api/http/errors.js';

const RATE_LIMIT_VARIABLES = ['RATE_LIMIT_TABLE_NAME', 'CLIENT_RATE_LIMIT_REQUESTS', 'CLIENT_RATE_LIMIT_WINDOW_SECONDS'] as const;

describe('RateLimitedError in the error mapper', () => {
  it('maps to 429 rate_limited with Retry-After and the limit', () => {
    // Act
    const mapped = mapError(new RateLimitedError(7, { requests: 20, windowSeconds: 10 }));
    // Assess
    expect(mapped.statusCode).toBe(429);
    expect(mapped.unexpected).toBe(false);
    expect(mapped.headers).toEqual({ 'Retry-After': '7' });
    expect(mapped.body.error).toEqual({
      code: 'rate_limited',
      message: 'too many requests: each caller may make 20 per 10 s; retry after 7 s',
      retryAfterSeconds: 7,
      limit: 20,
      windowSeconds: 10,
    });
  });
});

describe('client rate limit configuration', () => {
  it('reads the table and the limit as whole numbers', () => {
    // Act
    const config = loadConfig(RATE_LIMIT_VARIABLES, {
      RATE_LIMIT_TABLE_NAME: 'rate-limit',
      CLIENT_RATE_LIMIT_REQUESTS: '20',
      CLIENT_RATE_LIMIT_WINDOW_SECONDS: ' 1 ',
    });
    // Assess
    expect(config).toEqual({ RATE_LIMIT_TABLE_NAME: 'rate-limit', CLIENT_RATE_LIMIT_REQUESTS: 20, CLIENT_RATE_LIMIT_WINDOW_SECONDS: 1 });
  });

  it.each([
    [{ CLIENT_RATE_LIMIT_REQUESTS: '20', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '1' }, /RATE_LIMIT_TABLE_NAME is not set/],
    [{ RATE_LIMIT_TABLE_NAME: 't', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '1' }, /CLIENT_RATE_LIMIT_REQUESTS is not set/],
    [{ RATE_LIMIT_TABLE_NAME: 't', CLIENT_RATE_LIMIT_REQUESTS: 'twenty', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '1' }, /CLIENT_RATE_LIMIT_REQUESTS must be a whole number from 1 to 100000/],
    [{ RATE_LIMIT_TABLE_NAME: 't', CLIENT_RATE_LIMIT_REQUESTS: '0', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '1' }, /CLIENT_RATE_LIMIT_REQUESTS must be at least 1/],
    [{ RATE_LIMIT_TABLE_NAME: 't', CLIENT_RATE_LIMIT_REQUESTS: '20', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '86400' }, /CLIENT_RATE_LIMIT_WINDOW_SECONDS must be at most 3600/],
    [{ RATE_LIMIT_TABLE_NAME: 't', CLIENT_RATE_LIMIT_REQUESTS: '2.5', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '1' }, /CLIENT_RATE_LIMIT_REQUESTS must be a whole number/],
  ])('fails at cold start naming the variable: %j', (env, message) => {
    // Act
    const attempt = () => loadConfig(RATE_LIMIT_VARIABLES, env);
    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});
