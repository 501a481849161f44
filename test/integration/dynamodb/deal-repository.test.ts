import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, VersionConflictError } from '../../../shared/domain/errors.js';
import { DynamoDealRepository } from '../../../shared/adapters/dynamodb/deal-repository.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { describeBudgetAndCreationContract } from './budget-and-creation.contract.js';
import { aCampaign, aDeal, amended, anAudit, describeDealRepositoryContract } from './deal-repository.contract.js';

const ddb = useDynamoDbLocal();
const makeRepo = () =>
  new DynamoDealRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });

describeDealRepositoryContract('DynamoDealRepository on DynamoDB Local', makeRepo);
describeBudgetAndCreationContract('DynamoDealRepository on DynamoDB Local', makeRepo);

describe('DynamoDealRepository storage layout', () => {
  it('writes the deal item, its version snapshot and its audit entry under the documented keys', async () => {
    // Prepare
    const repo = makeRepo();
    const deal = aDeal();
    const audit = anAudit(deal, 'deal.created');
    // Act
    await repo.createDeal(deal, audit);
    // Assess
    const current = await ddb.doc.send(new GetCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${deal.id}`, sk: 'DEAL' } }));
    expect(current.Item).toMatchObject({
      kind: 'deal',
      gsiAccountPk: `ACCOUNT#${deal.accountId}`,
      gsiAccountStatusPk: `ACCOUNT#${deal.accountId}#STATUS#draft`,
      gsiAccountTypePk: `ACCOUNT#${deal.accountId}#TYPE#standard`,
      gsiAccountSk: `${deal.createdAt}#${deal.id}`,
      version: 1,
    });
    const history = await ddb.doc.send(
      new QueryCommand({ TableName: ddb.tables.history, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `DEAL#${deal.id}` } }),
    );
    expect(history.Items?.map((i) => i.sk)).toEqual([`AUDIT#${audit.at}#${audit.id}`, 'VERSION#000000001']);
    // Storage attributes never leak into domain objects.
    const read = await repo.getDeal(deal.id);
    for (const attr of ['pk', 'sk', 'kind', 'gsiAccountPk', 'gsiAccountStatusPk', 'gsiAccountTypePk', 'gsiAccountSk']) {
      expect(read).not.toHaveProperty(attr);
    }
  });

  it('keeps campaign versions under the deal, next to its audit entries', async () => {
    // Prepare
    const repo = makeRepo();
    const deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    const campaign = aCampaign(deal);
    // Act
    await repo.createCampaign(campaign, anAudit(campaign, 'campaign.created'));
    // Assess
    const snapshot = await ddb.doc.send(
      new GetCommand({ TableName: ddb.tables.history, Key: { pk: `DEAL#${deal.id}`, sk: `CAMPAIGN#${campaign.id}#VERSION#000000001` } }),
    );
    expect(snapshot.Item).toMatchObject({ kind: 'campaignVersion', id: campaign.id, version: 1 });
  });

  it("keeps the deal's budget item beside it: total, what the campaigns hold and the headroom between", async () => {
    // Prepare
    const repo = makeRepo();
    const deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    const campaign = aCampaign(deal);
    // Act
    await repo.createCampaign(campaign, anAudit(campaign, 'campaign.created'));
    // Assess
    const budget = await ddb.doc.send(new GetCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${deal.id}`, sk: 'BUDGET' } }));
    expect(budget.Item).toEqual({
      pk: `DEAL#${deal.id}`,
      sk: 'BUDGET',
      kind: 'dealBudget',
      dealId: deal.id,
      currency: 'USD',
      totalValueMinor: 5_000_000,
      allocatedMinor: 1_000_000,
      availableMinor: 4_000_000,
    });
    // Not a campaign, not in any listing.
    expect((await repo.listCampaigns(deal.id, { limit: 10 })).items).toEqual([campaign]);
    expect((await repo.listDeals({ accountId: deal.accountId, limit: 10 })).items).toEqual([deal]);
  });

  it('gives a deal written before budget items one, summed from its campaigns, then holds the sum', async () => {
    // Prepare: 3,000,000 + 1,000,000 of 5,000,000, and no budget item
    const repo = makeRepo();
    const deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    for (const amountMinor of [3_000_000, 1_000_000]) {
      const campaign = aCampaign(deal, { budget: { amountMinor, currency: 'USD' } });
      await repo.createCampaign(campaign, anAudit(campaign, 'campaign.created'));
    }
    await ddb.doc.send(new DeleteCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${deal.id}`, sk: 'BUDGET' } }));
    const tooBig = aCampaign(deal, { budget: { amountMinor: 1_000_001, currency: 'USD' } });
    const fits = aCampaign(deal, { budget: { amountMinor: 1_000_000, currency: 'USD' } });
    // Act
    const err = await repo.createCampaign(tooBig, anAudit(tooBig, 'campaign.created')).catch((e: unknown) => e);
    await repo.createCampaign(fits, anAudit(fits, 'campaign.created'));
    // Assess
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ allocated: { amountMinor: 4_000_000 }, available: { amountMinor: 1_000_000 } });
    const budget = await ddb.doc.send(new GetCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${deal.id}`, sk: 'BUDGET' } }));
    expect(budget.Item).toMatchObject({ allocatedMinor: 5_000_000, availableMinor: 0, totalValueMinor: 5_000_000 });
  });

  it('initialises that budget item once when the first writers race: the sum still holds', async () => {
    // Prepare: 4,000,000 of 5,000,000 held, no budget item; 5 creates of 400,000 race for 1,000,000
    const repo = makeRepo();
    const deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    const held = aCampaign(deal, { budget: { amountMinor: 4_000_000, currency: 'USD' } });
    await repo.createCampaign(held, anAudit(held, 'campaign.created'));
    await ddb.doc.send(new DeleteCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${deal.id}`, sk: 'BUDGET' } }));
    const racers = Array.from({ length: 5 }, () => aCampaign(deal, { budget: { amountMinor: 400_000, currency: 'USD' } }));
    // Act
    const results = await Promise.allSettled(racers.map((c) => repo.createCampaign(c, anAudit(c, 'campaign.created'))));
    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BudgetExceededError);
    const budget = await ddb.doc.send(new GetCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${deal.id}`, sk: 'BUDGET' } }));
    expect(budget.Item).toMatchObject({ allocatedMinor: 4_800_000, availableMinor: 200_000 });
  });

  it('never overwrites a version snapshot or an audit entry, and then writes nothing at all', async () => {
    // Prepare: a deal at v2, whose current item is then forced back to v1 (as a bad restore would),
    // so the entity condition holds but history already has version 2.
    const repo = makeRepo();
    const v1 = aDeal();
    await repo.createDeal(v1, anAudit(v1, 'deal.created'));
    const v2 = amended(v1, { name: 'original v2' });
    const v2Audit = anAudit(v2, 'deal.amended');
    await repo.saveDeal(v2, 1, v2Audit);
    const raw = await ddb.doc.send(new GetCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${v1.id}`, sk: 'DEAL' } }));
    await ddb.doc.send(new PutCommand({ TableName: ddb.tables.deals, Item: { ...raw.Item, ...v1 } }));
    const rewrite = amended(v1, { name: 'rewritten v2' });
    // Act
    const err = await repo.saveDeal(rewrite, 1, anAudit(rewrite, 'deal.amended')).catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/refusing to overwrite/);
    expect(await repo.getDealVersion(v1.id, 2)).toEqual(v2);
    expect(await repo.getDeal(v1.id)).toEqual(v1); // the transaction wrote nothing
    expect((await repo.listAudit(v1.id, { limit: 10 })).items).toEqual([expect.anything(), v2Audit]);
  });

  it('never overwrites an audit entry: reusing an entry’s key fails the whole write', async () => {
    // Prepare
    const repo = makeRepo();
    const v1 = aDeal();
    const created = anAudit(v1, 'deal.created');
    await repo.createDeal(v1, created);
    const v2 = amended(v1);
    const reused = { ...anAudit(v2, 'deal.amended'), id: created.id, at: created.at };
    // Act
    const err = await repo.saveDeal(v2, 1, reused).catch((e: unknown) => e);
    // Assess
    expect(String(err)).toMatch(/refusing to overwrite/);
    expect((await repo.listAudit(v1.id, { limit: 10 })).items).toEqual([created]);
    expect(await repo.getDealVersion(v1.id, 2)).toBeUndefined();
    expect(await repo.getDeal(v1.id)).toEqual(v1);
  });

  it('a direct second put of an existing audit key with the repository’s condition fails', async () => {
    // Prepare
    const repo = makeRepo();
    const deal = aDeal();
    const audit = anAudit(deal, 'deal.created');
    await repo.createDeal(deal, audit);
    const key = { pk: `DEAL#${deal.id}`, sk: `AUDIT#${audit.at}#${audit.id}` };
    // Act
    const err = await ddb.doc
      .send(new PutCommand({ TableName: ddb.tables.history, Item: { ...key, action: 'tampered' }, ConditionExpression: 'attribute_not_exists(pk)' }))
      .catch((e: unknown) => e);
    // Assess
    expect((err as Error).name).toBe('ConditionalCheckFailedException');
    expect((await repo.listAudit(deal.id, { limit: 5 })).items).toEqual([audit]);
  });

  it('issues opaque base64url cursors', async () => {
    // Prepare
    const repo = makeRepo();
    const first = aDeal();
    await repo.createDeal(first, anAudit(first, 'deal.created'));
    const second = aDeal({ accountId: first.accountId });
    await repo.createDeal(second, anAudit(second, 'deal.created'));
    // Act
    const page = await repo.listDeals({ accountId: first.accountId, limit: 1 });
    // Assess
    expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(page.items).toEqual([second]);
  });
});

