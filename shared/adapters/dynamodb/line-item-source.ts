/**
 * LineItemSource over the `deals` table: ONE paginated Scan, filtered server-side to approved/active
 * deals and active campaigns, grouped by deal.
 *
 * Why a Scan and no new index: the table's GSIs are keyed by account (byAccountStatus needs the
 * account list, which no table holds), campaigns are not in any GSI, and the bidder reads the whole
 * biddable set at start and every refresh (default 30 s) per task. At dealdesk's scale (thousands of
 * deals, tens of thousands of items) a Scan is a few hundred RCUs per refresh per task. When the table
 * outgrows that, add a sparse GSI (`gsiBiddablePk = BIDDABLE` written only on approved/active deals
 * and active campaigns) or switch to the CDC-driven line-item sync; this adapter is the only place
 * that changes.
 *
 * The same Scan reads the accounts' bidding settings (kind `biddingSettings`, a few items), and each
 * deal's campaigns are narrowed to what its account's settings allow (`campaignsAllowedByAccount`): a
 * seat or PMP deal id an admin removed stops bidding at the next refresh.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountBiddingSettings } from '../../domain/account/bidding-settings.js';
import { campaignsAllowedByAccount } from '../../bidding/line-items-from-deals.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import type { BiddableDeal, LineItemSource } from '../../ports/line-item-source.js';
import { biddingSettingsFromItem } from './bidding-settings-repository.js';
import { campaignFromItem, dealFromItem, type Item } from './items.js';

export interface DynamoLineItemSourceOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Items per Scan page (default 1000). */
  pageSize?: number;
}

export class DynamoLineItemSource implements LineItemSource {
  constructor(private readonly options: DynamoLineItemSourceOptions) {}

  async loadBiddableDeals(): Promise<BiddableDeal[]> {
    const deals = new Map<string, Deal>();
    const campaigns = new Map<string, Campaign[]>();
    const settings = new Map<string, AccountBiddingSettings>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(
        new ScanCommand({
          TableName: this.options.tableName,
          Limit: this.options.pageSize ?? 1000,
          ExclusiveStartKey: startKey,
          FilterExpression:
            '(#kind = :deal AND #status IN (:approved, :active)) OR (#kind = :campaign AND #status = :active) OR #kind = :settings',
          ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
          ExpressionAttributeValues: {
            ':deal': 'deal',
            ':campaign': 'campaign',
            ':settings': 'biddingSettings',
            ':approved': 'approved',
            ':active': 'active',
          },
        }),
      );
      for (const item of (page.Items ?? []) as Item[]) {
        if (item.kind === 'deal') {
          const deal = dealFromItem(item);
          deals.set(deal.id, deal);
        } else if (item.kind === 'campaign') {
          const campaign = campaignFromItem(item);
          const list = campaigns.get(campaign.dealId);
          if (list) list.push(campaign);
          else campaigns.set(campaign.dealId, [campaign]);
        } else if (item.kind === 'biddingSettings') {
          const accountSettings = biddingSettingsFromItem(item);
          settings.set(accountSettings.accountId, accountSettings);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const out: BiddableDeal[] = [];
    for (const [id, deal] of deals) {
      const list = campaignsAllowedByAccount(campaigns.get(id) ?? [], settings.get(deal.accountId));
      if (list.length > 0) out.push({ deal, campaigns: list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) });
    }
    return out.sort((a, b) => (a.deal.id < b.deal.id ? -1 : a.deal.id > b.deal.id ? 1 : 0));
  }
}
