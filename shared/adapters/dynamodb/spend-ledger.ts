/**
 * SpendLedger on DynamoDB: committed spend per campaign-day, counted exactly once per event id.
 *
 * Items (spend table, pk/sk strings; docs/data-model.md):
 *   total   pk CAMPAIGN#<campaignId>  sk DAY#<yyyy-mm-dd>   amountNanos (N), events (N), campaignId, day, updatedAt;
 *           openedAt, openedBy once a bidder opened the day in its allocator (openCampaignDay)
 *   marker  pk CAMPAIGN#<campaignId>  sk EVENT#<eventId>    amountNanos, day, recordedAt, expiresAt (TTL)
 *   watermark pk CONSUMER#spend       sk SHARD#<shardId>    watermarkMs (N), updatedAt — newest event time
 *           the consumer has recorded through, per stream shard (monotonic conditional update)
 *
 * Exactly-once effect: one TransactWriteItems per campaign-day chunk puts a marker per event
 * (`attribute_not_exists(pk)`) and ADDs the chunk's sum to the day's total. A replayed event fails its
 * marker's condition, which cancels the whole transaction, so nothing is added twice; the adapter then
 * drops the events whose markers already exist (CancellationReasons, per item in order) and commits the
 * rest. A chunk is up to 99 markers + 1 total (the 100-action transaction limit), so a Kinesis batch of
 * one campaign costs one transaction, not one per impression, and concurrent writers do not fight over the
 * total item (TransactionConflict is retried with backoff anyway). DynamoDB Local 1.11 still has the old
 * 10-action limit: a ValidationException naming a lower limit lowers the chunk size and the chunk is
 * resent (nothing was written: a transaction that fails validation has no effect).
 *
 * Markers expire (TTL `expiresAt`, default 35 days) to keep the table small; that must stay longer than
 * the event stream's retention plus the consumer's retry window, or a very late replay could count twice.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CampaignDayOpening, CampaignDaySpend, RecordSpendResult, SpendEntry, SpendLedger } from '../../ports/spend-ledger.js';

export const SPEND_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const SPEND_TTL_ATTRIBUTE = 'expiresAt';

export const spendKeys = {
  pk: (campaignId: string) => `CAMPAIGN#${campaignId}`,
  day: (day: string) => `DAY#${day}`,
  event: (eventId: string) => `EVENT#${eventId}`,
  consumer: 'CONSUMER#spend',
  shard: (shard: string) => `SHARD#${shard}`,
} as const;

/**
 * Every attribute openCampaignDay's UpdateItem names (keys included): the bidders' IAM policy allows
 * UpdateItem on the spend table for these only (infra/stacks/bidding-stack.ts).
 */
export const CAMPAIGN_DAY_OPENING_ATTRIBUTES = ['pk', 'sk', 'openedAt', 'openedBy'] as const;

/** Actions per TransactWriteItems in DynamoDB (markers + the total's update). */
export const MAX_TRANSACT_ITEMS = 100;

class TransactionLimitLowered extends Error {}

export interface DynamoSpendLedgerOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long an event marker is kept (TTL), seconds. Default 35 days. */
  markerTtlSeconds?: number;
  /** Attempts per transaction when DynamoDB throttles or a concurrent transaction conflicts. Default 6. */
  maxAttempts?: number;
  /** Campaign-day groups written in parallel. Default 8. */
  concurrency?: number;
  /** Actions per transaction (markers + 1). Default 100; lowered by itself when the service names a lower limit. */
  maxTransactItems?: number;
  clock?: () => Date;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const RETRYABLE_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
const RETRYABLE_ERRORS = new Set([
  'TransactionConflictException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
]);

