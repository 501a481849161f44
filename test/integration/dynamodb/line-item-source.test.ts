import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoBiddingSettingsRepository } from '../../../shared/adapters/dynamodb/bidding-settings-repository.js';
import { campaignToItem, dealBudgetToItem, dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import { DynamoLineItemSource } from '../../../shared/adapters/dynamodb/line-item-source.js';
import type { Campaign, CampaignCreative } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { firstSettings } from './bidding-settings-repository.contract.js';
import { aCampaign, aDeal } from './deal-repository.contract.js';

const ddb = useDynamoDbLocal();
const creative: CampaignCreative = { id: 'cr-1', format: 'banner', w: 300, h: 250, adm: '<img>', adomain: ['a.example'], cat: [] };
const sourceOf = () => new DynamoLineItemSource({ doc: ddb.doc, tableName: ddb.tables.deals });
const put = (item: Record<string, unknown>) => ddb.doc.send(new PutCommand({ TableName: ddb.tables.deals, Item: item }));

async function seed(deal: Deal, campaigns: Campaign[]): Promise<void> {
  await put(dealToItem(deal));
  await put(dealBudgetToItem({ dealId: deal.id, currency: 'USD', totalValueMinor: 1_000_000, allocatedMinor: 0, availableMinor: 1_000_000 }));
  for (const campaign of campaigns) await put(campaignToItem(campaign));
}

describe('DynamoLineItemSource.loadBiddableDeal', () => {
  it("reads one deal: its active campaigns the account allows, and the version of every entity it saw", async () => {
    // Prepare
    const { settings, audit } = firstSettings({ allowedSeats: ['seat-a'], allowedPmpDealIds: [] });
    await new DynamoBiddingSettingsRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history }).createBiddingSettings(settings, audit);
    const deal = aDeal({ accountId: settings.accountId, status: 'active', version: 4 });
    const house = aCampaign(deal, { id: `${deal.id}-house`, status: 'active', creatives: [creative], version: 3 });
    const seatA = aCampaign(deal, { id: `${deal.id}-seat-a`, status: 'active', seat: 'seat-a', creatives: [creative], version: 1 });
    const seatB = aCampaign(deal, { id: `${deal.id}-seat-b`, status: 'active', seat: 'seat-b', creatives: [creative], version: 2 });
    const paused = aCampaign(deal, { id: `${deal.id}-paused`, status: 'paused', creatives: [creative], version: 6 });
    await seed(deal, [house, seatA, seatB, paused]);
    await seed(aDeal({ accountId: settings.accountId, status: 'active' }), []); // a neighbour, not read
    // Act
    const reload = await sourceOf().loadBiddableDeal(deal.id);
    // Assess
    expect(reload.dealId).toBe(deal.id);
    expect(reload.biddable?.deal).toEqual(deal);
    expect(reload.biddable?.campaigns.map((campaign) => campaign.id)).toEqual([house.id, seatA.id]);
    expect(reload.versions).toEqual({ deal: 4, campaigns: { [house.id]: 3, [seatA.id]: 1, [seatB.id]: 2, [paused.id]: 6 } });
  });

  it('has nothing biddable for a paused deal, a deal without an active campaign, or a removed deal, with what it saw', async () => {
    // Prepare
    const pausedDeal = aDeal({ status: 'paused', version: 7 });
    const campaignOfPaused = aCampaign(pausedDeal, { status: 'active', creatives: [creative], version: 2 });
    const idle = aDeal({ status: 'approved', version: 2 });
    const draft = aCampaign(idle, { status: 'draft', version: 1 });
    const removed = aDeal({ status: 'active' });
    await seed(pausedDeal, [campaignOfPaused]);
    await seed(idle, [draft]);
    await seed(removed, []);
    await ddb.doc.send(new DeleteCommand({ TableName: ddb.tables.deals, Key: { pk: `DEAL#${removed.id}`, sk: 'DEAL' } }));
    // Act
    const reloads = await Promise.all([pausedDeal.id, idle.id, removed.id].map((id) => sourceOf().loadBiddableDeal(id)));
    // Assess
    expect(reloads).toEqual([
      { dealId: pausedDeal.id, versions: { deal: 7, campaigns: { [campaignOfPaused.id]: 2 } } },
      { dealId: idle.id, versions: { deal: 2, campaigns: { [draft.id]: 1 } } },
      { dealId: removed.id, versions: { campaigns: {} } },
    ]);
  });

  it('agrees with the full load on a biddable deal', async () => {
    // Prepare
    const deal = aDeal({ status: 'approved' });
    await seed(deal, [aCampaign(deal, { status: 'active', creatives: [creative] }), aCampaign(deal, { status: 'completed', creatives: [creative] })]);
    // Act
    const one = await sourceOf().loadBiddableDeal(deal.id);
    const all = await sourceOf().loadBiddableDeals();
    // Assess
    expect(one.biddable).toEqual(all.find((biddable) => biddable.deal.id === deal.id));
  });
});
