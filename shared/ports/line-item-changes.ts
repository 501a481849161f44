/**
 * The push channel of the bidder's line items: every change of a deal or campaign that may matter to
 * bidding is appended here (by the line-item consumer of the domain events), and every bidder task
 * reads all of it (a broadcast, unlike a queue) to reload the deals named. An entry names what changed,
 * never its content: a task reloads the deal from the table, so entries appended twice or read out of
 * step with the table are harmless (reloads are version-gated). Redis stream in AWS and locally; memory
 * in tests.
 */
import type { DomainEventType } from '../domain-events/types.js';

export interface LineItemChange {
  dealId: string;
  entity: 'deal' | 'campaign';
  entityId: string;
  /** The entity's version after the change (before it, for `*.removed`). */
  version: number;
  type: DomainEventType;
  eventId: string;
  /** When the change was made (the event's `at`, ISO-8601): push lag is measured from it. */
  at: string;
}

/** Where a reader stands in the feed. Opaque: hand back what `latest` or `readAfter` returned. */
export interface FeedPosition {
  readonly id: string;
  /** How many entries the feed had taken in when this position was read; a smaller count later means the feed was recreated. */
  readonly added: number;
}

export type FeedRead =
  /**
   * The changes after the position (none when the wait ended first), the position after them, and how
   * many entries were passed over because they were not changes (nothing this project writes).
   */
  | { kind: 'changes'; changes: LineItemChange[]; position: FeedPosition; malformed: number }
  /**
   * Changes after the position may be lost: trimmed away while the reader was behind, or the feed was
   * lost and recreated. The reader takes `latest()`, reloads everything, then reads from there.
   */
  | { kind: 'gap'; reason: 'trimmed' | 'reset' };

export interface LineItemChangePublisher {
  /** Appends one change; resolves once it is stored (and replicated, where the adapter waits for that). */
  publish(change: LineItemChange): Promise<void>;
}

export interface LineItemChangeFeed {
  /** The position of the newest change now: reading from it returns only later changes. */
  latest(): Promise<FeedPosition>;
  /** Up to `maxChanges` changes after `position`, waiting up to `maxWaitMs` for the first one. */
  readAfter(position: FeedPosition, options: { maxWaitMs: number; maxChanges: number }): Promise<FeedRead>;
  /** Ends a read in progress (it rejects) and every later one. */
  close(): void;
}

export interface LineItemChanges extends LineItemChangePublisher, LineItemChangeFeed {}

/** The start of an empty or absent feed. */
export const FEED_START: FeedPosition = Object.freeze({ id: '0-0', added: 0 });
