import type { DynamoDBRecord } from 'aws-lambda';

/**
 * A stream record the change processor could not turn into a published event, with everything needed
 * to replay it (the stream's own on-failure destination keeps only the shard and sequence numbers,
 * which expire with the stream's 24-hour retention).
 */
export interface ChangeDeadLetter {
  /** The whole stream record, as Lambda delivered it (keys, old and new images, sequence number). */
  record: DynamoDBRecord;
  /** The deal the record belongs to: the dead-letter queue's message group, so replays keep its order. */
  dealId: string;
  /** The stream record's eventID (the domain event id it becomes). */
  eventId: string;
  /**
   * `failed`: processing it failed `attempts` times. `held`: it was never tried, because an earlier
   * record of the same deal is dead-lettered (publishing it would put a later version before an
   * earlier one).
   */
  reason: 'failed' | 'held';
  error: { name: string; message: string };
  /** Attempts made so far (in the processor, then by each redrive). */
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
}

export interface ReceivedDeadLetter {
  /** Absent when the message is not a dead letter this processor wrote (it stays for a person to read). */
  letter?: ChangeDeadLetter;
  /** The message as stored. */
  body: string;
  /** Opaque handle for remove() and returnToQueue(). */
  receipt: string;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
}

/** The change processor's dead-letter queue (SQS FIFO, message group = deal id). */
export interface ChangeDeadLetterQueue {
  send(letters: readonly ChangeDeadLetter[]): Promise<void>;
  /** Up to `max` letters, each deal's in the order they were sent; hidden from other readers meanwhile. */
  receive(options: { max: number; waitSeconds?: number }): Promise<ReceivedDeadLetter[]>;
  remove(receipts: readonly string[]): Promise<void>;
  /** Makes received letters visible again at once (they stay at the head of their deal's group). */
  returnToQueue(receipts: readonly string[]): Promise<void>;
}
