/**
 * Domain object ↔ DynamoDB item. Items carry the domain fields as they are plus the storage
 * attributes from keys.ts (pk, sk, kind, GSI keys), which are stripped on the way out.
 * `kind` tells the CDC stream processor what an item is without parsing keys.
 */
import type { AuditEntry } from '../../domain/audit.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import type { CreationRecord } from '../../ports/deal-repository.js';
import {
  CREATION_SK,
  DEAL_BUDGET_SK,
  DEAL_SK,
  STORAGE_ATTRIBUTES,
  accountPk,
  accountSk,
  accountStatusPk,
  accountTypePk,
  auditSk,
  campaignSk,
  campaignVersionSk,
  creationPk,
  dealPk,
  dealVersionSk,
} from './keys.js';

const ITEM_KINDS = ['deal', 'campaign', 'dealBudget', 'dealVersion', 'campaignVersion', 'audit', 'creation'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export type Item = Record<string, unknown>;

const STORAGE = new Set<string>(STORAGE_ATTRIBUTES);

function strip<T>(item: Item): T {
  const out: Item = {};
  for (const [key, value] of Object.entries(item)) if (!STORAGE.has(key)) out[key] = value;
  return out as T;
}

/** deals table: the current deal, listed by account (and status, and type) through the GSIs. */
export function dealToItem(deal: Deal): Item {
  return {
    ...deal,
    pk: dealPk(deal.id),
    sk: DEAL_SK,
    kind: 'deal' satisfies ItemKind,
    gsiAccountPk: accountPk(deal.accountId),
    gsiAccountStatusPk: accountStatusPk(deal.accountId, deal.status),
    gsiAccountTypePk: accountTypePk(deal.accountId, deal.type),
    gsiAccountSk: accountSk(deal.createdAt, deal.id),
  };
}

/** deals table: the current campaign, in its deal's item collection. */
export function campaignToItem(campaign: Campaign): Item {
  return { ...campaign, pk: dealPk(campaign.dealId), sk: campaignSk(campaign.id), kind: 'campaign' satisfies ItemKind };
}

/**
 * deals table: what a deal's campaigns together budget (`allocatedMinor`) against its total value, and
 * the headroom between them (`availableMinor`), so that a transaction can refuse a write by a condition
 * on the current value (DynamoDB conditions compare, they cannot add). Minor units of `currency`.
 */
export interface DealBudget {
  dealId: string;
  currency: string;
  totalValueMinor: number;
  allocatedMinor: number;
  availableMinor: number;
}

export function dealBudgetToItem(budget: DealBudget): Item {
  return { ...budget, pk: dealPk(budget.dealId), sk: DEAL_BUDGET_SK, kind: 'dealBudget' satisfies ItemKind };
}

/** history table: which entity a create under an Idempotency-Key made, and from what request. */
export function creationToItem(record: CreationRecord): Item {
  return { ...record, pk: creationPk(record.scope), sk: CREATION_SK, kind: 'creation' satisfies ItemKind };
}

/** history table: immutable snapshot of one deal version. */
export function dealVersionToItem(deal: Deal): Item {
  return { ...deal, pk: dealPk(deal.id), sk: dealVersionSk(deal.version), kind: 'dealVersion' satisfies ItemKind };
}

/** history table: immutable snapshot of one campaign version, under its deal. */
export function campaignVersionToItem(campaign: Campaign): Item {
  return {
    ...campaign,
    pk: dealPk(campaign.dealId),
    sk: campaignVersionSk(campaign.id, campaign.version),
    kind: 'campaignVersion' satisfies ItemKind,
  };
}

/** history table: one audit entry, under the deal it concerns (campaign entries included). */
export function auditToItem(entry: AuditEntry): Item {
  return { ...entry, pk: dealPk(entry.dealId), sk: auditSk(entry.at, entry.id), kind: 'audit' satisfies ItemKind };
}

export const dealFromItem = (item: Item): Deal => strip<Deal>(item);
export const campaignFromItem = (item: Item): Campaign => strip<Campaign>(item);
export const auditFromItem = (item: Item): AuditEntry => strip<AuditEntry>(item);
export const dealBudgetFromItem = (item: Item): DealBudget => strip<DealBudget>(item);
export const creationFromItem = (item: Item): CreationRecord => strip<CreationRecord>(item);

/** The kind of a stored item (for stream consumers), or undefined for items this adapter did not write. */
export function itemKind(item: Item): ItemKind | undefined {
  const kind = item.kind;
  return (ITEM_KINDS as readonly unknown[]).includes(kind) ? (kind as ItemKind) : undefined;
}
