import type { Money } from '../money.js';

export const CAMPAIGN_TYPES = ['display', 'video', 'native', 'sponsored'] as const;
export type CampaignType = (typeof CAMPAIGN_TYPES)[number];

export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'completed', 'archived'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'ctv'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export const PACING_MODES = ['even', 'asap'] as const;
export type PacingMode = (typeof PACING_MODES)[number];

export const BID_STRATEGIES = ['fixed_cpm', 'max_cpm'] as const;
export type BidStrategy = (typeof BID_STRATEGIES)[number];

export interface Targeting {
  audienceSegments: string[];
  /** ISO-3166-1 alpha-3 country codes, as OpenRTB's geo.country carries them. Empty = everywhere. */
  geo: { countries: string[] };
  /** Empty = every device type. */
  devices: DeviceType[];
}

export interface Schedule {
  /** Flight dates, YYYY-MM-DD, inside the deal's dates. */
  startDate: string;
  endDate: string;
  pacing: PacingMode;
}

export interface CreativeSpec {
  format: 'banner' | 'video' | 'native';
  width: number;
  height: number;
  mimeTypes: string[];
  /** Only for video. */
  maxDurationSeconds?: number;
}

export const CAMPAIGN_CREATIVE_FORMATS = ['banner', 'video', 'audio', 'native'] as const;
export type CampaignCreativeFormat = (typeof CAMPAIGN_CREATIVE_FORMATS)[number];

/**
 * A creative the bidder can serve for the campaign (optional: campaigns without creatives do not
 * bid). `adm` is the markup template returned as bid.adm (OpenRTB macros such as ${AUCTION_PRICE}
 * are left for the exchange to fill in).
 */
export interface CampaignCreative {
  id: string;
  format: CampaignCreativeFormat;
  w: number;
  h: number;
  adm: string;
  /** Advertiser domains (bid.adomain), checked against badv / deal wadomain. */
  adomain: string[];
  /** IAB content categories (bid.cat), checked against bcat. */
  cat: string[];
  /** Store id of an advertised app (bid.bundle), checked against bapp. */
  bundle?: string;
  mimes?: string[];
}

export interface FrequencyCap {
  impressions: number;
  periodHours: number;
}

export interface Campaign {
  id: string;
  dealId: string;
  accountId: string;
  name: string;
  type: CampaignType;
  /** Same currency as the deal's total value. */
  budget: Money;
  dailyBudget: Money;
  targeting: Targeting;
  schedule: Schedule;
  creativeSpecs: CreativeSpec[];
  frequencyCap?: FrequencyCap;
  bidStrategy: BidStrategy;
  /** Highest CPM the campaign bids, in the budget's currency. */
  maxBid: Money;
  /** Bidder only: creatives with markup. Absent or empty = the campaign does not bid. */
  creatives?: CampaignCreative[];
  /** Bidder only: exchange-side PMP deal ids the campaign buys through; absent = open auction. */
  pmpDealIds?: string[];
  /** Bidder only: buyer seat id on the exchange (default: the bidder's configured seat). */
  seat?: string;
  status: CampaignStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}
