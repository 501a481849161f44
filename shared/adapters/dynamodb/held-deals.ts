/**
 * Held deals in the changeEvents table: item `HELD#<dealId>` with the string set `eventIds` of the
 * deal's records waiting in the dead-letter queue. Adding or deleting a set member is idempotent, so a
 * retried hold or release changes nothing; the item is removed once its set is empty (only then, by a
 * conditional delete, so a hold racing a release is never lost). No TTL: a deal stays held until
 * its events were replayed, however long that takes.
 */
import { BatchGetCommand, type BatchGetCommandOutput, DeleteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HeldDeals } from '../../ports/held-deals.js';

const heldKey = (dealId: string) => ({ pk: `HELD#${dealId}` });
const BATCH_GET_MAX = 100;

export class DynamoHeldDeals implements HeldDeals {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async heldAmong(dealIds: readonly string[]): Promise<Set<string>> {
    const held = new Set<string>();
    const unique = [...new Set(dealIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH_GET_MAX).map(heldKey);
      // Unprocessed keys (throttling) are asked again until none is left.
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 25 * 2 ** attempt)));
        const out: BatchGetCommandOutput = await this.options.client.send(
          new BatchGetCommand({ RequestItems: { [this.options.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'pk' } } }),
        );
        for (const item of out.Responses?.[this.options.tableName] ?? []) held.add(String(item.pk).slice('HELD#'.length));
        keys = out.UnprocessedKeys?.[this.options.tableName]?.Keys;
      }
    }
    return held;
  }

  async hold(dealId: string, eventId: string): Promise<void> {
    await this.options.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: heldKey(dealId),
        UpdateExpression: 'ADD eventIds :event SET dealId = :deal, kind = :kind, heldSince = if_not_exists(heldSince, :now)',
        ExpressionAttributeValues: { ':event': new Set([eventId]), ':deal': dealId, ':kind': 'heldDeal', ':now': new Date().toISOString() },
      }),
    );
  }

  async release(dealId: string, eventId: string): Promise<void> {
    let remaining: unknown;
    try {
      const out = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: heldKey(dealId),
          UpdateExpression: 'DELETE eventIds :event',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':event': new Set([eventId]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      remaining = out.Attributes?.eventIds;
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      return; // not held at all
    }
    if (remaining !== undefined) return;
    // DynamoDB removed the emptied set: drop the item, unless a hold came in meanwhile.
    await this.options.client.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: heldKey(dealId), ConditionExpression: 'attribute_not_exists(eventIds)' }),
    ).catch((err: Error) => {
      if (err.name !== 'ConditionalCheckFailedException') throw err;
    });
  }
}
