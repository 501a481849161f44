import { z } from 'zod';

/**
 * Environment of the change processor and the redrive function, read once per cold start and
 * validated; a missing or malformed variable fails fast naming it.
 *   DOMAIN_EVENTS_TOPIC_ARN       the domain-events SNS FIFO topic
 *   CHANGE_DEAD_LETTER_QUEUE_URL  the processor's SQS FIFO dead-letter queue
 *   CHANGE_EVENTS_TABLE_NAME      held deals (and consumers' applied-event markers)
 * Locally the SDK also reads AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_DYNAMODB.
 */
const ENV_SCHEMA = z.object({
  DOMAIN_EVENTS_TOPIC_ARN: z.string().trim().regex(/^arn:[^:]+:sns:[^:]*:[^:]*:.+\.fifo$/, 'must be the ARN of an SNS FIFO topic (…:name.fifo)'),
  CHANGE_DEAD_LETTER_QUEUE_URL: z.string().trim().regex(/^https?:\/\/\S+\.fifo$/, 'must be the URL of an SQS FIFO queue (…/name.fifo)'),
  CHANGE_EVENTS_TABLE_NAME: z.string().trim().min(1, 'must be set to a non-empty value'),
});

export type ChangeCaptureConfig = z.infer<typeof ENV_SCHEMA>;

export class ChangeCaptureConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangeCaptureConfigError';
  }
}

export function loadChangeCaptureConfig(env: Record<string, string | undefined> = process.env): ChangeCaptureConfig {
  const names = Object.keys(ENV_SCHEMA.shape) as (keyof ChangeCaptureConfig)[];
  const result = ENV_SCHEMA.safeParse(Object.fromEntries(names.map((name) => [name, env[name]])));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return env[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
    });
    throw new ChangeCaptureConfigError(`invalid change capture configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return result.data;
}
