/**
 * Spend reconciliation: a Kinesis-triggered Lambda on the bid event stream. It records the committed
 * spend of billing notices (`notice.bill` events with `spend`) in the spend ledger, per campaign-day,
 * exactly once per bid (ledger event id `bill:<bidId>`, so a replayed record or a second billing
 * notice for the same bid counts once). Other events are acknowledged and ignored.
 *
 * Failures are per record (Powertools BatchProcessor, EventType.KinesisDataStreams →
 * `batchItemFailures` with sequence numbers; the event source mapping needs ReportBatchItemFailures):
 *   - a poison record (not JSON, unknown schema version, invalid bill) is reported and never blocks the
 *     others; the event source mapping's bounded retries + on-failure destination (DLQ) take it from there;
 *   - a ledger failure (throttling after retries) reports the bills of the affected campaign-day; Lambda
 *     retries from the lowest reported sequence number, and replays of what did commit are no-ops.
 * Bills of one campaign-day in a batch are written together (one transaction per ≤ 99 bills), so the
 * function does not fight itself over the campaign-day total.
 *
 * Watermark: after the batch, the newest event time (`at`) among the records before the first failed
 * one (a batch is one shard, in order; Lambda resumes from the first failure) is recorded for the
 * shard (`ledger.recordWatermark`, monotonic). Every event counts, not only bills, so the watermark
 * advances while no campaign spends (e.g. right after a Redis loss). A Redis rebuild waits for it
 * (docs/budget-leases.md, "Restart").
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { decodeBase64Event, eventIds, EventDecodeError } from '../../shared/events/codec.js';
import type { BidderEvent } from '../../shared/events/types.js';
import type { RecordSpendResult, SpendEntry, SpendLedger } from '../../shared/ports/spend-ledger.js';
import { shardKey } from '../../shared/ports/stream-shards.js';
import { productionSpendLedger } from './deps.js';

export interface SpendDeps {
  ledger: SpendLedger;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

type Decoded = { ok: true; event: BidderEvent; entry?: SpendEntry } | { ok: false; error: Error };

/** The spend entry a decoded event contributes, if any. */
export function spendEntryOf(event: BidderEvent): SpendEntry | undefined {
  if (event.type !== 'notice.bill' || !event.spend) return undefined;
  return { campaignId: event.spend.campaignId, day: event.spend.day, amountNanos: event.spend.costNanos, eventId: eventIds.bill(event.bidId) };
}

function decodeRecord(record: KinesisStreamRecord): Decoded {
  try {
    const event = decodeBase64Event(record.kinesis.data);
    const entry = spendEntryOf(event);
    return entry ? { ok: true, event, entry } : { ok: true, event };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new EventDecodeError(String(err)) };
  }
}

export function makeHandler(deps: SpendDeps) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-spend';
  const logger = deps.logger ?? new Logger({ serviceName });
  const metrics = deps.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'dealdesk', serviceName });

  const core = async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
    const records = event.Records ?? [];
    metrics.addMetric('RecordsReceived', MetricUnit.Count, records.length);

    // Decode everything first, so bills of one campaign-day are written together.
    const decoded = new Map<KinesisStreamRecord, Decoded>();
    const groups = new Map<string, { entries: SpendEntry[]; result?: Promise<RecordSpendResult> }>();
    for (const record of records) {
      const d = decodeRecord(record);
      decoded.set(record, d);
      if (d.ok && d.entry) {
        const key = `${d.entry.campaignId}\n${d.entry.day}`;
        const group = groups.get(key) ?? { entries: [] };
        group.entries.push(d.entry);
        groups.set(key, group);
      }
    }
    let recorded = 0;
    let duplicates = 0;
    let poison = 0;

    const recordHandler = async (record: KinesisStreamRecord): Promise<void> => {
      const d = decoded.get(record) ?? decodeRecord(record);
      if (!d.ok) {
        poison += 1;
        logger.warn('poison record', {
          sequenceNumber: record.kinesis.sequenceNumber,
          partitionKey: record.kinesis.partitionKey,
          eventID: record.eventID,
          reason: d.error.message,
        });
        throw d.error;
      }
      if (!d.entry) return;
      const group = groups.get(`${d.entry.campaignId}\n${d.entry.day}`)!;
      group.result ??= deps.ledger.recordSpend(group.entries).then((r) => {
        recorded += r.recorded;
        duplicates += r.duplicates;
        return r;
      });
      try {
        await group.result;
      } catch (err) {
        logger.error('recording spend failed', {
          sequenceNumber: record.kinesis.sequenceNumber,
          campaignId: d.entry.campaignId,
          day: d.entry.day,
          error: err as Error,
        });
        throw err;
      }
    };

    const response = await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.KinesisDataStreams), {
      context,
      // Every record failing is reported like any partial failure; the mapping's retry/DLQ policy applies.
      throwOnFullBatchFailure: false,
    });
    const failures = response.batchItemFailures.length;
    await recordWatermark(deps.ledger, records, decoded, new Set(response.batchItemFailures.map((f) => f.itemIdentifier)), logger);
    metrics.addMetric('SpendEventsRecorded', MetricUnit.Count, recorded);
    metrics.addMetric('SpendEventsDuplicate', MetricUnit.Count, duplicates);
    metrics.addMetric('PoisonRecords', MetricUnit.Count, poison);
    metrics.addMetric('FailedRecords', MetricUnit.Count, failures);
    logger.info('batch processed', { records: records.length, recorded, duplicates, poison, failures });
    return response as KinesisStreamBatchResponse;
  };

  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>(core)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** The watermark key of a record's shard (`eventID` is `shardId-…:sequenceNumber`; see shardKey). */
export function shardOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const colon = id.lastIndexOf(':');
  const shardId = colon > 0 ? id.slice(0, colon) : id;
  return shardId && record.eventSourceARN ? shardKey(record.eventSourceARN, shardId) : '';
}

async function recordWatermark(
  ledger: SpendLedger,
  records: readonly KinesisStreamRecord[],
  decoded: Map<KinesisStreamRecord, Decoded>,
  failed: Set<string>,
  logger: Logger,
): Promise<void> {
  if (!ledger.recordWatermark) return;
  const perShard = new Map<string, { max?: number; stopped: boolean }>();
  for (const record of records) {
    const shard = shardOf(record);
    const w = perShard.get(shard) ?? { stopped: false };
    perShard.set(shard, w);
    if (w.stopped) continue;
    if (failed.has(record.kinesis.sequenceNumber)) {
      w.stopped = true;
      continue;
    }
    const d = decoded.get(record);
    const t = d?.ok ? Date.parse(d.event.at) : NaN;
    if (Number.isFinite(t)) w.max = Math.max(w.max ?? t, t);
  }
  for (const [shard, w] of perShard) {
    if (w.max === undefined || !shard) continue;
    try {
      await ledger.recordWatermark(shard, Math.floor(w.max));
    } catch (err) {
      // Spend is recorded; the watermark advances with the next batch.
      logger.warn('recording watermark failed', { shard, error: err as Error });
    }
  }
}

export const handler = makeHandler({ ledger: productionSpendLedger() });
