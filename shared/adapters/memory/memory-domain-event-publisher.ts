import type { DomainEvent } from '../../domain-events/types.js';
import type { DomainEventPublisher, PublishOutcome } from '../../ports/domain-events.js';

/**
 * Keeps published events in memory, deduplicated by event id like the topic. `refuse` makes the
 * publisher fail chosen events, honouring the port's per-deal order rule: an Error is a failure that
 * may pass (retryable), `{ error, retryable: false }` a refusal no retry changes.
 */
export class MemoryDomainEventPublisher implements DomainEventPublisher {
  readonly published: DomainEvent[] = [];
  /** Every publish attempt per event id (including refused ones). */
  readonly attempts = new Map<string, number>();
  refuse: (event: DomainEvent) => Error | { error: Error; retryable: boolean } | undefined = () => undefined;
  private readonly seen = new Set<string>();

  async publish(events: readonly DomainEvent[]): Promise<PublishOutcome[]> {
    const failedDeals = new Set<string>();
    return events.map((event) => {
      this.attempts.set(event.eventId, (this.attempts.get(event.eventId) ?? 0) + 1);
      if (failedDeals.has(event.dealId)) return { eventId: event.eventId, ok: false, error: new Error(`behind a failed event of deal ${event.dealId}`), retryable: true };
      const refusal = this.refuse(event);
      if (refusal) {
        failedDeals.add(event.dealId);
        return refusal instanceof Error
          ? { eventId: event.eventId, ok: false, error: refusal, retryable: true }
          : { eventId: event.eventId, ok: false, error: refusal.error, retryable: refusal.retryable };
      }
      if (!this.seen.has(event.eventId)) {
        this.seen.add(event.eventId);
        this.published.push(event);
      }
      return { eventId: event.eventId, ok: true };
    });
  }
}