export class DynamoSpendLedger implements SpendLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly markerTtlSeconds: number;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly clock: () => Date;
  private maxTransactItems: number;

  constructor(options: DynamoSpendLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.markerTtlSeconds = options.markerTtlSeconds ?? 35 * 24 * 3600;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.concurrency = options.concurrency ?? 8;
    this.clock = options.clock ?? (() => new Date());
    this.maxTransactItems = Math.max(2, Math.min(MAX_TRANSACT_ITEMS, options.maxTransactItems ?? MAX_TRANSACT_ITEMS));
  }

  async recordSpend(entries: readonly SpendEntry[]): Promise<RecordSpendResult> {
    const seen = new Set<string>();
    const groups = new Map<string, SpendEntry[]>();
    let duplicates = 0;
    for (const entry of entries) {
      validate(entry);
      if (seen.has(entry.eventId)) {
        duplicates += 1;
        continue;
      }
      seen.add(entry.eventId);
      const key = `${entry.campaignId}\n${entry.day}`;
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    const result: RecordSpendResult = { recorded: 0, duplicates };
    const work = [...groups.values()];
    const worker = async () => {
      for (let group = work.shift(); group; group = work.shift()) {
        // Chunks of one campaign-day go one after the other: they update the same total item.
        for (let i = 0; i < group.length; ) {
          const chunk = group.slice(i, i + this.maxTransactItems - 1);
          try {
            const outcome = await this.writeChunk(chunk);
            result.recorded += outcome.recorded;
            result.duplicates += outcome.duplicates;
            i += chunk.length;
          } catch (err) {
            if (!(err instanceof TransactionLimitLowered)) throw err;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, work.length) }, worker));
    return result;
  }

  async getSpend(campaignId: string, day: string): Promise<CampaignDaySpend> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: spendKeys.pk(campaignId), sk: spendKeys.day(day) },
        ConsistentRead: true,
      }),
    );
    const item = out.Item as { amountNanos?: number; events?: number } | undefined;
    return { campaignId, day, amountNanos: Number(item?.amountNanos ?? 0), events: Number(item?.events ?? 0) };
  }

  async recordWatermark(shard: string, eventTimeMs: number): Promise<void> {
    if (!shard) throw new RangeError('watermark without shard');
    if (!Number.isSafeInteger(eventTimeMs) || eventTimeMs < 0) throw new RangeError(`watermark must be epoch ms, got ${eventTimeMs}`);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: spendKeys.consumer, sk: spendKeys.shard(shard) },
          UpdateExpression: 'SET watermarkMs = :t, kind = :kind, #shard = :s, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(watermarkMs) OR watermarkMs < :t',
          ExpressionAttributeNames: { '#shard': 'shard' },
          ExpressionAttributeValues: { ':t': eventTimeMs, ':kind': 'spendWatermark', ':s': shard, ':now': this.clock().toISOString() },
        }),
      );
    } catch (err) {
      // Already at or past this time: monotonic, nothing to do.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async coveredUntil(shards: readonly string[]): Promise<number | undefined> {
    const keys = [...new Set(shards)].map((shard) => ({ pk: spendKeys.consumer, sk: spendKeys.shard(shard) }));
    const items = await this.consistentBatchGet(keys, 'sk, watermarkMs');
    const watermarks = items.map((item) => Number(item.watermarkMs));
    // A shard without a watermark proves nothing: its unread records may hold bills.
    if (keys.length === 0 || watermarks.length < keys.length || watermarks.some((t) => !Number.isFinite(t))) return undefined;
    return Math.min(...watermarks);
  }

  async openCampaignDay(campaignId: string, day: string, openedBy: string): Promise<CampaignDayOpening> {
    if (!DAY.test(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${day}`);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: spendKeys.pk(campaignId), sk: spendKeys.day(day) },
          UpdateExpression: 'SET openedAt = :now, openedBy = :by',
          ConditionExpression: 'attribute_not_exists(openedAt)',
          ExpressionAttributeValues: { ':now': this.clock().toISOString(), ':by': openedBy },
        }),
      );
      return 'opened';
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return 'already_open';
      throw err;
    }
  }

  /** One campaign-day, ≤ 99 events: commits the ones not recorded before, exactly once. */
  private async writeChunk(chunk: SpendEntry[]): Promise<RecordSpendResult> {
    let pending = chunk;
    let duplicates = 0;
    let attempt = 0;
    while (pending.length > 0) {
      const now = this.clock();
      const { campaignId, day } = pending[0]!;
      const pk = spendKeys.pk(campaignId);
      const sum = pending.reduce((s, e) => s + e.amountNanos, 0);
      if (!Number.isSafeInteger(sum)) throw new RangeError(`spend of ${campaignId}/${day} exceeds safe integers`);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              ...pending.map((e) => ({
                Put: {
                  TableName: this.tableName,
                  Item: {
                    pk,
                    sk: spendKeys.event(e.eventId),
                    kind: 'spendEvent',
                    eventId: e.eventId,
                    campaignId,
                    day,
                    amountNanos: e.amountNanos,
                    recordedAt: now.toISOString(),
                    [SPEND_TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + this.markerTtlSeconds,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              })),
              {
                Update: {
                  TableName: this.tableName,
                  Key: { pk, sk: spendKeys.day(day) },
                  UpdateExpression: 'ADD amountNanos :sum, events :n SET kind = :kind, campaignId = :c, #day = :d, updatedAt = :now',
                  ExpressionAttributeNames: { '#day': 'day' },
                  ExpressionAttributeValues: {
                    ':sum': sum,
                    ':n': pending.length,
                    ':kind': 'spendDay',
                    ':c': campaignId,
                    ':d': day,
                    ':now': now.toISOString(),
                  },
                },
              },
            ],
          }),
        );
        return { recorded: pending.length, duplicates };
      } catch (err) {
        const name = (err as Error).name;
        const codes =
          name === 'TransactionCanceledException'
            ? ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None')
            : undefined;
        const flagged = pending.filter((_, i) => codes?.[i] === 'ConditionalCheckFailed');
        if (flagged.length > 0) {
          // Replays: their markers exist. A flagged marker that does not exist (DynamoDB Local reports
          // contention as ConditionalCheckFailed) is not a replay: only markers read back count.
          const existing = await this.existingMarkers(pk, flagged);
          if (existing.size > 0) {
            duplicates += existing.size;
            pending = pending.filter((e) => !existing.has(e.eventId));
            continue; // progress was made: no attempt used
          }
        }
        const limit = name === 'ValidationException' ? /less than or equal to (\d+)/.exec((err as Error).message) : null;
        if (limit && Number(limit[1]) >= 2 && pending.length + 1 > Number(limit[1])) {
          this.maxTransactItems = Math.min(this.maxTransactItems, Number(limit[1]));
          throw new TransactionLimitLowered();
        }
        const retryable = flagged.length > 0 || (codes ? codes.some((c) => RETRYABLE_CODES.has(c)) : RETRYABLE_ERRORS.has(name));
        attempt += 1;
        if (!retryable || attempt >= this.maxAttempts) throw err;
        await sleep(Math.random() * Math.min(1_000, 25 * 2 ** attempt));
      }
    }
    return { recorded: 0, duplicates };
  }

  /** Event ids among `entries` whose markers exist (consistent reads). */
  private async existingMarkers(pk: string, entries: SpendEntry[]): Promise<Set<string>> {
    const items = await this.consistentBatchGet(entries.map((e) => ({ pk, sk: spendKeys.event(e.eventId) })), 'eventId');
    return new Set(items.map((item) => String(item.eventId)));
  }

  /** Consistent BatchGetItem of any number of keys (100 per call), retrying what DynamoDB leaves unprocessed. */
  private async consistentBatchGet(keys: Record<string, unknown>[], projection: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let pending = keys;
    for (let retries = 0; pending.length > 0; ) {
      const out = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending.slice(0, 100), ConsistentRead: true, ProjectionExpression: projection } } }),
      );
      items.push(...(out.Responses?.[this.tableName] ?? []));
      const unprocessed = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      pending = [...pending.slice(100), ...unprocessed];
      if (unprocessed.length > 0) {
        if (++retries >= 10) throw new Error('DynamoDB left keys unprocessed after 10 retries');
        await sleep(20 * 2 ** retries);
      }
    }
    return items;
  }
}

function validate(entry: SpendEntry): void {
  if (!entry.campaignId) throw new RangeError('spend entry without campaignId');
  if (!entry.eventId) throw new RangeError('spend entry without eventId');
  if (!DAY.test(entry.day)) throw new RangeError(`spend entry ${entry.eventId}: day must be YYYY-MM-DD, got ${entry.day}`);
  if (!Number.isSafeInteger(entry.amountNanos) || entry.amountNanos < 0) {
    throw new RangeError(`spend entry ${entry.eventId}: amountNanos must be a non-negative safe integer, got ${entry.amountNanos}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
