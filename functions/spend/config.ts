import { z } from 'zod';

/**
 * Environment of the spend-reconciliation consumer, read once per cold start and validated; a missing or
 * malformed variable fails fast with a message naming it.
 *   SPEND_TABLE_NAME  the DataStack's spend table (required)
 * Also read by Powertools: POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, LOG_LEVEL; locally the
 * SDK gets AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and dummy credentials.
 */
const ENV_SCHEMA = z.object({
  SPEND_TABLE_NAME: z.string().trim().min(1, 'must be set to a non-empty value'),
});

export type SpendConfig = z.infer<typeof ENV_SCHEMA>;

export class SpendConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpendConfigError';
  }
}

export function loadSpendConfig(env: Record<string, string | undefined> = process.env): SpendConfig {
  const result = ENV_SCHEMA.safeParse({ SPEND_TABLE_NAME: env.SPEND_TABLE_NAME });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return env[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
    });
    throw new SpendConfigError(`invalid spend consumer configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return result.data;
}
