/**
 * Deals whose events wait in the dead-letter queue behind a failed record. While a deal is held, the
 * change processor dead-letters its later records too (reason `held`) instead of publishing them, so
 * consumers never see a later version before the earlier one; a redrive releases each event it replays.
 * Idempotent: holding or releasing the same event twice changes nothing.
 */
export interface HeldDeals {
  /** Which of these deals are held now. */
  heldAmong(dealIds: readonly string[]): Promise<Set<string>>;
  hold(dealId: string, eventId: string): Promise<void>;
  /** The deal stops being held when its last held event is released. */
  release(dealId: string, eventId: string): Promise<void>;
}
