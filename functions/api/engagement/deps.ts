import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { DynamoEngagementStore } from '../../../shared/adapters/dynamodb/engagement-store.js';
import type { EngagementStore } from '../../../shared/ports/engagement-store.js';
import { loadConfig } from '../config.js';
import type { HttpDeps } from '../http/handler.js';
import { productionRateLimiter } from '../http/production-rate-limiter.js';

/** What the engagement routes need: the scores, nothing of the deals tables. Tests pass the in-memory store. */
export interface EngagementApiDeps extends HttpDeps {
  engagement: EngagementStore;
  clock: () => Date;
}

let store: EngagementStore | undefined;

/**
 * The deployed dependencies, built once per cold start: the engagement store from ENGAGEMENT_TABLE_NAME
 * (the only table these routes are bound to) and the client rate limiter's variables.
 */
export function productionEngagementApiDeps(): EngagementApiDeps {
  const config = loadConfig(['ENGAGEMENT_TABLE_NAME']);
  store ??= new DynamoEngagementStore({ client: createDocumentClient(), tableName: config.ENGAGEMENT_TABLE_NAME });
  return { engagement: store, clock: () => new Date(), rateLimiter: productionRateLimiter() };
}
