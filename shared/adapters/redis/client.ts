/**
 * ioredis client settings for the budget path: fail fast, never queue. With the offline queue off
 * and no per-request retries, a call made while Redis is unreachable rejects at once (or after
 * `commandTimeout`) instead of waiting for a reconnect, so the lease manager fails closed quickly;
 * the client keeps reconnecting in the background.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface BudgetRedisOptions {
  /** Per-command timeout in ms (default 250). */
  commandTimeoutMs?: number;
  /** Upper bound of the reconnect back-off in ms (default 1000). */
  maxReconnectDelayMs?: number;
  extra?: RedisOptions;
  /** Connection errors (the client reconnects by itself); default: ignored. */
  onError?: (err: Error) => void;
}

/**
 * A client for the budget path. Connect it with connectBudgetRedis before use (it is lazy, and with
 * the offline queue off a command sent while connecting fails instead of waiting). TLS and AUTH for
 * ElastiCache: a `rediss://` URL and/or `extra: { tls: {}, password }`.
 */
export function createBudgetRedis(url: string, options: BudgetRedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(50 * times, options.maxReconnectDelayMs ?? 1_000),
    lazyConnect: true,
    ...options.extra,
  });
  redis.on('error', (err: Error) => options.onError?.(err));
  return redis;
}

/** Connects (if not yet) and resolves once the client is ready; rejects after timeoutMs. */
export async function connectBudgetRedis(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready within ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
    // Errors while connecting are retried by retryStrategy; the timeout above bounds the wait.
    if (redis.status === 'wait') redis.connect().catch(() => {});
  });
}
