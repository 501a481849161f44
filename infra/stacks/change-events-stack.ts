/**
 * Change data capture (docs/change-events.md): the change processor reads the `deals` table's stream
 * and publishes one domain event per committed change to the domain-events topic, which fans out to
 * one FIFO queue per consumer (infra/constructs/event-consumer.ts). Records that cannot be published
 * go to the processor's dead-letter queue whole; the redrive function replays them.
 *
 * Why SNS FIFO → SQS FIFO (and not EventBridge): consumers must see one deal's events in version
 * order. EventBridge promises neither order nor a single delivery; SNS FIFO keeps order per message
 * group (the deal id) into each subscribed SQS FIFO queue, deduplicates by event id for 5 minutes, and
 * filters by event type per subscription. Each consumer has its own queue: its own lag metric, retries
 * and dead-letter queue, so a slow or failing consumer never holds back another. Throughput limits
 * (300 messages/s per message group, thousands per topic) are far above the rate at which people
 * change deals.
 */
import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  CHANGE_PROCESSOR_HELD_DEALS_GRANT,
  ENGAGEMENT_CONSUMER_CHANGE_EVENTS_GRANT,
  ENGAGEMENT_CONSUMER_GRANT,
  REDRIVE_HELD_DEALS_GRANT,
} from '../../shared/adapters/dynamodb/iam-grants.js';
import { EventConsumer } from '../constructs/event-consumer.js';
import { ProjectFunction, REPO_ROOT } from '../constructs/project-function.js';
import { addChangeEventAlarms } from './change-events-alarms.js';

export const CHANGE_PROCESSOR_ENTRY = 'functions/events/process-changes.ts';
export const CHANGE_REDRIVE_ENTRY = 'functions/events/redrive.ts';
export const ENGAGEMENT_CONSUMER_ENTRY = 'functions/events/engagement.ts';

/** The stream event source mapping of the change processor (exported for tests and documentation). */
export const CHANGE_STREAM_MAPPING = {
  batchSize: 100,
  // No batching window: a change reaches consumers as soon as the stream has it (latency over cost).
  maxBatchingWindow: Duration.seconds(0),
  // The processor dead-letters what it cannot publish itself; these retries cover the processor failing
  // as a whole (e.g. its dead-letter queue unreachable), bisecting to isolate the record concerned.
  retryAttempts: 10,
  bisectBatchOnError: true,
  // Past this age a record goes to the stream-failures queue rather than being retried further; the
  // stream keeps records 24 h, so a replay from its metadata is still possible for a while.
  maxRecordAge: Duration.hours(6),
  parallelizationFactor: 1,
} as const;

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
  /** Lambda's own record of stream batches it gave up on (metadata only: shard and sequence numbers). */
  readonly streamFailures: sqs.Queue;
  readonly processor: ProjectFunction;
  readonly redrive: ProjectFunction;
  readonly engagement: EventConsumer;

  constructor(scope: Construct, id: string, props: ChangeEventsStackProps) {
    super(scope, id, props);
    const projectRoot = props.projectRoot ?? REPO_ROOT;

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

    this.deadLetterQueue = this.deadLetters('ChangeDeadLetters', true,
      "This queue is the change processor's dead-letter queue (full records that failed, replayed by the redrive function); a dead-letter queue has none of its own.");
    // Lambda's on-failure destination must be a standard queue (FIFO is not accepted there).
    this.streamFailures = this.deadLetters('ChangeStreamFailures', false,
      "This queue is the on-failure destination of the change processor's stream event source mapping (batches Lambda gave up on); a dead-letter queue has none of its own.");

    const environment = {
      DOMAIN_EVENTS_TOPIC_ARN: this.topic.topicArn,
      CHANGE_DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
    };
    this.processor = new ProjectFunction(this, 'ChangeProcessor', {
      entry: CHANGE_PROCESSOR_ENTRY,
      description: `Change processor: deals stream to domain events (${CHANGE_PROCESSOR_ENTRY})`,
      serviceName: 'dealdesk-change-processor',
      timeout: Duration.seconds(60),
      projectRoot,
      environment,
    });
    this.processor.bind(props.changeEventsTable, { envVar: 'CHANGE_EVENTS_TABLE_NAME', access: CHANGE_PROCESSOR_HELD_DEALS_GRANT });
    this.topic.grantPublish(this.processor);
    this.deadLetterQueue.grantSendMessages(this.processor);
    this.processor.addEventSource(
      new DynamoEventSource(props.dealsTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        ...CHANGE_STREAM_MAPPING,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.streamFailures),
      }),
    );

    this.redrive = new ProjectFunction(this, 'ChangeRedrive', {
      entry: CHANGE_REDRIVE_ENTRY,
      description: `Redrive: replays the change processor's dead letters (${CHANGE_REDRIVE_ENTRY})`,
      serviceName: 'dealdesk-change-redrive',
      timeout: Duration.minutes(5),
      projectRoot,
      environment,
    });
    this.redrive.bind(props.changeEventsTable, { envVar: 'CHANGE_EVENTS_TABLE_NAME', access: REDRIVE_HELD_DEALS_GRANT });
    this.topic.grantPublish(this.redrive);
    this.deadLetterQueue.grantConsumeMessages(this.redrive);

    this.engagement = new EventConsumer(this, 'EngagementConsumer', {
      topic: this.topic,
      consumerName: 'engagement',
      function: {
        entry: ENGAGEMENT_CONSUMER_ENTRY,
        description: `Engagement scoring from domain events (${ENGAGEMENT_CONSUMER_ENTRY})`,
        serviceName: 'dealdesk-engagement',
        projectRoot,
      },
    });
    this.engagement.handler
      .bind(props.engagementTable, { envVar: 'ENGAGEMENT_TABLE_NAME', access: ENGAGEMENT_CONSUMER_GRANT })
      .bind(props.changeEventsTable, { envVar: 'CHANGE_EVENTS_TABLE_NAME', access: ENGAGEMENT_CONSUMER_CHANGE_EVENTS_GRANT });

    addChangeEventAlarms(this, {
      processor: this.processor,
      deadLetterQueue: this.deadLetterQueue,
      streamFailures: this.streamFailures,
    });
  }

  private deadLetters(id: string, fifo: boolean, why: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      ...(fifo ? { fifo: true } : {}),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: a dead letter waits for its cause to be fixed and a redrive.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: why });
    return queue;
  }
}
