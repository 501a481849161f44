/**
 * The DealRepository contract's budget sum and creation records (shared/ports/deal-repository.ts), run
 * against every implementation like deal-repository.contract.ts:
 * - a deal's campaigns together never budget more than its total value, whatever runs concurrently;
 *   a write that would break it throws BudgetExceededError and writes nothing;
 * - a create under a CreationRequest leaves a record; a second create under the same scope throws
 *   AlreadyCreatedError with the first one's record and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import { BudgetExceededError, NotFoundError } from '../../../shared/domain/errors.js';
import type { Money } from '../../../shared/domain/money.js';
import { AlreadyCreatedError, type CreationRequest, type DealRepository } from '../../../shared/ports/deal-repository.js';
import { aCampaign, aDeal, amended, amendedCampaign, anAudit, rejection } from './deal-repository.contract.js';

const usd = (amountMinor: number): Money => ({ amountMinor, currency: 'USD' });

async function dealWith(repo: DealRepository, totalMinor: number, budgets: number[] = []): Promise<{ deal: Deal; campaigns: Campaign[] }> {
  const deal = aDeal({ totalValue: usd(totalMinor) });
  await repo.createDeal(deal, anAudit(deal, 'deal.created'));
  const campaigns: Campaign[] = [];
  for (const budget of budgets) {
    const campaign = aCampaign(deal, { budget: usd(budget), dailyBudget: usd(1) });
    await repo.createCampaign(campaign, anAudit(campaign, 'campaign.created'));
    campaigns.push(campaign);
  }
  return { deal, campaigns };
}

async function allocated(repo: DealRepository, dealId: string): Promise<number> {
  const campaigns = (await repo.listCampaigns(dealId, { limit: 100 })).items;
  return campaigns.reduce((sum, c) => sum + c.budget.amountMinor, 0);
}

const aCreation = (): CreationRequest => ({ scope: `scope-${randomUUID()}`, fingerprint: `fp-${randomUUID()}` });

export function describeBudgetAndCreationContract(name: string, makeRepo: () => DealRepository | Promise<DealRepository>): void {
  describe(`DealRepository contract, budget sum: ${name}`, () => {
    it('refuses a campaign the deal has no room for, naming the total and what is available, and writes nothing', async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal } = await dealWith(repo, 5_000_000, [3_000_000]);
      const tooBig = aCampaign(deal, { budget: usd(2_500_000) });
      // Act
      const err = await rejection(repo.createCampaign(tooBig, anAudit(tooBig, 'campaign.created')));
      // Assess
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(err).toMatchObject({
        dealId: deal.id,
        totalValue: usd(5_000_000),
        allocated: usd(3_000_000),
        available: usd(2_000_000),
        required: usd(2_500_000),
      });
      expect(await repo.getCampaign(deal.id, tooBig.id)).toBeUndefined();
      expect((await repo.listAudit(deal.id, { limit: 10 })).items).toHaveLength(2);
    });

    it("takes a campaign that uses exactly what is left, and leaves the deal's version alone", async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal } = await dealWith(repo, 5_000_000, [3_000_000]);
      const rest = aCampaign(deal, { budget: usd(2_000_000) });
      // Act
      await repo.createCampaign(rest, anAudit(rest, 'campaign.created'));
      // Assess
      expect(await repo.getCampaign(deal.id, rest.id)).toEqual(rest);
      expect(await repo.getDeal(deal.id)).toEqual(deal);
      expect(await allocated(repo, deal.id)).toBe(5_000_000);
    });

    it("refuses a campaign in another currency than the deal's", async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal } = await dealWith(repo, 5_000_000);
      const euros = aCampaign(deal, { budget: { amountMinor: 1_000, currency: 'EUR' } });
      // Act
      const err = await rejection(repo.createCampaign(euros, anAudit(euros, 'campaign.created')));
      // Assess
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(err).toMatchObject({ totalValue: usd(5_000_000), required: { amountMinor: 1_000, currency: 'EUR' } });
      expect(await repo.getCampaign(deal.id, euros.id)).toBeUndefined();
    });

    it('still answers NotFoundError for a campaign of a deal that does not exist', async () => {
      // Prepare
      const repo = await makeRepo();
      const orphan = aCampaign(aDeal());
      // Act
      const err = await rejection(repo.createCampaign(orphan, anAudit(orphan, 'campaign.created')));
      // Assess
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ entity: 'deal', id: orphan.dealId });
    });

    it('refuses a budget increase beyond what is left, and always takes a decrease', async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal, campaigns } = await dealWith(repo, 5_000_000, [3_000_000, 1_500_000]);
      const first = campaigns[0]!;
      const greedy = amendedCampaign(first, { budget: usd(3_500_001) });
      const modest = amendedCampaign(first, { budget: usd(2_000_000) });
      // Act
      const err = await rejection(repo.saveCampaign(greedy, 1, anAudit(greedy, 'campaign.amended')));
      await repo.saveCampaign(modest, 1, anAudit(modest, 'campaign.amended'));
      const grows = amendedCampaign(modest, { budget: usd(3_500_000) });
      await repo.saveCampaign(grows, 2, anAudit(grows, 'campaign.amended'));
      // Assess
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(err).toMatchObject({ allocated: usd(4_500_000), available: usd(500_000), required: usd(500_001) });
      expect(await repo.getCampaign(deal.id, first.id)).toEqual(grows);
      expect(await allocated(repo, deal.id)).toBe(5_000_000);
    });

    it("refuses a cut in the deal's total below what its campaigns hold; takes one that leaves room, and a rename", async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal } = await dealWith(repo, 5_000_000, [3_000_000]);
      const tooDeep = amended(deal, { totalValue: usd(2_999_999) });
      const enough = amended(deal, { totalValue: usd(3_000_000) });
      // Act
      const err = await rejection(repo.saveDeal(tooDeep, 1, anAudit(tooDeep, 'deal.amended')));
      await repo.saveDeal(enough, 1, anAudit(enough, 'deal.amended'));
      const renamed = amended(enough, { name: 'renamed' });
      await repo.saveDeal(renamed, 2, anAudit(renamed, 'deal.amended'));
      const extra = aCampaign(deal, { budget: usd(1) });
      const full = await rejection(repo.createCampaign(extra, anAudit(extra, 'campaign.created')));
      // Assess
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(err).toMatchObject({ totalValue: usd(5_000_000), allocated: usd(3_000_000), required: usd(2_000_001) });
      expect(await repo.getDeal(deal.id)).toEqual(renamed);
      expect(full).toBeInstanceOf(BudgetExceededError);
      expect(full).toMatchObject({ totalValue: usd(3_000_000), available: usd(0) });
    });

    it('refuses a currency change while campaigns hold budget, and takes one while none do', async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal: held } = await dealWith(repo, 5_000_000, [1_000]);
      const { deal: empty } = await dealWith(repo, 5_000_000);
      const heldInEuros = amended(held, { totalValue: { amountMinor: 5_000_000, currency: 'EUR' } });
      const emptyInEuros = amended(empty, { totalValue: { amountMinor: 4_000_000, currency: 'EUR' } });
      // Act
      const err = await rejection(repo.saveDeal(heldInEuros, 1, anAudit(heldInEuros, 'deal.amended')));
      await repo.saveDeal(emptyInEuros, 1, anAudit(emptyInEuros, 'deal.amended'));
      const euros = aCampaign(empty, { budget: { amountMinor: 4_000_000, currency: 'EUR' } });
      await repo.createCampaign(euros, anAudit(euros, 'campaign.created'));
      // Assess
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(await repo.getDeal(held.id)).toEqual(held);
      expect(await repo.getCampaign(empty.id, euros.id)).toEqual(euros);
    });

    it('never lets 20 concurrent creates, each within the total alone, together exceed it', async () => {
      // Prepare: 20 × 1,000,000 against 10,000,000
      const repo = await makeRepo();
      const { deal } = await dealWith(repo, 10_000_000);
      const attempts = Array.from({ length: 20 }, () => aCampaign(deal, { budget: usd(1_000_000), dailyBudget: usd(1) }));
      // Act
      const results = await Promise.allSettled(attempts.map((c) => repo.createCampaign(c, anAudit(c, 'campaign.created'))));
      // Assess
      const accepted = attempts.filter((_, i) => results[i]!.status === 'fulfilled');
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(accepted).toHaveLength(10);
      for (const err of refused) {
        expect(err).toBeInstanceOf(BudgetExceededError);
        expect(err).toMatchObject({ totalValue: usd(10_000_000), available: usd(0), required: usd(1_000_000) });
      }
      expect(await allocated(repo, deal.id)).toBe(10_000_000);
      expect((await repo.listCampaigns(deal.id, { limit: 100 })).items.map((c) => c.id).sort()).toEqual(accepted.map((c) => c.id).sort());
      expect(await repo.getDeal(deal.id)).toEqual(deal);
    });

    it("keeps the sum within the total while increases, new campaigns and a cut in the total race", async () => {
      // Prepare: 4 campaigns of 1,000,000 under 8,000,000
      const repo = await makeRepo();
      const { deal, campaigns } = await dealWith(repo, 8_000_000, [1_000_000, 1_000_000, 1_000_000, 1_000_000]);
      const increases = campaigns.map((c) => amendedCampaign(c, { budget: usd(2_500_000) }));
      const additions = Array.from({ length: 6 }, () => aCampaign(deal, { budget: usd(1_500_000), dailyBudget: usd(1) }));
      const cut = amended(deal, { totalValue: usd(6_000_000) });
      // Act
      const results = await Promise.allSettled([
        ...increases.map((c) => repo.saveCampaign(c, 1, anAudit(c, 'campaign.amended'))),
        ...additions.map((c) => repo.createCampaign(c, anAudit(c, 'campaign.created'))),
        repo.saveDeal(cut, 1, anAudit(cut, 'deal.amended')),
      ]);
      // Assess
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BudgetExceededError);
      const total = (await repo.getDeal(deal.id))!.totalValue.amountMinor;
      expect(await allocated(repo, deal.id)).toBeLessThanOrEqual(total);
      expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    });
  });

  describe(`DealRepository contract, creation records: ${name}`, () => {
    it('keeps the record of a deal created under a scope, and refuses the scope for another deal, writing nothing', async () => {
      // Prepare
      const repo = await makeRepo();
      const creation = aCreation();
      const first = aDeal();
      await repo.createDeal(first, anAudit(first, 'deal.created'), creation);
      const second = aDeal({ accountId: first.accountId });
      // Act
      const err = await rejection(repo.createDeal(second, anAudit(second, 'deal.created'), creation));
      // Assess
      const record = { ...creation, entityType: 'deal', dealId: first.id, entityId: first.id, at: first.createdAt };
      expect(await repo.findCreation(creation.scope)).toEqual(record);
      expect(err).toBeInstanceOf(AlreadyCreatedError);
      expect((err as AlreadyCreatedError).record).toEqual(record);
      expect(await repo.getDeal(second.id)).toBeUndefined();
      expect((await repo.listDeals({ accountId: first.accountId, limit: 10 })).items).toEqual([first]);
      expect(await repo.findCreation(`scope-${randomUUID()}`)).toBeUndefined();
    });

    it('keeps the record of a campaign, refuses the scope for another campaign, and serves its version 1', async () => {
      // Prepare
      const repo = await makeRepo();
      const { deal } = await dealWith(repo, 5_000_000);
      const creation = aCreation();
      const first = aCampaign(deal, { budget: usd(3_000_000) });
      await repo.createCampaign(first, anAudit(first, 'campaign.created'), creation);
      const v2 = amendedCampaign(first, { name: 'renamed' });
      await repo.saveCampaign(v2, 1, anAudit(v2, 'campaign.amended'));
      const again = aCampaign(deal, { budget: usd(3_000_000) });
      // Act
      const err = await rejection(repo.createCampaign(again, anAudit(again, 'campaign.created'), creation));
      // Assess
      expect(err).toBeInstanceOf(AlreadyCreatedError);
      expect((err as AlreadyCreatedError).record).toMatchObject({ entityType: 'campaign', dealId: deal.id, entityId: first.id });
      expect(await repo.getCampaignVersion(deal.id, first.id, 1)).toEqual(first);
      expect(await repo.getCampaignVersion(deal.id, first.id, 2)).toEqual(v2);
      expect(await repo.getCampaignVersion(deal.id, first.id, 3)).toBeUndefined();
      expect(await repo.getCampaign(deal.id, again.id)).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent creates under one scope through', async () => {
      // Prepare
      const repo = await makeRepo();
      const creation = aCreation();
      const deals = Array.from({ length: 10 }, () => aDeal());
      // Act
      const results = await Promise.allSettled(deals.map((d) => repo.createDeal(d, anAudit(d, 'deal.created'), creation)));
      // Assess
      const won = deals.filter((_, i) => results[i]!.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyCreatedError);
      expect((await repo.findCreation(creation.scope))?.entityId).toBe(won[0]!.id);
    });
  });
}
