import { z } from 'zod';

/**
 * Environment of the engagement consumer, read once per cold start and validated; a missing or
 * malformed variable fails fast with a message naming it.
 *   ENGAGEMENT_TABLE_NAME     the DataStack's engagement table (scores and account health)
 *   CHANGE_EVENTS_TABLE_NAME  the DataStack's changeEvents table (the consumer's applied-event markers)
 *   EVENT_CONSUMER_NAME       the consumer's name in its markers and metrics (set by EventConsumer)
 * Also read by Powertools: POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, LOG_LEVEL; locally the
 * SDK gets AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and dummy credentials.
 */
const nonEmpty = z.string().trim().min(1, 'must be set to a non-empty value');

const ENV_SCHEMA = z.object({
  ENGAGEMENT_TABLE_NAME: nonEmpty,
  CHANGE_EVENTS_TABLE_NAME: nonEmpty,
  // Part of every marker's key (APPLIED#<consumer>#<eventId>): no '#', so keys stay unambiguous.
  EVENT_CONSUMER_NAME: nonEmpty.regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, ".", "_" or "-"'),
});

export type EngagementConsumerConfig = z.infer<typeof ENV_SCHEMA>;

export class EngagementConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngagementConfigurationError';
  }
}

export function loadEngagementConsumerConfig(env: Record<string, string | undefined> = process.env): EngagementConsumerConfig {
  const names = Object.keys(ENV_SCHEMA.shape) as (keyof EngagementConsumerConfig)[];
  const result = ENV_SCHEMA.safeParse(Object.fromEntries(names.map((name) => [name, env[name]])));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return env[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
    });
    throw new EngagementConfigurationError(`invalid engagement consumer configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return result.data;
}
