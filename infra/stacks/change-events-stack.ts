/**
 * Change data capture (docs/change-events.md): the change processor reads the `deals` table's stream
 * and publishes one domain event per committed change to the domain-events topic, which fans out to
 * one FIFO queue per consumer (infra/constructs/event-consumer.ts).
 *
 * Why SNS FIFO → SQS FIFO (and not EventBridge): consumers must see one deal's events in version
 * order. EventBridge promises neither order nor a single delivery; SNS FIFO keeps order per message
 * group (the deal id) into each subscribed SQS FIFO queue, deduplicates by event id for 5 minutes, and
 * filters by event type per subscription. Each consumer then has its own queue: its own lag metric,
 * retries and dead-letter queue, so a slow or failing consumer never holds back another. The limits
 * (300 publishes/s per message group… 30,000 messages/s per topic with high throughput) are far above
 * the rate at which people change deals.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface ChangeEventsStackProps extends StackProps {
  /** The table whose stream is read (NEW_AND_OLD_IMAGES). */
  readonly dealsTable: dynamodb.ITable;
  /** Applied-event markers and held deals. */
  readonly changeEventsTable: dynamodb.ITable;
  /** Engagement scores, kept by the engagement consumer. */
  readonly engagementTable: dynamodb.ITable;
  /** Directory the functions' entries are resolved against. @default the repository root */
  readonly projectRoot?: string;
}

export class ChangeEventsStack extends Stack {
  /** Every domain event, message group = deal id. Consumers subscribe with an EventConsumer. */
  readonly topic: sns.Topic;
  /** Stream records the processor could not publish, with the whole record, error and attempt count. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ChangeEventsStackProps) {
    super(scope, id, props);

    this.topic = new sns.Topic(this, 'DomainEvents', {
      fifo: true,
      // Deduplication by the event id the processor sets (stable across stream redelivery), not by content.
      contentBasedDeduplication: false,
      enforceSSL: true,
      displayName: 'dealdesk domain events (deals and campaigns)',
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Server-side encryption of an SNS topic that delivers to SQS needs a customer managed KMS key with a key policy for SNS and SQS; events carry deal terms already encrypted at rest in DynamoDB and in the SSE-SQS queues, TLS is enforced on the topic (SNS3), and the managed aws/sns key cannot be used for SQS delivery.',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'ChangeDeadLetters', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: a dead letter waits for its cause to be fixed and a redrive.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the change processor\'s dead-letter queue (full records that failed, replayed by the redrive function); a dead-letter queue has none of its own.',
    });
  }
}
