import type { Money } from '../money.js';

export const DEAL_TYPES = ['standard', 'programmatic', 'preferred', 'guaranteed'] as const;
export type DealType = (typeof DEAL_TYPES)[number];

export const DEAL_STATUSES = [
  'draft',
  'pending_approval',
  'approved',
  'rejected',
  'active',
  'paused',
  'completed',
  'cancelled',
] as const;
export type DealStatus = (typeof DEAL_STATUSES)[number];

export interface Deal {
  id: string;
  accountId: string;
  name: string;
  type: DealType;
  totalValue: Money;
  /** Calendar dates, YYYY-MM-DD; endDate is after startDate. */
  startDate: string;
  endDate: string;
  ownerId: string;
  status: DealStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}
