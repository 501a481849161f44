import { z } from 'zod';
import { LINE_ITEM_CHANGES_KEY, LINE_ITEM_CHANGES_MAX_LENGTH } from '../../shared/adapters/redis/line-item-changes.js';

/**
 * Environment of the line-item consumer, read once per cold start and validated; a missing or malformed
 * variable fails fast with a message naming it.
 *   CHANGE_EVENTS_TABLE_NAME      the DataStack's changeEvents table (the consumer's applied-event markers)
 *   EVENT_CONSUMER_NAME           the consumer's name in its markers and metrics (set by EventConsumer)
 *   REDIS_HOST, REDIS_PORT        the bidding Redis (the bidders' ElastiCache primary endpoint); port 6379
 *   REDIS_TLS                     true in AWS (ElastiCache requires TLS); default false
 *   REDIS_AUTH                    the AUTH token itself (local runs); or
 *   REDIS_AUTH_SECRET_ARN         the Secrets Manager secret holding it (AWS), read once per cold start;
 *                                 neither: no AUTH
 *   REDIS_REPLICAS_TO_ACK         replicas an append waits for (WAIT) before the event counts as applied; default 0
 *   LINE_ITEM_CHANGES_KEY         the stream the bidders read; default line-items:changes
 *   LINE_ITEM_CHANGES_MAX_LENGTH  entries kept (XADD MAXLEN ~); default 10000
 * Also read by Powertools: POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, LOG_LEVEL; locally the
 * SDK gets AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and dummy credentials.
 */
const nonEmpty = z.string().trim().min(1, 'must be set to a non-empty value');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes');

const ENV_SCHEMA = z.object({
  CHANGE_EVENTS_TABLE_NAME: nonEmpty,
  // Part of every marker's key (APPLIED#<consumer>#<eventId>): no '#', so keys stay unambiguous.
  EVENT_CONSUMER_NAME: nonEmpty.regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, ".", "_" or "-"'),
  REDIS_HOST: nonEmpty,
  REDIS_PORT: int(1, 65_535).default(6379),
  REDIS_TLS: bool.default(false),
  REDIS_AUTH: nonEmpty.optional(),
  REDIS_AUTH_SECRET_ARN: z.string().regex(/^arn:[^:]+:secretsmanager:/, 'must be a Secrets Manager secret ARN').optional(),
  REDIS_REPLICAS_TO_ACK: int(0, 5).default(0),
  LINE_ITEM_CHANGES_KEY: nonEmpty.default(LINE_ITEM_CHANGES_KEY),
  LINE_ITEM_CHANGES_MAX_LENGTH: int(100, 1_000_000).default(LINE_ITEM_CHANGES_MAX_LENGTH),
});

export type LineItemConsumerConfig = z.infer<typeof ENV_SCHEMA>;

export class LineItemConsumerConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineItemConsumerConfigurationError';
  }
}

export function loadLineItemConsumerConfig(env: Record<string, string | undefined> = process.env): LineItemConsumerConfig {
  const names = Object.keys(ENV_SCHEMA.shape) as (keyof LineItemConsumerConfig)[];
  const result = ENV_SCHEMA.safeParse(Object.fromEntries(names.map((name) => [name, env[name]])));
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '');
        return env[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
      });
  if (result.success && result.data.REDIS_AUTH !== undefined && result.data.REDIS_AUTH_SECRET_ARN !== undefined) {
    problems.push('REDIS_AUTH and REDIS_AUTH_SECRET_ARN are both set: give the token one way');
  }
  if (!result.success || problems.length > 0) {
    throw new LineItemConsumerConfigurationError(`invalid line-item consumer configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return result.data;
}
