import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoSpendLedger } from '../../../shared/adapters/dynamodb/spend-ledger.js';
import type { SpendEntry } from '../../../shared/ports/spend-ledger.js';

type Item = Record<string, any>;

/**
 * A DocumentClient fake with DynamoDB's transaction semantics for the three commands the ledger uses,
 * plus switches for what DynamoDB Local does differently: a 10-action limit, and contention reported as
 * ConditionalCheckFailed on markers that do not exist.
 */
class FakeDoc {
  readonly items = new Map<string, Item>();
  transactLimit = 100;
  spuriousConditionFailures = 0;
  transactions = 0;
  async send(command: { constructor: { name: string }; input: any }): Promise<any> {
    const input = command.input;
    switch (command.constructor.name) {
      case 'TransactWriteCommand': {
        const actions = input.TransactItems as any[];
        if (actions.length > this.transactLimit) {
          throw Object.assign(new Error(`Member must have length less than or equal to ${this.transactLimit}`), { name: 'ValidationException' });
        }
        this.transactions += 1;
        const reasons = actions.map((a) => (a.Put && this.items.has(key(a.Put.Item)) ? 'ConditionalCheckFailed' : 'None'));
        if (this.spuriousConditionFailures > 0) {
          this.spuriousConditionFailures -= 1;
          reasons[0] = 'ConditionalCheckFailed';
        }
        if (reasons.some((r) => r !== 'None')) {
          throw Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons.map((Code) => ({ Code })) });
        }
        for (const a of actions) {
          if (a.Put) this.items.set(key(a.Put.Item), a.Put.Item);
          else {
            const k = key(a.Update.Key);
            const cur = this.items.get(k) ?? { ...a.Update.Key };
            const v = a.Update.ExpressionAttributeValues;
            this.items.set(k, { ...cur, amountNanos: (cur.amountNanos ?? 0) + v[':sum'], events: (cur.events ?? 0) + v[':n'] });
          }
        }
        return {};
      }
      case 'BatchGetCommand': {
        const [table, req] = Object.entries(input.RequestItems as Record<string, { Keys: Item[] }>)[0]!;
        return { Responses: { [table]: req.Keys.map((k) => this.items.get(key(k))).filter(Boolean) } };
      }
      case 'GetCommand':
        return { Item: this.items.get(key(input.Key)) };
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  }
}
const key = (i: Item) => `${i.pk}|${i.sk}`;

function ledgerOn(doc: FakeDoc) {
  return new DynamoSpendLedger({ client: doc as unknown as DynamoDBDocumentClient, tableName: 'spend' });
}
const entries = (n: number, campaignId = 'c1', day = '2026-11-22'): SpendEntry[] =>
  Array.from({ length: n }, (_, i) => ({ campaignId, day, amountNanos: i + 1, eventId: `bill:${campaignId}-${i}` }));

describe('DynamoSpendLedger (transaction logic)', () => {
  it('writes one transaction per campaign-day chunk of up to 99 events', async () => {
    const doc = new FakeDoc();
    const result = await ledgerOn(doc).recordSpend([...entries(150), ...entries(3, 'c2')]);
    expect(result).toEqual({ recorded: 153, duplicates: 0 });
    expect(doc.transactions).toBe(3);
    expect(doc.items.get('CAMPAIGN#c1|DAY#2026-11-22')).toMatchObject({ amountNanos: (150 * 151) / 2, events: 150 });
  });

  it('drops only the events already recorded and commits the rest', async () => {
    const doc = new FakeDoc();
    const ledger = ledgerOn(doc);
    await ledger.recordSpend(entries(10).filter((_, i) => i % 2 === 0));
    const result = await ledger.recordSpend(entries(10));
    expect(result).toEqual({ recorded: 5, duplicates: 5 });
    expect(await ledger.getSpend('c1', '2026-11-22')).toEqual({ campaignId: 'c1', day: '2026-11-22', amountNanos: 55, events: 10 });
  });

  it('does not take a condition failure on a marker that does not exist for a replay', async () => {
    const doc = new FakeDoc();
    doc.spuriousConditionFailures = 2;
    const result = await ledgerOn(doc).recordSpend(entries(4));
    expect(result).toEqual({ recorded: 4, duplicates: 0 });
    expect(doc.items.get('CAMPAIGN#c1|DAY#2026-11-22')).toMatchObject({ amountNanos: 10, events: 4 });
  });

  it('lowers its chunk size when the service names a lower action limit (DynamoDB Local: 10)', async () => {
    const doc = new FakeDoc();
    doc.transactLimit = 10;
    const result = await ledgerOn(doc).recordSpend(entries(25));
    expect(result).toEqual({ recorded: 25, duplicates: 0 });
    expect(doc.transactions).toBe(3);
  });

  it('refuses entries it cannot count exactly', async () => {
    const ledger = ledgerOn(new FakeDoc());
    await expect(ledger.recordSpend([{ campaignId: 'c', day: '2026-11-22', amountNanos: 1.5, eventId: 'e' }])).rejects.toThrow(/amountNanos/);
    await expect(ledger.recordSpend([{ campaignId: 'c', day: '22/11/2026', amountNanos: 1, eventId: 'e' }])).rejects.toThrow(/day/);
    await expect(ledger.recordSpend([{ campaignId: 'c', day: '2026-11-22', amountNanos: 1, eventId: '' }])).rejects.toThrow(/eventId/);
  });
});
