/**
 * One redis-server per test file (apt's binary on a free loopback port), plus a budget client and
 * allocator on it. `flush()` between tests; `restart()` loses all data, like a node replacement.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type LocalRedis, startRedis } from '../../../local/redis/launch.js';
import { connectBudgetRedis, createBudgetRedis } from '../../../shared/adapters/redis/client.js';
import { RedisBudgetAllocator } from '../../../shared/adapters/redis/redis-allocator.js';

export interface RedisContext {
  readonly server: LocalRedis;
  readonly redis: Redis;
  readonly allocator: RedisBudgetAllocator;
  /** A new connected client (closed in afterAll). */
  client(): Promise<Redis>;
  flush(): Promise<void>;
}

export function useRedis(): RedisContext {
  let server: LocalRedis | undefined;
  let redis: Redis | undefined;
  let allocator: RedisBudgetAllocator | undefined;
  const clients: Redis[] = [];
  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('redis-server is not running (use the context inside tests or hooks)');
    return v;
  };

  beforeAll(async () => {
    server = await startRedis({ port: 0 });
    redis = createBudgetRedis(server.url, { commandTimeoutMs: 2_000 });
    await connectBudgetRedis(redis);
    allocator = new RedisBudgetAllocator(redis);
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    redis?.disconnect();
    await server?.stop();
  });

  return {
    get server() {
      return need(server);
    },
    get redis() {
      return need(redis);
    },
    get allocator() {
      return need(allocator);
    },
    async client() {
      const c = createBudgetRedis(need(server).url, { commandTimeoutMs: 2_000 });
      clients.push(c);
      await connectBudgetRedis(c);
      return c;
    },
    async flush() {
      await need(redis).flushall();
    },
  };
}

export const DAY = '2026-11-22';
export const DAY_START = Date.UTC(2026, 10, 22);
export const DAY_END = Date.UTC(2026, 10, 23);
export const NOON = Date.UTC(2026, 10, 22, 12);
