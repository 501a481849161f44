/**
 * SQS FIFO messages of domain events, as the engagement consumer's queue hands them to Lambda: raw
 * delivery (the body is the event's JSON), message group = deal id, deduplication id = event id.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { encodeDomainEvent } from '../../../shared/domain-events/codec.js';
import type { DomainEvent } from '../../../shared/domain-events/types.js';

let sequence = 0;

/** One queue message: an event, or a raw body with its group (a message no consumer can read). */
export function sqsMessage(content: DomainEvent | { body: string; group: string }): SQSRecord {
  const n = ++sequence;
  const [body, group, dedup] =
    'schemaVersion' in content ? [encodeDomainEvent(content), content.dealId, content.eventId] : [content.body, content.group, `raw-${n}`];
  return {
    messageId: `message-${n}`,
    receiptHandle: `receipt-${n}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(1_795_000_000_000 + n),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(1_795_000_000_000 + n),
      SequenceNumber: String(18_000_000_000_000_000_000 + n),
      MessageGroupId: group,
      MessageDeduplicationId: dedup,
    },
    messageAttributes: {},
    md5OfBody: 'unused',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:engagement.fifo',
    awsRegion: 'us-east-1',
  };
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

export function consumerContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'engagement-consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:engagement-consumer',
    memoryLimitInMB: '512',
    awsRequestId: `request-${++sequence}`,
    logGroupName: '/aws/lambda/engagement-consumer',
    logStreamName: 'unit',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
