/**
 * The middy handler every domain-event consumer shares: reads its SQS FIFO queue (message group = deal
 * id), decodes each message and hands the event to the consumer's use case, counting what it did.
 *
 * A failing message (undecodable, or the use case failing after its retries) is reported on its own;
 * with skipGroupOnError the rest of its deal's messages in the batch are reported too, so a deal's events
 * are never applied out of order, while other deals go on. SQS redelivers what was reported; after
 * CONSUMER_MAX_RECEIVES a message goes to the consumer's dead-letter queue.
 */
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeDomainEvent } from '../../shared/domain-events/codec.js';
import type { DomainEvent } from '../../shared/domain-events/types.js';

export type ConsumerOutcome = 'applied' | 'duplicate' | 'ignored';

const OUTCOME_METRICS: Readonly<Record<ConsumerOutcome, string>> = { applied: 'EventsApplied', duplicate: 'EventsDuplicate', ignored: 'EventsIgnored' };

export interface DomainEventConsumerOptions {
  /** POWERTOOLS_SERVICE_NAME when the environment does not set it. */
  serviceName: string;
  /** The consumer's name (EVENT_CONSUMER_NAME), on every log line. */
  consumer: string;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
  /** Applies one event; `detail` goes on its debug log line. */
  apply(event: DomainEvent): Promise<{ outcome: ConsumerOutcome; detail?: Record<string, unknown> }>;
}

export function domainEventConsumer(options: DomainEventConsumerOptions) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? options.serviceName;
  const logger = options.logger ?? new Logger({ serviceName, persistentKeys: { consumer: options.consumer } });
  const metrics = options.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'DealDesk', serviceName });

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      const event = decodeDomainEvent(record.body);
      const { outcome, detail } = await options.apply(event);
      metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
      logger.debug('event handled', { eventId: event.eventId, dealId: event.dealId, type: event.type, version: event.version, outcome, ...detail });
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
