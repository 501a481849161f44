import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoHeldDeals } from '../../shared/adapters/dynamodb/held-deals.js';
import { readStreamChange } from '../../shared/adapters/dynamodb/stream-changes.js';
import { SnsDomainEventPublisher } from '../../shared/adapters/sns/domain-event-publisher.js';
import { SqsChangeDeadLetterQueue } from '../../shared/adapters/sqs/change-dead-letter-queue.js';
import type { ChangeProcessorDeps } from '../../shared/change-capture/process-changes.js';
import { loadChangeCaptureConfig } from './change-capture-config.js';

let deps: ChangeProcessorDeps | undefined;

/** The deployed adapters of the processor and the redrive, built once per cold start from the environment. */
export function productionChangeCaptureDeps(): ChangeProcessorDeps {
  if (deps) return deps;
  const config = loadChangeCaptureConfig();
  deps = {
    publisher: new SnsDomainEventPublisher({ client: new SNSClient({}), topicArn: config.DOMAIN_EVENTS_TOPIC_ARN }),
    deadLetters: new SqsChangeDeadLetterQueue({ client: new SQSClient({}), queueUrl: config.CHANGE_DEAD_LETTER_QUEUE_URL }),
    heldDeals: new DynamoHeldDeals({ client: createDocumentClient(), tableName: config.CHANGE_EVENTS_TABLE_NAME }),
    readChange: readStreamChange,
  };
  return deps;
}