/**
 * DynamoDB Local serialises transactions, so contention there always surfaces as
 * ConditionalCheckFailed. Real DynamoDB also cancels with TransactionConflict while another
 * transaction on the same item is in flight; these tests inject that answer in front of Local.
 */
describe('DynamoDealRepository on TransactionConflict', () => {
  function conflictingClient(conflicts: number, beforeConflict?: () => Promise<void>) {
    let left = conflicts;
    const calls = { transactions: 0 };
    const client = new Proxy(ddb.doc, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof TransactWriteCommand) {
            calls.transactions++;
            if (left > 0) {
              left--;
              await beforeConflict?.();
              throw new TransactionCanceledException({
                message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None, None]',
                $metadata: {},
                CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }],
              });
            }
          }
          return target.send(command as never);
        };
      },
    }) as DynamoDBDocumentClient;
    return { client, calls };
  }

  it('retries when the version did not move, and the write then lands once', async () => {
    // Prepare
    const v1 = aDeal();
    await makeRepo().createDeal(v1, anAudit(v1, 'deal.created'));
    const { client, calls } = conflictingClient(2);
    const repo = new DynamoDealRepository({ client, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const v2 = amended(v1);
    // Act
    await repo.saveDeal(v2, 1, anAudit(v2, 'deal.amended'));
    // Assess
    expect(calls.transactions).toBe(3);
    expect(await repo.getDeal(v1.id)).toEqual(v2);
    expect((await repo.listAudit(v1.id, { limit: 10 })).items).toHaveLength(2);
  });

  it('answers VersionConflictError when the conflicting transaction moved the version', async () => {
    // Prepare: the "other" transaction commits v2 while ours is being cancelled.
    const v1 = aDeal();
    await makeRepo().createDeal(v1, anAudit(v1, 'deal.created'));
    const theirs = amended(v1, { name: 'theirs' });
    const { client, calls } = conflictingClient(1, () => makeRepo().saveDeal(theirs, 1, anAudit(theirs, 'deal.amended')));
    const repo = new DynamoDealRepository({ client, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });
    const ours = amended(v1, { name: 'ours' });
    // Act
    const err = await repo.saveDeal(ours, 1, anAudit(ours, 'deal.amended')).catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect(calls.transactions).toBe(1);
    expect(await repo.getDeal(v1.id)).toEqual(theirs);
  });

  it('gives up after a bounded number of attempts', async () => {
    // Prepare
    const v1 = aDeal();
    await makeRepo().createDeal(v1, anAudit(v1, 'deal.created'));
    const { client, calls } = conflictingClient(100);
    const repo = new DynamoDealRepository({
      client,
      dealsTableName: ddb.tables.deals,
      historyTableName: ddb.tables.history,
      maxConflictAttempts: 4,
    });
    const v2 = amended(v1);
    // Act
    const err = await repo.saveDeal(v2, 1, anAudit(v2, 'deal.amended')).catch((e: unknown) => e);
    // Assess
    expect((err as Error).name).toBe('TransactionCanceledException');
    expect(calls.transactions).toBe(4);
    expect(await repo.getDeal(v1.id)).toEqual(v1);
  });
});
