/**
 * LineItem: the bidder's view of ONE campaign of an approved or active deal, shaped for the hot path
 * (plain readonly data, no methods, nothing to compute per request). Built from the Deal and Campaign
 * entities (shared/domain) plus what those do not carry yet (creatives with markup, advertiser domains,
 * IAB categories, the buyer seat and the exchange-side PMP deal id) by a mapper that lives outside the
 * hot path (`lineItemsFromCampaign` below; the line-item sync supplies the extras).
 *
 * Money: `maxBidMicros` is a CPM in integer micro-units of `currency` (see ./money.ts). A Campaign's
 * `maxBid` (integer minor units) maps with `moneyToMicros`, which knows each currency's minor digits.
 */
import type { Campaign, DeviceType, FrequencyCap, PacingMode } from '../domain/campaign/campaign.js';
import type { Deal, DealStatus } from '../domain/deal/deal.js';
import { MICROS_DIGITS, minorDigitsOf, type Money } from '../domain/money.js';

export type { DeviceType, FrequencyCap, PacingMode };

export const CREATIVE_FORMATS = ['banner', 'video', 'audio', 'native'] as const;
export type CreativeFormat = (typeof CREATIVE_FORMATS)[number];

export interface Creative {
  /** Our creative id; sent as bid.crid. */
  id: string;
  format: CreativeFormat;
  /** Size in device-independent pixels; must equal a size the banner imp offers. Player size for video (informational). */
  w: number;
  h: number;
  /**
   * Ad markup or markup template, sent as bid.adm. May contain OpenRTB macros (e.g. ${AUCTION_PRICE})
   * that the exchange substitutes; we do not expand them.
   */
  adm: string;
  /** Advertiser domains (bid.adomain), checked against the request's `badv` and a deal's `wadomain`. */
  adomain: readonly string[];
  /** IAB content categories of the creative (bid.cat), checked against the request's `bcat`. */
  cat: readonly string[];
  /** Store id of the app the creative advertises, if any (bid.bundle), checked against `bapp`. */
  bundle?: string;
  /** MIME types of the markup (video/audio); informational for now. */
  mimes?: readonly string[];
}

export interface LineItemTargeting {
  /** ISO-3166-1 alpha-3 codes, as OpenRTB's device.geo.country carries them. Empty = everywhere. */
  countries: readonly string[];
  /** Empty = every device type. */
  devices: readonly DeviceType[];
}

export interface LineItem {
  /** Stable id of this line item; equals campaignId (one line item per campaign). */
  id: string;
  campaignId: string;
  dealId: string;
  accountId: string;
  /** Buyer seat id this line item bids under on the exchange (seatbid.seat; checked against wseat/bseat). */
  seat: string;
  /** ISO-4217. We bid only in this currency, and only where the request allows it (no FX conversion). */
  currency: string;
  /** Highest CPM this line item bids, integer micros of `currency`. It bids exactly this (no shading). */
  maxBidMicros: number;
  creatives: readonly Creative[];
  targeting: LineItemTargeting;
  /**
   * Exchange-side PMP deal id. When set, the line item bids ONLY on impressions offering this deal
   * (and then with bid.dealid = this id); when absent it bids only in the open auction.
   */
  pmpDealId?: string;
  frequencyCap?: FrequencyCap;
  pacing: PacingMode;
}

// ---------------------------------------------------------------------------------------------------
// Mapping from the domain (off the hot path: at load/refresh time)

/** What the Campaign entity does not carry yet and the bidder needs. */
export interface LineItemExtras {
  /** Buyer seat id on the exchange. */
  seat: string;
  /** Creatives with markup, advertiser domains and categories. */
  creatives: readonly Creative[];
  /** Exchange-side PMP deal id, when the campaign buys through a PMP deal. */
  pmpDealId?: string;
}

/** Deal statuses whose campaigns may bid. */
export const BIDDABLE_DEAL_STATUSES: readonly DealStatus[] = Object.freeze(['approved', 'active']);

// The currency exponent table lives in the domain, beside the API's per-currency money bounds.
export { minorDigitsOf };

/** Domain Money (integer minor units) as a CPM in integer micros of the same currency. */
export function moneyToMicros(money: Money): number {
  return money.amountMinor * 10 ** (MICROS_DIGITS - minorDigitsOf(money.currency));
}

/**
 * The line items of one campaign: one, or none when it may not bid on `today` (YYYY-MM-DD, UTC):
 * the deal is not approved/active, the campaign is not active or not in its flight dates, it belongs to
 * another deal, or it has no creative. Pure; throws nothing.
 */
export function lineItemsFromCampaign(deal: Deal, campaign: Campaign, extras: LineItemExtras, today: string): LineItem[] {
  if (!BIDDABLE_DEAL_STATUSES.includes(deal.status)) return [];
  if (campaign.status !== 'active' || campaign.dealId !== deal.id) return [];
  if (today < campaign.schedule.startDate || today > campaign.schedule.endDate) return [];
  if (extras.creatives.length === 0) return [];
  const lineItem: LineItem = {
    id: campaign.id,
    campaignId: campaign.id,
    dealId: deal.id,
    accountId: campaign.accountId,
    seat: extras.seat,
    currency: campaign.maxBid.currency,
    maxBidMicros: moneyToMicros(campaign.maxBid),
    creatives: extras.creatives,
    targeting: { countries: campaign.targeting.geo.countries, devices: campaign.targeting.devices },
    pacing: campaign.schedule.pacing,
  };
  if (extras.pmpDealId !== undefined) lineItem.pmpDealId = extras.pmpDealId;
  if (campaign.frequencyCap) lineItem.frequencyCap = campaign.frequencyCap;
  return [lineItem];
}
