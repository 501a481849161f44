import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoAppliedEvents } from '../../shared/adapters/dynamodb/applied-events.js';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { createLineItemPublisherRedis, RedisLineItemChanges } from '../../shared/adapters/redis/line-item-changes.js';
import type { LineItemPushDeps } from '../../shared/bidding/line-item-push.js';
import { loadLineItemConsumerConfig } from './line-items-config.js';

/**
 * The deployed dependencies of the line-item consumer. The configuration is checked now (a cold start
 * with a missing variable fails at once, naming it); the Redis AUTH token is read from Secrets Manager on
 * first use and the connection is kept for the life of the execution environment. A failed build is
 * retried by the next invocation.
 */
export function productionLineItemDeps(): () => Promise<LineItemPushDeps> {
  const config = loadLineItemConsumerConfig();
  let built: Promise<LineItemPushDeps> | undefined;
  const build = async (): Promise<LineItemPushDeps> => {
    const password = config.REDIS_AUTH ?? (config.REDIS_AUTH_SECRET_ARN ? await readSecret(config.REDIS_AUTH_SECRET_ARN) : undefined);
    const redis = createLineItemPublisherRedis({ host: config.REDIS_HOST, port: config.REDIS_PORT, tls: config.REDIS_TLS, password });
    return {
      changes: new RedisLineItemChanges({
        redis,
        key: config.LINE_ITEM_CHANGES_KEY,
        maxLength: config.LINE_ITEM_CHANGES_MAX_LENGTH,
        replicasToAck: config.REDIS_REPLICAS_TO_ACK,
      }),
      appliedEvents: new DynamoAppliedEvents({ client: createDocumentClient(), tableName: config.CHANGE_EVENTS_TABLE_NAME }),
      consumer: config.EVENT_CONSUMER_NAME,
    };
  };
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

async function readSecret(secretId: string): Promise<string> {
  const client = new SecretsManagerClient({});
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!secret.SecretString) throw new Error(`secret ${secretId} has no string value`);
    return secret.SecretString;
  } finally {
    client.destroy();
  }
}
