import { campaignsAllowedByAccount } from '../../bidding/line-items-from-deals.js';
import { BIDDABLE_DEAL_STATUSES } from '../../bidding/line-item.js';
import type { BiddingSettingsTerms } from '../../domain/account/bidding-settings.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import type { BiddableDeal, DealReload, EntityVersions, LineItemSource } from '../../ports/line-item-source.js';

/**
 * LineItemSource over deals and campaigns held in memory (tests, benches), with the DynamoDB adapter's
 * rules: approved/active deals, active campaigns, narrowed by the account's bidding settings.
 */
export class MemoryLineItemSource implements LineItemSource {
  private readonly deals = new Map<string, Deal>();
  private readonly campaigns = new Map<string, Map<string, Campaign>>();
  private readonly settings = new Map<string, BiddingSettingsTerms>();

  constructor(initial: { deals?: readonly Deal[]; campaigns?: readonly Campaign[] } = {}) {
    for (const deal of initial.deals ?? []) this.putDeal(deal);
    for (const campaign of initial.campaigns ?? []) this.putCampaign(campaign);
  }

  putDeal(deal: Deal): void {
    this.deals.set(deal.id, deal);
  }

  putCampaign(campaign: Campaign): void {
    const list = this.campaigns.get(campaign.dealId) ?? new Map<string, Campaign>();
    list.set(campaign.id, campaign);
    this.campaigns.set(campaign.dealId, list);
  }

  removeDeal(dealId: string): void {
    this.deals.delete(dealId);
    this.campaigns.delete(dealId);
  }

  putBiddingSettings(accountId: string, terms: BiddingSettingsTerms): void {
    this.settings.set(accountId, terms);
  }

  async loadBiddableDeals(): Promise<BiddableDeal[]> {
    const out: BiddableDeal[] = [];
    for (const dealId of [...this.deals.keys()].sort()) {
      const biddable = this.biddable(dealId);
      if (biddable) out.push(biddable);
    }
    return out;
  }

  async loadBiddableDeal(dealId: string): Promise<DealReload> {
    const versions: EntityVersions = { campaigns: {} };
    const deal = this.deals.get(dealId);
    if (deal) versions.deal = deal.version;
    for (const campaign of this.campaigns.get(dealId)?.values() ?? []) versions.campaigns[campaign.id] = campaign.version;
    const biddable = this.biddable(dealId);
    return biddable ? { dealId, biddable, versions } : { dealId, versions };
  }

  private biddable(dealId: string): BiddableDeal | undefined {
    const deal = this.deals.get(dealId);
    if (!deal || !BIDDABLE_DEAL_STATUSES.includes(deal.status)) return undefined;
    const active = [...(this.campaigns.get(dealId)?.values() ?? [])].filter((campaign) => campaign.status === 'active');
    const allowed = campaignsAllowedByAccount(active, this.settings.get(deal.accountId)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return allowed.length > 0 ? { deal: structuredClone(deal), campaigns: structuredClone(allowed) } : undefined;
  }
}
