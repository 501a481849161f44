import { z } from 'zod';
import { CLIENT_RATE_LIMIT_BOUNDS } from '../../shared/domain/rate-limit.js';

/**
 * Environment the API handlers read (docs/design.md, "Environment variables").
 * Each handler asks only for what it needs; the environment is read once per cold start and a missing
 * or malformed variable fails fast with a message naming it.
 */
const nonEmpty = z.string().trim().min(1, 'must be set to a non-empty value');

const routeKeys = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of route keys like "GET /deals"' });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.string().regex(/^[A-Z]+ \/\S*$/, 'each route key must look like "GET /deals/{dealId}"')));

const wholeNumber = ({ min, max }: { min: number; max: number }) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const ENV_SCHEMA = z.object({
  DEALS_TABLE_NAME: nonEmpty,
  HISTORY_TABLE_NAME: nonEmpty,
  IDEMPOTENCY_TABLE_NAME: nonEmpty,
  /** Engagement scores (the engagement routes only). */
  ENGAGEMENT_TABLE_NAME: nonEmpty,
  /** JSON array of "METHOD /path" route keys, set by the API stack for the fallback handler. */
  API_ROUTES: routeKeys,
  /** Per-client rate limit (every route behind the JWT authorizer), set by the API stack. */
  RATE_LIMIT_TABLE_NAME: nonEmpty,
  CLIENT_RATE_LIMIT_REQUESTS: wholeNumber(CLIENT_RATE_LIMIT_BOUNDS.requests),
  CLIENT_RATE_LIMIT_WINDOW_SECONDS: wholeNumber(CLIENT_RATE_LIMIT_BOUNDS.windowSeconds),
});

export type ApiConfig = z.infer<typeof ENV_SCHEMA>;
export type ConfigKey = keyof ApiConfig;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the named variables from `env`. Throws ConfigError naming every missing or bad variable. */
export function loadConfig<K extends ConfigKey>(
  keys: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Pick<ApiConfig, K> {
  const mask: Partial<Record<ConfigKey, true>> = Object.fromEntries(keys.map((k) => [k, true]));
  const picked = ENV_SCHEMA.pick(mask);
  const input = Object.fromEntries(keys.map((k) => [k, env[k]]));
  const result = picked.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return env[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
    });
    throw new ConfigError(`invalid API configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return result.data as unknown as Pick<ApiConfig, K>;
}
