/**
 * The engagement use case: one domain event moves its deal's score, exactly once per consumer. The
 * store loads what it holds, the pure model computes the step, the store writes it with the event's
 * applied marker (and computes again if another writer got there first).
 */
import type { DomainEvent } from '../domain-events/types.js';
import type { ApplyOutcome, EngagementStore } from '../ports/engagement-store.js';
import { DEFAULT_ENGAGEMENT_CONFIG, type EngagementConfig } from './config.js';
import { applyEvent } from './model.js';

export interface EngagementScoring {
  store: EngagementStore;
  /** The consumer's name in the applied markers (EVENT_CONSUMER_NAME). */
  consumer: string;
  config?: EngagementConfig;
  clock?: () => Date;
}

export async function applyEngagementEvent(scoring: EngagementScoring, event: DomainEvent): Promise<ApplyOutcome> {
  const config = scoring.config ?? DEFAULT_ENGAGEMENT_CONFIG;
  const computedAt = (scoring.clock ?? (() => new Date()))().toISOString();
  return scoring.store.applyOnce(scoring.consumer, event, (current) => applyEvent(current, event, config, computedAt));
}
