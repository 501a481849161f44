/**
 * The bidder's configuration, read ONCE from the environment at start and checked with zod. A missing
 * or invalid variable stops the process with a message naming it (no half-configured bidder).
 *
 * In AWS (BiddingStack) the task definition sets these; EXCHANGE_KEYS and REDIS_AUTH are injected by
 * ECS from Secrets Manager (`ecs.Secret.fromSecretsManager`), so the process reads plain env vars
 * in both places and needs no Secrets Manager client. DSPs come from DEALDESK_DSPS / DEALDESK_DSPS_FILE
 * (bidder/dsp/config.ts). AWS endpoints and region come from the SDK's standard variables
 * (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_KINESIS locally).
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { LINE_ITEM_CHANGES_KEY } from '../shared/adapters/redis/line-item-changes.js';
import { NoticeKeyRingText } from './notice-signing.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ExchangeKeys = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<exchangeId>": "<key>"} or [{"exchange": "...", "key": "..."}]' });
      return z.NEVER;
    }
  })
  .pipe(
    z.union([
      z.record(z.string().min(1), z.string().min(16, 'keys must be at least 16 characters')),
      z.array(z.strictObject({ exchange: z.string().min(1), key: z.string().min(16, 'keys must be at least 16 characters') })).min(1),
    ]),
  )
  .transform((v) => {
    const map = new Map<string, string>();
    if (Array.isArray(v)) for (const { exchange, key } of v) map.set(key, exchange);
    else for (const [exchange, key] of Object.entries(v)) map.set(key, exchange);
    return map;
  })
  .refine((m) => m.size > 0, 'at least one exchange key is required');

export const BidderEnv = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  DEALS_TABLE_NAME: z.string().min(1),
  /** Committed spend per campaign-day (the spend consumer's ledger): budgets are opened and rebuilt from it. */
  SPEND_TABLE_NAME: z.string().min(1),
  BID_EVENTS_STREAM: z.string().min(1),
  REDIS_HOST: z.string().min(1),
  REDIS_PORT: int(1, 65535).default(6379),
  REDIS_TLS: bool.default(false),
  REDIS_AUTH: z.string().min(1).optional(),
  /**
   * Replicas that must acknowledge a budget commit (Redis WAIT) before it counts as billed: 1 on a
   * replication group with a replica (BiddingStack sets it), so a failover cannot lose a billed commit.
   */
  REDIS_REPLICAS_TO_ACK: int(0, 5).default(0),
  EXCHANGE_KEYS: ExchangeKeys,
  /** Public base URL of this service for notice URLs (the load balancer's). */
  NOTICE_BASE_URL: z.url().optional(),
  BIDDER_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  SEAT: z.string().min(1).default('dealdesk'),
  /**
   * The full reload of every biddable deal (a Scan), ms: the safety net behind the pushed changes, which
   * bring a deal's changes within seconds. Without pushes (LINE_ITEM_PUSH=false) it is the only way in.
   */
  LINE_ITEM_REFRESH_MS: int(100, 3_600_000).default(300_000),
  /** Read the line-item feed (a Redis stream on REDIS_HOST) and reload each changed deal at once. */
  LINE_ITEM_PUSH: bool.default(true),
  /** The feed's stream key; the line-item consumer (functions/events/line-items.ts) appends to the same key. */
  LINE_ITEM_CHANGES_KEY: z.string().min(1).default(LINE_ITEM_CHANGES_KEY),
  /** Longest one read of the feed waits for a change before it asks again, ms. */
  LINE_ITEM_PUSH_WAIT_MS: int(100, 60_000).default(5_000),
  METRICS_FLUSH_MS: int(100, 300_000).default(10_000),
  DEFAULT_TMAX_MS: int(10, 5_000).default(100),
  TMAX_MARGIN_MS: int(0, 1_000).default(25),
  MAX_BODY_BYTES: int(1_024, 10 * 1024 * 1024).default(64 * 1024),
  LEASE_TTL_MS: int(500, 600_000).default(10_000),
  LEASE_REFRESH_MS: int(20, 60_000).default(200),
  RESERVATION_TTL_MS: int(500, 3_600_000).default(30_000),
  /** Lease size as a fraction of the daily budget, in 1/10000 (default 10 = 0.1%), at least 10 impressions at max bid. */
  LEASE_BASIS_POINTS: int(1, 10_000).default(10),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(15_000),
  /**
   * HMAC keys for the notice URLs (bidder/notice-signing.ts): identical on every task so a billing
   * notice is chargeable on any task. A key ring `{"current":"<keyId>","<keyId>":"<key>",...}` (keys
   * ≥ 32 characters; rotation in docs/runbooks/bidding.md) or one plain key. In AWS a Secrets Manager
   * secret injected by ECS; unset = a random key per process (notices only chargeable on the task
   * that bid). Checked here with the signer's own schema but kept as text: the signer parses it.
   */
  NOTICE_SIGNING_KEY: z
    .string()
    .superRefine((text, ctx) => {
      for (const { message } of NoticeKeyRingText.safeParse(text).error?.issues ?? []) ctx.addIssue({ code: 'custom', message });
    })
    .optional(),
  /** How long after the bid our notice URLs are accepted (default 1 h); later ones are refused and counted. */
  NOTICE_TTL_MS: int(60_000, 7 * 86_400_000).default(3_600_000),
  /**
   * Heartbeat events to every open shard of the bid-event stream, ms: they keep the spend consumer's
   * per-shard watermark moving on shards no advertiser's events land on (docs/budget-leases.md, "Restart").
   */
  STREAM_HEARTBEAT_MS: int(100, 60_000).default(5_000),
  /**
   * A budget rebuild after a Redis loss waits until the spend consumer's watermark is this far past
   * the loss: ≥ 2 × clock skew + the longest an event may take to reach the stream. Default 30 s.
   */
  LEDGER_MARGIN_MS: int(0, 600_000).default(30_000),
  /** Losing bids listed per imp in auction events (highest first); unset = all. */
  EVENT_MAX_LOSERS_PER_IMP: int(0, 1_000).optional(),
});
export type BidderConfig = z.output<typeof BidderEnv> & { bidderId: string; noticeBaseUrl: string; redisUrl: string };

export class ConfigError extends Error {}

/** Reads and checks the environment; throws ConfigError naming every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): BidderConfig {
  const parsed = BidderEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      return env[name] === undefined ? `${name} is required` : `${name}: ${i.message}`;
    });
    throw new ConfigError(`invalid bidder configuration: ${[...new Set(problems)].join('; ')}`);
  }
  const c = parsed.data;
  const auth = c.REDIS_AUTH ? `:${encodeURIComponent(c.REDIS_AUTH)}@` : '';
  return {
    ...c,
    bidderId: c.BIDDER_ID ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}-${process.pid}`,
    noticeBaseUrl: c.NOTICE_BASE_URL ?? `http://localhost:${c.PORT}`,
    redisUrl: `${c.REDIS_TLS ? 'rediss' : 'redis'}://${auth}${c.REDIS_HOST}:${c.REDIS_PORT}`,
  };
}
