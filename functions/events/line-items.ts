/**
 * Line-item consumer: reads its SQS FIFO queue of domain events (message group = deal id; the queue's
 * subscription takes only LINE_ITEM_EVENT_TYPES) and appends each event's change to the line-item feed,
 * the Redis stream every bidder task reads to reload that deal within seconds (shared/bidding/
 * line-item-push.ts; docs/bidder.md, "Line items by push"). An event is appended once per event id
 * (applied-event markers in the changeEvents table).
 *
 * A failing message (undecodable, Redis or DynamoDB unreachable) is reported on its own; with
 * skipGroupOnError the rest of its deal's messages in the batch are reported too, so a deal's changes
 * are never appended out of order, while other deals go on. SQS redelivers what was reported; after
 * CONSUMER_MAX_RECEIVES a message goes to the consumer's dead-letter queue (the bidders' full refresh
 * still brings the change).
 */
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { pushLineItemChange, type LineItemPushDeps } from '../../shared/bidding/line-item-push.js';
import { decodeDomainEvent } from '../../shared/domain-events/codec.js';
import { productionLineItemDeps } from './line-items-deps.js';

export interface LineItemConsumerOptions {
  /** Built on first use (the Redis token may have to be read first). */
  deps: () => Promise<LineItemPushDeps>;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

const OUTCOME_METRICS = { pushed: 'EventsApplied', duplicate: 'EventsDuplicate', ignored: 'EventsIgnored' } as const;

export function makeHandler(options: LineItemConsumerOptions) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-line-items';
  const logger = options.logger ?? new Logger({ serviceName, persistentKeys: { consumer: process.env.EVENT_CONSUMER_NAME ?? 'line-items' } });
  const metrics = options.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dealdesk', serviceName });

  const core = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deps = await options.deps();
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      try {
        const domainEvent = decodeDomainEvent(record.body);
        const outcome = await pushLineItemChange(domainEvent, deps);
        metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
        logger.debug('event handled', { eventId: domainEvent.eventId, dealId: domainEvent.dealId, type: domainEvent.type, version: domainEvent.version, outcome });
      } catch (error) {
        metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
        logger.error('event failed', { messageId: record.messageId, messageGroupId: record.attributes?.MessageGroupId, error: error as Error });
        throw error;
      }
    };
    // A processor per invocation: it keeps the batch's state while it runs.
    return processPartialResponse(event, recordHandler, new SqsFifoPartialProcessorAsync(), {
      context,
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
  };

  return middy<SQSEvent, SQSBatchResponse>(core)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

export const handler = makeHandler({ deps: productionLineItemDeps() });
