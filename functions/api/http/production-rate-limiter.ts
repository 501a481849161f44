import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { DynamoClientRateLimiter } from '../../../shared/adapters/dynamodb/client-rate-limiter.js';
import type { ClientRateLimiter } from '../../../shared/ports/client-rate-limiter.js';
import { loadConfig } from '../config.js';

let limiter: ClientRateLimiter | undefined;

/**
 * The deployed client rate limiter, built once per cold start from RATE_LIMIT_TABLE_NAME,
 * CLIENT_RATE_LIMIT_REQUESTS and CLIENT_RATE_LIMIT_WINDOW_SECONDS (set by the API stack on every
 * route behind the JWT authorizer). A missing or bad variable throws ConfigError naming it.
 */
export function productionRateLimiter(): ClientRateLimiter {
  if (limiter) return limiter;
  const config = loadConfig(['RATE_LIMIT_TABLE_NAME', 'CLIENT_RATE_LIMIT_REQUESTS', 'CLIENT_RATE_LIMIT_WINDOW_SECONDS']);
  limiter = new DynamoClientRateLimiter({
    client: createDocumentClient(),
    tableName: config.RATE_LIMIT_TABLE_NAME,
    limit: { requests: config.CLIENT_RATE_LIMIT_REQUESTS, windowSeconds: config.CLIENT_RATE_LIMIT_WINDOW_SECONDS },
  });
  return limiter;
}
