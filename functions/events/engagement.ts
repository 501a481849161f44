/**
 * Engagement consumer: reads its SQS FIFO queue of domain events (message group = deal id) and moves
 * each event's deal score, exactly once per event id (shared/engagement/apply.ts; docs/engagement.md).
 *
 * A failing message (undecodable, or a store failure after its retries) is reported on its own; with
 * skipGroupOnError the rest of its deal's messages in the batch are reported too (so a deal's events
 * are never applied out of order), while other deals' messages go on. SQS redelivers what was reported;
 * after CONSUMER_MAX_RECEIVES a message goes to the consumer's dead-letter queue.
 */
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoEngagementStore } from '../../shared/adapters/dynamodb/engagement-store.js';
import { decodeDomainEvent } from '../../shared/domain-events/codec.js';
import { applyEngagementEvent, type EngagementScoring } from '../../shared/engagement/apply.js';
import { loadEngagementConsumerConfig } from './engagement-config.js';

export interface EngagementConsumerDeps extends EngagementScoring {
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

const OUTCOME_METRICS = { applied: 'EventsApplied', duplicate: 'EventsDuplicate', ignored: 'EventsIgnored' } as const;

export function makeHandler(deps: EngagementConsumerDeps) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-engagement';
  const logger = deps.logger ?? new Logger({ serviceName, persistentKeys: { consumer: deps.consumer } });
  const metrics = deps.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dealdesk', serviceName });

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      const event = decodeDomainEvent(record.body);
      const outcome = await applyEngagementEvent(deps, event);
      metrics.addMetric(OUTCOME_METRICS[outcome.status], MetricUnit.Count, 1);
      const detail =
        outcome.status === 'ignored' ? { reason: outcome.reason } : outcome.status === 'applied' && outcome.record ? { score: outcome.record.score, tier: outcome.record.tier } : {};
      logger.debug('event handled', { eventId: event.eventId, dealId: event.dealId, type: event.type, version: event.version, outcome: outcome.status, ...detail });
    } catch (error) {
      metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
      logger.error('event failed', { messageId: record.messageId, messageGroupId: record.attributes?.MessageGroupId, error: error as Error });
      throw error;
    }
  };

  const core = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    // A processor per invocation: it keeps the batch's state while it runs.
    processPartialResponse(event, recordHandler, new SqsFifoPartialProcessorAsync(), {
      context,
      skipGroupOnError: true,
      // Every message failing is reported like any partial failure, not thrown as one error.
      throwOnFullBatchFailure: false,
    });

  return middy<SQSEvent, SQSBatchResponse>(core)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** The deployed dependencies, from the environment (engagement-config.ts), built once per cold start. */
export function productionEngagementDeps(): EngagementConsumerDeps {
  const config = loadEngagementConsumerConfig();
  const store = new DynamoEngagementStore({
    client: createDocumentClient(),
    tableName: config.ENGAGEMENT_TABLE_NAME,
    changeEventsTableName: config.CHANGE_EVENTS_TABLE_NAME,
  });
  return { store, consumer: config.EVENT_CONSUMER_NAME };
}

export const handler = makeHandler(productionEngagementDeps());
