/**
 * Which domain events a consumer has applied, so a redelivered or replayed event has exactly one effect.
 * Kept 7 days per event (DynamoDB, conditional write, TTL). A consumer whose effect is itself a DynamoDB
 * write puts the marker in the same transaction instead (see the engagement store).
 */
export interface AppliedEvents {
  /** Records that `consumer` applied `eventId`; false when it already had (nothing recorded). */
  markApplied(consumer: string, eventId: string): Promise<boolean>;
  hasApplied(consumer: string, eventId: string): Promise<boolean>;
}

export const APPLIED_EVENT_RETENTION_SECONDS = 7 * 24 * 3600;
