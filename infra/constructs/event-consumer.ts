/**
 * A consumer of domain events: its own SQS FIFO queue subscribed to the domain-events topic (raw
 * delivery, optionally filtered by event type), a FIFO dead-letter queue behind it, and a project
 * function reading the queue in batches with partial failures. One of these per consumer, in the stack
 * of the concern it serves (the engagement consumer beside the processor, the bidder's line-item
 * consumer in the bidding stack), so each has its own lag, retries and dead letters.
 *
 * Ordering: the topic publishes with the deal id as message group; a FIFO queue hands a group's
 * messages to one invocation at a time, in order, so a consumer sees one deal's events in version
 * order. A failed message blocks only its own group until it succeeds or goes to the dead-letter queue.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DomainEventType } from '../../shared/domain-events/types.js';
import { CHANGE_EVENTS_RUNBOOK } from '../stacks/change-events-alarms.js';
import { createRunbookAlarms } from './runbook-alarms.js';
import { ProjectFunction, type ProjectFunctionProps } from './project-function.js';

/** Receives before a message goes to the consumer's dead-letter queue. */
export const CONSUMER_MAX_RECEIVES = 5;
/** Age of a consumer's oldest waiting event that fires its lag alarm. */
export const CONSUMER_LAG_ALARM_SECONDS = 60;

export interface EventConsumerProps {
  /** The domain-events topic (SNS FIFO). */
  readonly topic: sns.ITopic;
  /** The consumer's name in metrics, markers and alarm names, e.g. `engagement`. */
  readonly consumerName: string;
  /** Only these event types reach the queue; absent = every event. */
  readonly eventTypes?: readonly DomainEventType[];
  /** The handler function (entry, description, environment…); its timeout sets the queue's visibility. */
  readonly function: ProjectFunctionProps;
  /** Messages per invocation (FIFO: at most 10). @default 10 */
  readonly batchSize?: number;
}

export class EventConsumer extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly handler: ProjectFunction;
  readonly consumerName: string;

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    this.consumerName = props.consumerName;
    const timeout = props.function.timeout ?? Duration.seconds(10);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is the dead-letter queue of the ${props.consumerName} consumer's queue (its redrive target); a dead-letter queue has none of its own.`,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout (AWS's guidance for Lambda consumers), so a batch that is still
      // running is never handed to a second invocation.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: CONSUMER_MAX_RECEIVES },
    });
    props.topic.addSubscription(
      new subscriptions.SqsSubscription(this.queue, {
        rawMessageDelivery: true,
        ...(props.eventTypes
          ? { filterPolicy: { type: sns.SubscriptionFilter.stringFilter({ allowlist: [...props.eventTypes] }) } }
          : {}),
      }),
    );
    this.handler = new ProjectFunction(this, 'Function', {
      ...props.function,
      environment: { ...props.function.environment, EVENT_CONSUMER_NAME: props.consumerName },
    });
    this.handler.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        reportBatchItemFailures: true,
      }),
    );
    const name = props.consumerName.replace(/(^|[-_.])(\w)/g, (_, __, letter: string) => letter.toUpperCase());
    createRunbookAlarms(this, CHANGE_EVENTS_RUNBOOK, [
      {
        name: `${name}ConsumerDeadLetters`,
        anchor: 'consumerdeadletters',
        what: `Domain events failed ${CONSUMER_MAX_RECEIVES} times in the ${props.consumerName} consumer and wait in its dead-letter queue: their effect is missing.`,
        metric: this.metricDeadLetters(),
        threshold: 0,
        periods: 1,
        datapoints: 1,
      },
      {
        name: `${name}ConsumerLag`,
        anchor: 'consumerlag',
        what: `The ${props.consumerName} consumer's oldest waiting event is older than ${CONSUMER_LAG_ALARM_SECONDS} s for 3 of 5 minutes: it falls behind (or one deal's event keeps failing).`,
        metric: this.metricLag(),
        threshold: CONSUMER_LAG_ALARM_SECONDS,
        periods: 5,
        datapoints: 3,
      },
    ]);
  }

  /** How long the oldest event has waited for this consumer: its lag. */
  metricLag(): cloudwatch.IMetric {
    return this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' });
  }

  /** Events this consumer gave up on (moved to its dead-letter queue). */
  metricDeadLetters(): cloudwatch.IMetric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
  }
}
