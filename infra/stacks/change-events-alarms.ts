/**
 * Alarms of change data capture, each naming its runbook section (docs/runbooks/change-events.md).
 * Every EventConsumer adds its own (dead letters, lag): see infra/constructs/event-consumer.ts.
 */
import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { createRunbookAlarms } from '../constructs/runbook-alarms.js';

export const CHANGE_EVENTS_RUNBOOK = 'docs/runbooks/change-events.md';
/** Stream lag (the processor's iterator age) that fires ChangeIteratorAge: changes reach consumers this late. */
export const CHANGE_ITERATOR_AGE_ALARM_MS = 60_000;

const perMinute = { period: Duration.minutes(1), statistic: 'Maximum' } as const;

export function addChangeEventAlarms(
  scope: Construct,
  watched: { processor: lambda.IFunction; deadLetterQueue: sqs.IQueue; streamFailures: sqs.IQueue },
): Record<string, cloudwatch.Alarm> {
  return createRunbookAlarms(scope, CHANGE_EVENTS_RUNBOOK, [
    {
      name: 'ChangeDeadLetters',
      anchor: 'changedeadletters',
      what: 'Changes of deals or campaigns wait in the change processor\'s dead-letter queue: their events (and every later change of the same deals) reach no consumer until redriven.',
      metric: watched.deadLetterQueue.metricApproximateNumberOfMessagesVisible(perMinute),
      threshold: 0,
      periods: 1,
      datapoints: 1,
    },
    {
      name: 'ChangeStreamFailures',
      anchor: 'changestreamfailures',
      what: 'Lambda gave up on batches of the deals stream (the processor itself kept failing): those changes were not published and the stream keeps them only 24 h.',
      metric: watched.streamFailures.metricApproximateNumberOfMessagesVisible(perMinute),
      threshold: 0,
      periods: 1,
      datapoints: 1,
    },
    {
      name: 'ChangeIteratorAge',
      anchor: 'changeiteratorage',
      what: `The change processor is more than ${CHANGE_ITERATOR_AGE_ALARM_MS / 1000} s behind the deals stream (IteratorAge) for 3 of 5 minutes: consumers see changes late.`,
      metric: watched.processor.metric('IteratorAge', perMinute),
      threshold: CHANGE_ITERATOR_AGE_ALARM_MS,
      periods: 5,
      datapoints: 3,
    },
  ]);
}
