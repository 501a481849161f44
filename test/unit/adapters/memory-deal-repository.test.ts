import { describe, expect, it } from 'vitest';
import { InMemoryDealRepository } from '../../../shared/adapters/memory/memory-deal-repository.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { describeBudgetAndCreationContract } from '../../integration/dynamodb/budget-and-creation.contract.js';
import { aDeal, anAudit, describeDealRepositoryContract } from '../../integration/dynamodb/deal-repository.contract.js';

// The same contract the DynamoDB adapter passes against DynamoDB Local: the fake may stand in for it.
describeDealRepositoryContract('InMemoryDealRepository', () => new InMemoryDealRepository());
describeBudgetAndCreationContract('InMemoryDealRepository', () => new InMemoryDealRepository());

describe('InMemoryDealRepository specifics', () => {
  it('hands out copies: mutating a returned deal does not change the stored one', async () => {
    // Prepare
    const repo = new InMemoryDealRepository();
    const deal = aDeal();
    await repo.createDeal(deal, anAudit(deal, 'deal.created'));
    // Act
    const read = await repo.getDeal(deal.id);
    read!.name = 'mutated';
    deal.name = 'mutated too';
    // Assess
    expect((await repo.getDeal(deal.id))?.name).toBe('Spring launch');
  });

  it("refuses a cursor from another account's listing", async () => {
    // Prepare
    const repo = new InMemoryDealRepository();
    const first = aDeal();
    const second = aDeal({ accountId: first.accountId });
    await repo.createDeal(first, anAudit(first, 'deal.created'));
    await repo.createDeal(second, anAudit(second, 'deal.created'));
    const page = await repo.listDeals({ accountId: first.accountId, limit: 1 });
    // Act
    const attempt = repo.listDeals({ accountId: 'acct-elsewhere', limit: 1, cursor: page.nextCursor! });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
  });
});
