import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoClientRateLimiter, rateLimitKey } from '../../../shared/adapters/dynamodb/client-rate-limiter.js';
import { type ClientRateLimit, rateWindowAt } from '../../../shared/domain/rate-limit.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';

const ddb = useDynamoDbLocal();
const limiterOf = (limit: ClientRateLimit, tableName = ddb.tables.rateLimit) => new DynamoClientRateLimiter({ client: ddb.doc, tableName, limit });
const client = () => `sub-${randomUUID()}`;
/**
 * A moment `offsetMs` into the next hour: windows are aligned to the hour's start, and in the future,
 * so DynamoDB Local's TTL (which deletes expired items at once) leaves the counters alone.
 */
const nextHourPlus = (offsetMs: number) => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000 + offsetMs);

describe('DynamoClientRateLimiter on DynamoDB Local', () => {
  it('admits the limit, then refuses the same client with the seconds left, while another client is admitted', async () => {
    // Prepare
    const limiter = limiterOf({ requests: 3, windowSeconds: 60 });
    const [alice, bob] = [client(), client()];
    const at = nextHourPlus(15_000);
    // Act
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await limiter.admit(alice, at));
    const other = await limiter.admit(bob, at);
    // Assess
    expect(answers).toEqual([{ admitted: true }, { admitted: true }, { admitted: true }, { admitted: false, retryAfterSeconds: 45 }]);
    expect(other).toEqual({ admitted: true });
  });

  it('keeps one counter per client and window, refused requests not counted, expiring a minute after the window', async () => {
    // Prepare
    const limiter = limiterOf({ requests: 2, windowSeconds: 10 });
    const alice = client();
    const at = nextHourPlus(3_500);
    const window = rateWindowAt(at, 10);
    // Act
    for (let i = 0; i < 5; i++) await limiter.admit(alice, at);
    // Assess
    const item = (await ddb.doc.send(new GetCommand({ TableName: ddb.tables.rateLimit, Key: { pk: rateLimitKey(alice, window) }, ConsistentRead: true }))).Item;
    expect(item).toEqual({ pk: `WINDOW#${window.startsAt}#CLIENT#${alice}`, requests: 2, expiresAt: window.endsAt + 60 });
  });

  it('admits the client again in the next window', async () => {
    // Prepare
    const limiter = limiterOf({ requests: 1, windowSeconds: 10 });
    const alice = client();
    await limiter.admit(alice, nextHourPlus(9_999));
    // Act
    const sameWindow = await limiter.admit(alice, nextHourPlus(9_999));
    const nextWindow = await limiter.admit(alice, nextHourPlus(10_000));
    // Assess
    expect(sameWindow).toEqual({ admitted: false, retryAfterSeconds: 1 });
    expect(nextWindow).toEqual({ admitted: true });
  });

  it('admits exactly the limit out of concurrent requests (one conditional update each)', async () => {
    // Prepare
    const limiter = limiterOf({ requests: 5, windowSeconds: 3600 });
    const alice = client();
    const at = nextHourPlus(0);
    // Act
    const answers = await Promise.all(Array.from({ length: 20 }, () => limiter.admit(alice, at)));
    // Assess
    expect(answers.filter((a) => a.admitted)).toHaveLength(5);
    expect(answers.filter((a) => !a.admitted)).toHaveLength(15);
  });

  it('throws when the table cannot be used, so the caller decides (the API admits the request)', async () => {
    // Prepare
    const limiter = limiterOf({ requests: 5, windowSeconds: 1 }, 'no-such-table');
    // Act
    const attempt = limiter.admit(client(), new Date());
    // Assess
    await expect(attempt).rejects.toThrow(/non-existent table|ResourceNotFound|not found/i);
  });
});
