/**
 * Engagement consumer: reads its SQS FIFO queue of domain events (message group = deal id) and moves
 * each event's deal score, exactly once per event id (shared/engagement/apply.ts; docs/engagement.md).
 *
 * Batches, partial failures and per-deal order: domain-event-consumer.ts.
 */
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoEngagementStore } from '../../shared/adapters/dynamodb/engagement-store.js';
import { applyEngagementEvent, type EngagementScoring } from '../../shared/engagement/apply.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { domainEventConsumer } from './domain-event-consumer.js';
import { loadEngagementConsumerConfig } from './engagement-config.js';

export interface EngagementConsumerDeps extends EngagementScoring {
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

export function makeHandler(deps: EngagementConsumerDeps) {
  return domainEventConsumer({
    serviceName: 'dealdesk-engagement',
    consumer: deps.consumer,
    logger: deps.logger,
    metrics: deps.metrics,
    apply: async (event) => {
      const result = await applyEngagementEvent(deps, event);
      if (result.status === 'ignored') return { outcome: 'ignored', detail: { reason: result.reason } };
      if (result.status === 'applied' && result.record) return { outcome: 'applied', detail: { score: result.record.score, tier: result.record.tier } };
      return { outcome: result.status };
    },
  });
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
