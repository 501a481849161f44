/**
 * A stream mapping's on-failure destination: the invocation record Lambda sends when it discards a
 * batch (metadata only: which shard, which sequence numbers, why; never the records themselves),
 * delivered to a standard SQS queue or SNS topic.
 *
 * Lambda accepts only standard queues and topics here. It does not deliver to a FIFO queue or topic
 * (the record is lost and the DestinationDeliveryFailures metric counts it); the local stack does
 * the same, with a warning, so a design relying on it fails here as it would in AWS.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeOutcome } from '../apigw/lambda-runtime.js';
import type { DiscardedRecords } from './stream-batch.js';

export interface StreamBatchLocation {
  functionArn: string;
  streamArn: string;
  shardId: string;
}

/** Seconds precision, as Lambda writes the arrival times (`2019-11-14T00:13:19Z`). */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function responseContext(outcome: InvokeOutcome | undefined): Record<string, unknown> | undefined {
  if (!outcome) return undefined;
  return { statusCode: 200, executedVersion: '$LATEST', ...(outcome.ok ? {} : { functionError: 'Unhandled' }) };
}

/** The invocation record of a discarded DynamoDB stream batch (`DDBStreamBatchInfo`). */
export function dynamoDbFailureRecord<R>(discarded: DiscardedRecords<R>, where: StreamBatchLocation, nowMs = Date.now()): Record<string, unknown> {
  const first = discarded.entries[0];
  const last = discarded.entries[discarded.entries.length - 1];
  if (!first || !last) throw new Error('an empty batch has no invocation record');
  const response = responseContext(discarded.lastInvocation);
  return {
    requestContext: {
      requestId: discarded.lastInvocation?.requestId ?? crypto.randomUUID(),
      functionArn: where.functionArn,
      condition: discarded.condition,
      approximateInvokeCount: discarded.invokeCount,
    },
    ...(response ? { responseContext: response } : {}),
    version: '1.0',
    timestamp: new Date(nowMs).toISOString(),
    DDBStreamBatchInfo: {
      shardId: where.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: isoSeconds(first.arrivalMs),
      approximateArrivalOfLastRecord: isoSeconds(last.arrivalMs),
      batchSize: discarded.entries.length,
      streamArn: where.streamArn,
    },
  };
}

export type DestinationTarget =
  | { kind: 'sqs'; arn: string; url: string; fifo: boolean }
  | { kind: 'sns'; arn: string; fifo: boolean };

export interface FailureDestination {
  readonly arn: string;
  /** Whether Lambda would deliver there at all (standard queues and topics only). */
  readonly deliverable: boolean;
  send(record: Record<string, unknown>): Promise<void>;
}

export function failureDestination(target: DestinationTarget, clients: { sqs: SQSClient; sns: SNSClient }): FailureDestination {
  const body = (record: Record<string, unknown>) => JSON.stringify(record);
  return {
    arn: target.arn,
    deliverable: !target.fifo,
    async send(record) {
      if (target.fifo) return;
      if (target.kind === 'sqs') await clients.sqs.send(new SendMessageCommand({ QueueUrl: target.url, MessageBody: body(record) }));
      else await clients.sns.send(new PublishCommand({ TopicArn: target.arn, Message: body(record) }));
    },
  };
}
