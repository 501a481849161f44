import type { DynamoDBRecord } from 'aws-lambda';
import type { EntityChange } from '../domain-events/types.js';

/**
 * What a stream record carries, as the change processor needs it (the DynamoDB adapter reads records:
 * shared/adapters/dynamodb/stream-changes.ts).
 */
export type StreamChange =
  /** A deal or campaign change: becomes a domain event. */
  | { kind: 'entity'; dealId: string; change: EntityChange }
  /** An item no event describes (deal budget, bidding settings): acknowledged, nothing published. */
  | { kind: 'ignored'; dealId?: string; itemKind: string }
  /** A record the domain cannot read (it goes to the dead-letter queue with this error). */
  | { kind: 'unreadable'; dealId?: string; error: Error };

export type ReadStreamChange = (record: DynamoDBRecord) => StreamChange;
