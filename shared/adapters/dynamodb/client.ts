import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A DocumentClient configured the way the repository expects. Everything else comes from the standard
 * SDK environment: AWS_REGION, credentials, and AWS_ENDPOINT_URL_DYNAMODB (honoured natively by SDK v3,
 * which is how the local stack points handlers at DynamoDB Local). `config` overrides, e.g. in tests.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
