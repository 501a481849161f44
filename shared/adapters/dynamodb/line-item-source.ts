/**
 * LineItemSource over the `deals` table: ONE paginated Scan, filtered server-side to approved/active
 * deals and active campaigns, grouped by deal.
 *
 * Why a Scan and no new index: the table's GSIs are keyed by account (byAccountStatus needs the
 * account list, which no table holds), campaigns are not in any GSI, and the bidder reads the whole
 * biddable set at start and on its periodic refresh per task (default every 5 minutes: changes reach
 * the tasks by push, per deal, and the full refresh is the safety net). At dealdesk's scale (thousands of
 * deals, tens of thousands of items) a Scan is a few hundred RCUs per refresh per task. When the table
 * outgrows that, add a sparse GSI (`gsiBiddablePk = BIDDABLE` written only on approved/active deals
 * and active campaigns); this adapter is the only place that changes.
 *
 * The same Scan reads the accounts' bidding settings (kind `biddingSettings`, a few items), and each
 * deal's campaigns are narrowed to what its account's settings allow (`campaignsAllowedByAccount`): a
 * seat or PMP deal id an admin removed stops bidding at the next full refresh (settings changes are not pushed).
 *
 * `loadBiddableDeal` (the push path, one deal per pushed change) is a consistent Query of the deal's
 * partition (`DEAL#<id>`: the deal, its campaigns, its budget item) and, when the deal may bid, a
 * consistent GetItem of its account's bidding settings: the same rules as the Scan, on one deal, with
 * the versions of every entity it saw so the bidder can ignore a read older than what it has.
 */
import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountBiddingSettings } from '../../domain/account/bidding-settings.js';
import { campaignsAllowedByAccount } from '../../bidding/line-items-from-deals.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import { BIDDABLE_DEAL_STATUSES } from '../../bidding/line-item.js';
import type { BiddableDeal, DealReload, EntityVersions, LineItemSource } from '../../ports/line-item-source.js';
import { BIDDING_SETTINGS_SK, biddingSettingsFromItem } from './bidding-settings-repository.js';
import { campaignFromItem, dealFromItem, type Item } from './items.js';
import { accountPk, dealPk } from './keys.js';

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
      if (list.length > 0) out.push({ deal, campaigns: list.sort(byId) });
    }
    return out.sort((a, b) => byId(a.deal, b.deal));
  }

  async loadBiddableDeal(dealId: string): Promise<DealReload> {
    let deal: Deal | undefined;
    const active: Campaign[] = [];
    const versions: EntityVersions = { campaigns: {} };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': dealPk(dealId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as Item[]) {
        if (item.kind === 'deal') {
          deal = dealFromItem(item);
          versions.deal = deal.version;
        } else if (item.kind === 'campaign') {
          const campaign = campaignFromItem(item);
          versions.campaigns[campaign.id] = campaign.version;
          if (campaign.status === 'active') active.push(campaign);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (!deal || !BIDDABLE_DEAL_STATUSES.includes(deal.status) || active.length === 0) return { dealId, versions };
    const settingsItem = (
      await this.options.doc.send(
        new GetCommand({ TableName: this.options.tableName, Key: { pk: accountPk(deal.accountId), sk: BIDDING_SETTINGS_SK }, ConsistentRead: true }),
      )
    ).Item as Item | undefined;
    const allowed = campaignsAllowedByAccount(active, settingsItem ? biddingSettingsFromItem(settingsItem) : undefined);
    return allowed.length > 0 ? { dealId, biddable: { deal, campaigns: allowed.sort(byId) }, versions } : { dealId, versions };
  }
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
