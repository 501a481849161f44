/**
 * The change processor: the `deals` table's stream (event source mapping, ReportBatchItemFailures) →
 * domain events on the domain-events topic (shared/change-capture/process-changes.ts). Records that
 * cannot be published are dead-lettered with their whole record by the use case; only a record whose
 * dead-lettering failed is reported back (Powertools batch), and Lambda retries from it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { processChanges, type ChangeProcessorDeps } from '../../shared/change-capture/process-changes.js';
import { productionChangeCaptureDeps } from './change-capture-deps.js';

export interface ProcessorHandlerDeps extends ChangeProcessorDeps {
  logger?: Logger;
  metrics?: Metrics;
}

export function makeHandler(deps: ProcessorHandlerDeps) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-change-processor';
  const logger = deps.logger ?? new Logger({ serviceName });
  const metrics = deps.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'DealDesk', serviceName });

  const core = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    const records = event.Records ?? [];
    const batch = await processChanges(records, deps);
    const failed = new Set(batch.failedRecords);
    const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
      if (failed.has(record)) throw new Error(`dead-lettering ${record.eventID ?? 'a record'} failed; the event source mapping retries it`);
    };
    const response = await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.DynamoDBStreams), {
      context,
      throwOnFullBatchFailure: false,
    });
    const lagMs = Math.max(0, ...records.map((r) => Date.now() - (r.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000));
    metrics.addMetric('ChangeRecordsProcessed', MetricUnit.Count, records.length);
    metrics.addMetric('DomainEventsPublished', MetricUnit.Count, batch.published.length);
    metrics.addMetric('ChangeRecordsDeadLettered', MetricUnit.Count, batch.deadLettered.length);
    metrics.addMetric('ChangeRecordsFailed', MetricUnit.Count, batch.failedRecords.length);
    metrics.addMetric('ChangeProcessingLag', MetricUnit.Milliseconds, lagMs);
    for (const letter of batch.deadLettered) {
      logger.error('change dead-lettered', { eventId: letter.eventId, dealId: letter.dealId, reason: letter.reason, attempts: letter.attempts, error: letter.error });
    }
    logger.info('changes processed', {
      records: records.length,
      published: batch.published.length,
      ignored: batch.ignored,
      deadLettered: batch.deadLettered.length,
      failed: batch.failedRecords.length,
    });
    return response as DynamoDBBatchResponse;
  };

  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>(core)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

let deployed: ReturnType<typeof makeHandler> | undefined;

/** The deployed handler: adapters from the environment, built on the first invocation (config errors name the variable). */
export const handler: ReturnType<typeof makeHandler> = ((event: never, context: never) =>
  (deployed ??= makeHandler(productionChangeCaptureDeps()))(event, context)) as never;
