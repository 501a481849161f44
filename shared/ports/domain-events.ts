import type { DomainEvent } from '../domain-events/types.js';

export type PublishOutcome =
  | { eventId: string; ok: true }
  /**
   * `retryable`: the failure may pass (throttling, a 5xx, an outage); false when the topic refused the
   * event itself (an invalid parameter, a message too large), which no retry changes.
   */
  | { eventId: string; ok: false; error: Error; retryable: boolean };

/**
 * Where the change processor hands domain events for every consumer (an SNS FIFO topic in AWS and
 * locally; memory in tests). Contract:
 *   - events of one deal are published in the order given; once one of a deal's events fails, that
 *     deal's later events in the call are not published (they fail too), so no consumer can see a
 *     later version before an earlier one;
 *   - publishing an event id again is harmless (deduplicated by the transport, and by each consumer);
 *   - never throws for a per-event failure: one outcome per event, in the order given.
 */
export interface DomainEventPublisher {
  publish(events: readonly DomainEvent[]): Promise<PublishOutcome[]>;
}
