/**
 * AppliedEvents on the changeEvents table (infra/stacks/data-stack.ts; docs/data-model.md): one item per
 * (consumer, event), `pk` = APPLIED#<consumer>#<eventId>, `expiresAt` (TTL, epoch seconds) =
 * now + APPLIED_EVENT_RETENTION_SECONDS, plus `consumer`, `eventId` and `appliedAt` for whoever reads
 * the table by hand.
 *
 * markApplied is a conditional PutItem (`attribute_not_exists(pk)`): the first writer wins, a redelivery
 * learns it lost. hasApplied is a consistent GetItem, so a marker just written is seen. A consumer whose
 * effect is a DynamoDB write puts `appliedEventMarkerPut(...)` in the same TransactWriteItems as its
 * effect instead. Needs PutItem and GetItem on the table (APPLIED_EVENTS_GRANT).
 *
 * A marker past its expiry but not yet deleted by TTL (deletion is lazy) still counts as applied: the
 * retention is far longer than any redelivery window, so an expired marker is never a real question.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { APPLIED_EVENT_RETENTION_SECONDS, type AppliedEvents } from '../../ports/applied-events.js';

export const appliedEventPk = (consumer: string, eventId: string): string => `APPLIED#${consumer}#${eventId}`;

/** The marker item of `consumer` applying `eventId` at `nowMs`. */
export function appliedEventItem(consumer: string, eventId: string, nowMs: number): Record<string, unknown> {
  return {
    pk: appliedEventPk(consumer, eventId),
    consumer,
    eventId,
    appliedAt: new Date(nowMs).toISOString(),
    expiresAt: Math.floor(nowMs / 1000) + APPLIED_EVENT_RETENTION_SECONDS,
  };
}

/** A TransactWriteItems Put of the marker, without TableName (the caller adds its table's name). */
export function appliedEventMarker(
  consumer: string,
  eventId: string,
  nowMs: number,
): { Put: { Item: Record<string, unknown>; ConditionExpression: string } } {
  return { Put: { Item: appliedEventItem(consumer, eventId, nowMs), ConditionExpression: 'attribute_not_exists(pk)' } };
}

/**
 * The same Put with its table: put it in the transaction of the consumer's effect. A redelivered event
 * fails the condition, which cancels the whole transaction (the effect is not applied twice).
 */
export function appliedEventMarkerPut(
  tableName: string,
  consumer: string,
  eventId: string,
  nowMs: number,
): { Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression: string } } {
  const { Put } = appliedEventMarker(consumer, eventId, nowMs);
  return { Put: { TableName: tableName, ...Put } };
}

export interface DynamoAppliedEventsOptions {
  client: DynamoDBDocumentClient;
  /** The changeEvents table (CHANGE_EVENTS_TABLE_NAME). */
  tableName: string;
  clock?: () => number;
}

export class DynamoAppliedEvents implements AppliedEvents {
  private readonly clock: () => number;

  constructor(private readonly options: DynamoAppliedEventsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async markApplied(consumer: string, eventId: string): Promise<boolean> {
    try {
      await this.options.client.send(new PutCommand(appliedEventMarkerPut(this.options.tableName, consumer, eventId, this.clock()).Put));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async hasApplied(consumer: string, eventId: string): Promise<boolean> {
    const result = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: appliedEventPk(consumer, eventId) },
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return result.Item !== undefined;
  }
}
