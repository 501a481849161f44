import type { BidderEvent } from '../events/types.js';

/**
 * Where the bidder hands its events (auctions and notices). `publish` is called on the hot path: it must
 * return at once, never wait for I/O and never throw; an implementation that cannot take an event drops
 * it and counts the drop (the bidder's answer matters more than one event).
 */
export interface EventSink {
  publish(event: BidderEvent): void;
  /** Sends whatever is buffered; resolves when it was sent or given up on (or `deadlineMs` passed). */
  flush(options?: { deadlineMs?: number }): Promise<void>;
  /** Stops taking events and drains within the deadline (shutdown). Safe to call twice. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}
