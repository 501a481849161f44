/**
 * Mapper (off the hot path): an approved/active deal and its campaigns -> the bidder's LineItems.
 *
 * A campaign becomes line items when the deal is approved or active, the campaign is active, today
 * (UTC) is inside its flight dates and it has at least one creative (`Campaign.creatives`). A campaign
 * with `pmpDealIds` yields one line item per exchange-side deal id (ids `campaignId` for the first,
 * `campaignId~dealId` for the others); without them, one open-auction line item with id = campaignId.
 * All line items of a campaign share `campaignId`, so they spend one budget.
 *
 * The account's bidding settings have the last word (`campaignsAllowedByAccount`, applied by the line-item
 * source before this mapping): a seat or a PMP deal id the settings no longer allow never bids.
 */
import { isPmpDealIdAllowed, isSeatAllowed, type BiddingSettingsTerms } from '../domain/account/bidding-settings.js';
import type { Campaign } from '../domain/campaign/campaign.js';
import type { Deal } from '../domain/deal/deal.js';
import { lineItemsFromCampaign, type Creative, type LineItem } from './line-item.js';

export interface LineItemDefaults {
  /** Buyer seat used when a campaign names none. */
  seat: string;
}

/** What the budget side needs per campaign (daily budget in minor units of its currency, pacing). */
export interface CampaignBudgetInfo {
  campaignId: string;
  accountId: string;
  dealId: string;
  currency: string;
  dailyBudgetMinor: number;
  pacing: Campaign['schedule']['pacing'];
  maxBidMinor: number;
  /** The campaign's version: the allocator ignores an amendment older than one it applied. */
  version: number;
}

export interface DealLineItems {
  lineItems: LineItem[];
  budgets: CampaignBudgetInfo[];
}

/**
 * The campaigns as their account's bidding settings (undefined: the account has none) let them bid:
 * - a campaign naming a seat the settings do not allow is dropped (all its line items);
 * - its PMP deal ids the settings do not allow are dropped (those line items); a campaign left with none
 *   of its PMP deal ids is dropped too, never turned into an open-auction bidder.
 * Campaigns without a seat (the house seat) or without PMP deal ids (the open auction) need no entry.
 * The API refuses such values when they are set; this catches settings narrowed afterwards. Pure.
 */
export function campaignsAllowedByAccount(campaigns: readonly Campaign[], settings: BiddingSettingsTerms | undefined): Campaign[] {
  const allowed: Campaign[] = [];
  for (const campaign of campaigns) {
    if (campaign.seat !== undefined && !isSeatAllowed(settings, campaign.seat)) continue;
    const pmpDealIds = campaign.pmpDealIds ?? [];
    if (pmpDealIds.length === 0) {
      allowed.push(campaign);
      continue;
    }
    const kept = pmpDealIds.filter((id) => isPmpDealIdAllowed(settings, id));
    if (kept.length === pmpDealIds.length) allowed.push(campaign);
    else if (kept.length > 0) allowed.push({ ...campaign, pmpDealIds: kept });
  }
  return allowed;
}

function creativesOf(campaign: Campaign): Creative[] {
  const out: Creative[] = [];
  for (const c of campaign.creatives ?? []) {
    const creative: Creative = { id: c.id, format: c.format, w: c.w, h: c.h, adm: c.adm, adomain: [...c.adomain], cat: [...c.cat] };
    if (c.bundle !== undefined) creative.bundle = c.bundle;
    if (c.mimes !== undefined) creative.mimes = [...c.mimes];
    out.push(creative);
  }
  return out;
}

/** Line items (and budget info) of one deal's campaigns on `today` (YYYY-MM-DD, UTC). Pure. */
export function lineItemsFromDeal(deal: Deal, campaigns: readonly Campaign[], today: string, defaults: LineItemDefaults): DealLineItems {
  const lineItems: LineItem[] = [];
  const budgets: CampaignBudgetInfo[] = [];
  for (const campaign of campaigns) {
    const creatives = creativesOf(campaign);
    const seat = campaign.seat ?? defaults.seat;
    const dealIds = campaign.pmpDealIds && campaign.pmpDealIds.length > 0 ? [...new Set(campaign.pmpDealIds)] : [undefined];
    let produced = 0;
    dealIds.forEach((pmpDealId, index) => {
      const extras = pmpDealId === undefined ? { seat, creatives } : { seat, creatives, pmpDealId };
      for (const li of lineItemsFromCampaign(deal, campaign, extras, today)) {
        lineItems.push(index === 0 ? li : { ...li, id: `${campaign.id}~${pmpDealId}` });
        produced++;
      }
    });
    if (produced > 0) {
      budgets.push({
        campaignId: campaign.id,
        accountId: campaign.accountId,
        dealId: deal.id,
        currency: campaign.dailyBudget.currency,
        dailyBudgetMinor: campaign.dailyBudget.amountMinor,
        pacing: campaign.schedule.pacing,
        maxBidMinor: campaign.maxBid.amountMinor,
        version: campaign.version,
      });
    }
  }
  return { lineItems, budgets };
}
