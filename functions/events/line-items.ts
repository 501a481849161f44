/**
 * Line-item consumer: reads its SQS FIFO queue of domain events (message group = deal id; the queue's
 * subscription takes only LINE_ITEM_EVENT_TYPES) and appends each event's change to the line-item feed,
 * the Redis stream every bidder task reads to reload that deal within seconds (shared/bidding/
 * line-item-push.ts; docs/bidder.md, "Line items by push"). An event is appended once per event id
 * (applied-event markers in the changeEvents table).
 *
 * Batches, partial failures and per-deal order: domain-event-consumer.ts. A change that ends in the
 * consumer's dead-letter queue still reaches the bidders with their full refresh.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { pushLineItemChange, type LineItemPushDeps } from '../../shared/bidding/line-item-push.js';
import { domainEventConsumer } from './domain-event-consumer.js';
import { productionLineItemDeps } from './line-items-deps.js';

export interface LineItemConsumerOptions {
  /** Built on first use (the Redis token may have to be read first). */
  deps: () => Promise<LineItemPushDeps>;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

export function makeHandler(options: LineItemConsumerOptions) {
  return domainEventConsumer({
    serviceName: 'dealdesk-line-items',
    consumer: process.env.EVENT_CONSUMER_NAME ?? 'line-items',
    logger: options.logger,
    metrics: options.metrics,
    apply: async (event) => {
      const outcome = await pushLineItemChange(event, await options.deps());
      return { outcome: outcome === 'pushed' ? 'applied' : outcome };
    },
  });
}

export const handler = makeHandler({ deps: productionLineItemDeps() });
