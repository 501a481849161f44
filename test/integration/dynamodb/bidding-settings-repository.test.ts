import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoBiddingSettingsRepository } from '../../../shared/adapters/dynamodb/bidding-settings-repository.js';
import { campaignToItem, dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import { DynamoLineItemSource } from '../../../shared/adapters/dynamodb/line-item-source.js';
import type { CampaignCreative } from '../../../shared/domain/campaign/campaign.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { describeBiddingSettingsRepositoryContract, firstSettings } from './bidding-settings-repository.contract.js';
import { aCampaign, aDeal } from './deal-repository.contract.js';

const ddb = useDynamoDbLocal();
const makeRepo = () =>
  new DynamoBiddingSettingsRepository({ client: ddb.doc, dealsTableName: ddb.tables.deals, historyTableName: ddb.tables.history });

describeBiddingSettingsRepositoryContract('DynamoBiddingSettingsRepository on DynamoDB Local', makeRepo);

describe('DynamoBiddingSettingsRepository storage layout', () => {
  it("keeps the settings in the deals table under the account's key, outside the account indexes, history beside them", async () => {
    // Prepare
    const repo = makeRepo();
    const { settings, audit } = firstSettings();
    // Act
    await repo.createBiddingSettings(settings, audit);
    // Assess
    const item = await ddb.doc.send(new GetCommand({ TableName: ddb.tables.deals, Key: { pk: `ACCOUNT#${settings.accountId}`, sk: 'BIDDING_SETTINGS' } }));
    expect(item.Item).toMatchObject({ kind: 'biddingSettings', version: 1, allowedSeats: ['seat-a'] });
    const indexed = await ddb.doc.send(
      new QueryCommand({
        TableName: ddb.tables.deals,
        IndexName: 'byAccount',
        KeyConditionExpression: 'gsiAccountPk = :pk',
        ExpressionAttributeValues: { ':pk': `ACCOUNT#${settings.accountId}` },
      }),
    );
    expect(indexed.Items).toEqual([]);
    const history = await ddb.doc.send(
      new QueryCommand({ TableName: ddb.tables.history, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ACCOUNT#${settings.accountId}` } }),
    );
    expect(history.Items?.map((i) => [i.sk, i.kind])).toEqual([
      [`AUDIT#${audit.at}#${audit.id}`, 'accountAudit'],
      ['BIDDING_SETTINGS#VERSION#000000001', 'biddingSettingsVersion'],
    ]);
    expect(await repo.getBiddingSettings(settings.accountId)).not.toHaveProperty('pk');
  });
});

describe('DynamoLineItemSource with account bidding settings', () => {
  const creative: CampaignCreative = { id: 'cr-1', format: 'banner', w: 300, h: 250, adm: '<img>', adomain: ['a.example'], cat: [] };

  it("narrows each deal's campaigns to what its account's settings allow, in the same Scan", async () => {
    // Prepare: settings allow seat-a and pmp-1 only; another account has no settings at all
    const { settings, audit } = firstSettings({ allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-1'] });
    await makeRepo().createBiddingSettings(settings, audit);
    const deal = aDeal({ accountId: settings.accountId, status: 'active' });
    const bare = aDeal({ status: 'active' });
    const active = (d: typeof deal, id: string, fields: object = {}) => aCampaign(d, { id, status: 'active', creatives: [creative], ...fields });
    const items = [
      dealToItem(deal),
      dealToItem(bare),
      campaignToItem(active(deal, `${deal.id}-house`)),
      campaignToItem(active(deal, `${deal.id}-seat-a`, { seat: 'seat-a' })),
      campaignToItem(active(deal, `${deal.id}-seat-b`, { seat: 'seat-b' })),
      campaignToItem(active(deal, `${deal.id}-pmp`, { pmpDealIds: ['pmp-1', 'pmp-2'] })),
      campaignToItem(active(bare, `${bare.id}-house`)),
      campaignToItem(active(bare, `${bare.id}-seat`, { seat: 'seat-a' })),
    ];
    for (const item of items) await ddb.doc.send(new PutCommand({ TableName: ddb.tables.deals, Item: item }));
    const source = new DynamoLineItemSource({ doc: ddb.doc, tableName: ddb.tables.deals, pageSize: 3 });
    // Act
    const loaded = await source.loadBiddableDeals();
    // Assess
    const campaignsOf = (dealId: string) => loaded.find((b) => b.deal.id === dealId)?.campaigns.map((c) => [c.id, c.seat, c.pmpDealIds]);
    expect(campaignsOf(deal.id)).toEqual([
      [`${deal.id}-house`, undefined, undefined],
      [`${deal.id}-pmp`, undefined, ['pmp-1']],
      [`${deal.id}-seat-a`, 'seat-a', undefined],
    ]);
    expect(campaignsOf(bare.id)).toEqual([[`${bare.id}-house`, undefined, undefined]]);
  });
});
