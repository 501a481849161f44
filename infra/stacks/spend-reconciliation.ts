/**
 * The spend-reconciliation consumer of the bid-events stream: a Lambda that records each billing
 * event's spend in the spend table exactly once (functions/spend/reconcile.ts), and the dead-letter
 * queue for records that exhausted their retries.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SPEND_CONSUMER_GRANT } from '../../shared/adapters/dynamodb/iam-grants.js';
import { ProjectFunction } from '../constructs/project-function.js';

/** Entry of the spend-reconciliation consumer. */
export const SPEND_RECONCILE_ENTRY = 'functions/spend/reconcile.ts';

export interface SpendReconciliationProps {
  bidEvents: kinesis.IStream;
  spendTable: dynamodb.ITable;
  /** Where the function's entry is resolved. */
  projectRoot: string;
}

/** Creates the consumer and its DLQ in `scope` (the bidding stack). */
export function addSpendReconciliation(scope: Construct, props: SpendReconciliationProps): { consumer: ProjectFunction; dlq: sqs.Queue } {
  const dlq = new sqs.Queue(scope, 'ReconcileDlq', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(dlq).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself a dead-letter queue: the on-failure destination of the Kinesis event source mapping of the spend-reconciliation consumer (records that exhausted their retries). cdk-nag only recognizes SQS redrive policies as DLQ usage.',
  });

  const consumer = new ProjectFunction(scope, 'SpendReconcile', {
    entry: SPEND_RECONCILE_ENTRY,
    description: `Spend reconciliation: bid events (Kinesis) to spend per campaign-day (${SPEND_RECONCILE_ENTRY})`,
    serviceName: 'dealdesk-spend',
    timeout: Duration.seconds(60),
    projectRoot: props.projectRoot,
    environment: { BID_EVENTS_STREAM: props.bidEvents.streamName },
  });
  // Exactly the consumer's calls: marker puts, the day total and watermark updates, the replay check.
  consumer.bind(props.spendTable, { envVar: 'SPEND_TABLE_NAME', access: SPEND_CONSUMER_GRANT });
  consumer.addEventSource(
    new KinesisEventSource(props.bidEvents, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(1),
      // One advertiser's events stay in order (partition key = advertiser) and one poison record
      // never blocks the shard: failures are reported per record, failing batches are split,
      // retries are bounded, and what is left goes to the DLQ (record metadata, not the payload;
      // the payload stays in the stream for its 48 h retention).
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 5,
      maxRecordAge: Duration.hours(24),
      onFailure: new SqsDlq(dlq),
    }),
  );
  return { consumer, dlq };
}
