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
  status: CampaignStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}
