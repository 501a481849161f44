import { describe, expect, it } from 'vitest';
import { DynamoDealRepository } from '../../../shared/adapters/dynamodb/deal-repository.js';
import { DynamoDbStreamReader, type StreamRecord } from '../../../local/dynamodb/stream.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { aCampaign, aDeal, amended, anAudit } from './deal-repository.contract.js';

const ddb = useDynamoDbLocal();

async function pollUntil(reader: DynamoDbStreamReader, count: number): Promise<StreamRecord[]> {
  const records: StreamRecord[] = [];
  const deadline = Date.now() + 10_000;
  while (records.length < count && Date.now() < deadline) {
    records.push(...(await reader.poll()));
    if (records.length < count) await new Promise((r) => setTimeout(r, 50));
  }
  return records;
}

describe('DynamoDB stream reader (deals table)', () => {
  it('yields INSERT then MODIFY with old and new images for a deal change, then nothing new', async () => {
    // Prepare
    const repo = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const reader = await DynamoDbStreamReader.forTable(ddb.client, ddb.tables.deals, { endpoint: ddb.endpoint, startAt: 'LATEST' });
    await reader.poll(); // position the reader before our writes
    const v1 = aDeal();
    const v2 = amended(v1, { status: 'pending_approval' });
    // Act
    await repo.createDeal(v1, anAudit(v1, 'deal.created'));
    await repo.saveDeal(v2, 1, anAudit(v2, 'deal.submitted'));
    // The deal's partition also holds its budget item (kind dealBudget): readers go by kind.
    const records = (await pollUntil(reader, 3)).filter(
      (r) => r.dynamodb?.Keys?.pk?.S === `DEAL#${v1.id}` && r.dynamodb.NewImage?.kind?.S === 'deal',
    );
    // Assess
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY']);
    const [insert, modify] = records;
    expect(insert!.dynamodb!.OldImage).toBeUndefined();
    expect(insert!.dynamodb!.NewImage).toMatchObject({ kind: { S: 'deal' }, version: { N: '1' }, status: { S: 'draft' } });
    expect(modify!.dynamodb!.OldImage).toMatchObject({ version: { N: '1' }, status: { S: 'draft' } });
    expect(modify!.dynamodb!.NewImage).toMatchObject({ version: { N: '2' }, status: { S: 'pending_approval' } });
    expect(modify!.dynamodb!.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    expect(modify!.eventSourceARN).toBe(reader.streamArn);
    expect(BigInt(modify!.dynamodb!.SequenceNumber!)).toBeGreaterThan(BigInt(insert!.dynamodb!.SequenceNumber!));
    expect(await reader.poll()).toEqual([]);
  });

  it('reports campaign and budget items with their kind, and never history items (history has no stream)', async () => {
    // Prepare
    const repo = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const reader = await DynamoDbStreamReader.forTable(ddb.client, ddb.tables.deals, { endpoint: ddb.endpoint, startAt: 'LATEST' });
    await reader.poll();
    const deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    const campaign = aCampaign(deal);
    // Act
    await repo.createCampaign(campaign, anAudit(campaign, 'campaign.created'));
    const records = await pollUntil(reader, 4);
    // Assess: the deal with its budget item, then the campaign with the budget item's new sum
    expect(records.map((r) => r.dynamodb?.NewImage?.kind?.S)).toEqual(['deal', 'dealBudget', 'campaign', 'dealBudget']);
    const allocation = records[3]!.dynamodb!;
    expect(allocation.OldImage).toMatchObject({ allocatedMinor: { N: '0' }, availableMinor: { N: '5000000' } });
    expect(allocation.NewImage).toMatchObject({ allocatedMinor: { N: '1000000' }, availableMinor: { N: '4000000' }, dealId: { S: deal.id } });
    await expect(DynamoDbStreamReader.forTable(ddb.client, ddb.tables.history, { endpoint: ddb.endpoint })).rejects.toThrow(/no stream/);
  });

  it('records() yields as changes happen and stops when aborted', async () => {
    // Prepare
    const repo = new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const reader = await DynamoDbStreamReader.forTable(ddb.client, ddb.tables.deals, { endpoint: ddb.endpoint, startAt: 'LATEST' });
    await reader.poll();
    const controller = new AbortController();
    const deal = aDeal();
    const seen: StreamRecord[] = [];
    // Act
    const consuming = (async () => {
      for await (const record of reader.records({ signal: controller.signal, intervalMs: 20 })) {
        seen.push(record);
        if (record.dynamodb?.Keys?.pk?.S === `DEAL#${deal.id}`) controller.abort();
      }
    })();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    await consuming;
    // Assess
    // The first item of the deal's partition to arrive: the deal or its budget item (one transaction).
    expect(seen.at(-1)?.eventName).toBe('INSERT');
    expect(seen.at(-1)?.dynamodb?.Keys?.pk).toEqual({ S: `DEAL#${deal.id}` });
  });
});
