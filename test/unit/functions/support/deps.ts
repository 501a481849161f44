import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApiDeps } from '../../../../functions/api/deps.js';
import { InMemoryBiddingSettingsRepository } from '../../../../shared/adapters/memory/memory-bidding-settings-repository.js';
import { InMemoryDealRepository } from '../../../../shared/adapters/memory/memory-deal-repository.js';
import { InMemoryClientRateLimiter } from '../../../../shared/adapters/memory/memory-client-rate-limiter.js';

export const NOW = new Date('2026-11-22T04:12:00.000Z');

/**
 * A persistence layer that fails loudly if touched: for tests whose requests carry no Idempotency-Key
 * (Powertools then skips idempotency entirely). Idempotency itself is tested against DynamoDB Local.
 */
export function unreachableIdempotencyStore(): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName: 'unreachable',
    awsSdkV3Client: new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    }),
  });
}

/**
 * In-memory repository, predictable ids, and a clock that starts at NOW and moves 1 ms per reading
 * (audit entries sort by time, as they do in DynamoDB).
 */
export function testDeps(overrides: Partial<ApiDeps> = {}): ApiDeps & { repo: InMemoryDealRepository } {
  let next = 0;
  let ticks = 0;
  return {
    repo: new InMemoryDealRepository(),
    biddingSettings: new InMemoryBiddingSettingsRepository(),
    clock: () => new Date(NOW.getTime() + ticks++),
    newId: () => `id-${String(++next).padStart(4, '0')}`,
    idempotencyStore: unreachableIdempotencyStore(),
    // High enough never to refuse these tests' requests; the limit itself is tested in rate-limit.test.ts.
    rateLimiter: new InMemoryClientRateLimiter({ requests: 100_000, windowSeconds: 1 }),
    ...overrides,
  } as ApiDeps & { repo: InMemoryDealRepository };
}
