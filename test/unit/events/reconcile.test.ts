import { vi } from 'vitest';

vi.hoisted(() => {
  process.env.SPEND_TABLE_NAME ??= 'unit-test-spend';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadSpendConfig } from '../../../functions/spend/config.js';
import { makeHandler } from '../../../functions/spend/reconcile.js';
import { MemorySpendLedger } from '../../../shared/adapters/memory/memory-spend-ledger.js';
import type { CampaignDaySpend, RecordSpendResult, SpendEntry } from '../../../shared/ports/spend-ledger.js';
import { auctionEvent, billEvent, kinesisRecord, lossEvent } from './fixtures.js';

/** Exactly-once in memory, like the DynamoDB adapter; can be told to fail and shows its calls. */
class MemoryLedger extends MemorySpendLedger {
  readonly totals = new Map<string, number>();
  readonly seen = new Set<string>();
  calls: SpendEntry[][] = [];
  failFor: (entry: SpendEntry) => boolean = () => false;
  override async recordSpend(entries: readonly SpendEntry[]): Promise<RecordSpendResult> {
    this.calls.push([...entries]);
    if (entries.some((e) => this.failFor(e))) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    let recorded = 0;
    let duplicates = 0;
    for (const e of entries) {
      if (this.seen.has(e.eventId)) {
        duplicates += 1;
        continue;
      }
      this.seen.add(e.eventId);
      const k = `${e.campaignId}/${e.day}`;
      this.totals.set(k, (this.totals.get(k) ?? 0) + e.amountNanos);
      recorded += 1;
    }
    return { recorded, duplicates };
  }
  override async getSpend(campaignId: string, day: string): Promise<CampaignDaySpend> {
    return { campaignId, day, amountNanos: this.totals.get(`${campaignId}/${day}`) ?? 0, events: 0 };
  }
}


const context = { functionName: 'spend', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const day = '2026-11-22';

function setup() {
  const ledger = new MemoryLedger();
  const metrics = new Metrics({ namespace: 'test', serviceName: 'spend' });
  const handler = makeHandler({ ledger, logger: new Logger({ logLevel: 'SILENT' }), metrics });
  return { ledger, handler, metrics };
}

describe('spend reconciliation handler', () => {
  it('records billing notices per campaign-day, once per bid, and ignores other events', async () => {
    // Prepare
    const { ledger, handler } = setup();
    const event: KinesisStreamEvent = {
      Records: [
        kinesisRecord(auctionEvent()),
        kinesisRecord(billEvent('b1', { campaignId: 'c1', day, costNanos: 1_500 })),
        kinesisRecord(billEvent('b2', { campaignId: 'c1', day, costNanos: 2_500 })),
        kinesisRecord(billEvent('b1', { campaignId: 'c1', day, costNanos: 1_500 })), // the exchange called burl twice
        kinesisRecord(billEvent('b3', { campaignId: 'c2', day, costNanos: 700 })),
        kinesisRecord(billEvent('b4', undefined)), // a DSP's win: its own budget
        kinesisRecord(lossEvent('b5')),
      ],
    };
    // Act
    const response = await handler(event, context);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ledger.totals).toEqual(new Map([[`c1/${day}`, 4_000], [`c2/${day}`, 700]]));
    // one ledger call per campaign-day
    expect(ledger.calls).toHaveLength(2);
    expect(ledger.calls.flat().map((e) => e.eventId)).toContain('bill:b1');
  });

  it('reports a poison record by sequence number and records the others', async () => {
    // Prepare
    const { ledger, handler } = setup();
    const poison = kinesisRecord('{not json');
    const badBill = kinesisRecord({ ...billEvent('b9', { campaignId: 'c1', day, costNanos: 1 }), spend: { campaignId: 'c1', day, costNanos: -5, currency: 'USD' } });
    const event: KinesisStreamEvent = { Records: [kinesisRecord(billEvent('b1', { campaignId: 'c1', day, costNanos: 10 })), poison, badBill, kinesisRecord(billEvent('b2', { campaignId: 'c1', day, costNanos: 20 }))] };
    // Act
    const response = await handler(event, context);
    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: poison.kinesis.sequenceNumber },
      { itemIdentifier: badBill.kinesis.sequenceNumber },
    ]);
    expect(ledger.totals.get(`c1/${day}`)).toBe(30);
  });

  it('reports the bills of a campaign-day whose write failed; a replay then counts each once', async () => {
    // Prepare
    const { ledger, handler } = setup();
    const records = [
      kinesisRecord(billEvent('b1', { campaignId: 'ok', day, costNanos: 1 })),
      kinesisRecord(billEvent('b2', { campaignId: 'throttled', day, costNanos: 2 })),
      kinesisRecord(billEvent('b3', { campaignId: 'throttled', day, costNanos: 3 })),
    ];
    ledger.failFor = (e) => e.campaignId === 'throttled';
    // Act
    const first = await handler({ Records: records }, context);
    ledger.failFor = () => false;
    const replay = await handler({ Records: records }, context);
    // Assess
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[1]!.kinesis.sequenceNumber, records[2]!.kinesis.sequenceNumber]);
    expect(replay.batchItemFailures).toEqual([]);
    expect(ledger.totals).toEqual(new Map([[`ok/${day}`, 1], [`throttled/${day}`, 5]]));
  });

  it('answers a batch where every record fails with all of them, not an exception', async () => {
    const { handler } = setup();
    const records = [kinesisRecord('x'), kinesisRecord('y')];
    const response = await handler({ Records: records }, context);
    expect(response.batchItemFailures).toHaveLength(2);
  });

  it('emits its counts as metrics', async () => {
    const { handler, metrics } = setup();
    const added: [string, number][] = [];
    const spy = vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added.push([name, value]);
      return metrics;
    });
    await handler({ Records: [kinesisRecord('x'), kinesisRecord(billEvent('m1', { campaignId: 'c', day, costNanos: 1 }))] }, context);
    spy.mockRestore();
    expect(added).toEqual(expect.arrayContaining([['PoisonRecords', 1], ['SpendEventsRecorded', 1], ['FailedRecords', 1], ['RecordsReceived', 2]]));
  });

  it('config: names SPEND_TABLE_NAME when it is missing or empty', () => {
    expect(() => loadSpendConfig({})).toThrow(/SPEND_TABLE_NAME is not set/);
    expect(() => loadSpendConfig({ SPEND_TABLE_NAME: ' ' })).toThrow(/SPEND_TABLE_NAME must be set/);
    expect(loadSpendConfig({ SPEND_TABLE_NAME: 'Spend123' })).toEqual({ SPEND_TABLE_NAME: 'Spend123' });
  });
});
