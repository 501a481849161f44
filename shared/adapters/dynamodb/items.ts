/**
 * Domain object ↔ DynamoDB item. Items carry the domain fields as they are plus the storage
 * attributes from keys.ts (pk, sk, kind, GSI keys), which are stripped on the way out.
 * `kind` tells the CDC stream processor what an item is without parsing keys.
 */
import type { AuditEntry } from '../../domain/audit.js';
import type { Campaign } from '../../domain/campaign/campaign.js';
import type { Deal } from '../../domain/deal/deal.js';
import {
  DEAL_SK,
  STORAGE_ATTRIBUTES,
  accountPk,
  accountSk,
  accountStatusPk,
  accountTypePk,
  auditSk,
  campaignSk,
  campaignVersionSk,
  dealPk,
  dealVersionSk,
} from './keys.js';

export type ItemKind = 'deal' | 'campaign' | 'dealVersion' | 'campaignVersion' | 'audit';
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

/** The kind of a stored item (for stream consumers), or undefined for items this adapter did not write. */
export function itemKind(item: Item): ItemKind | undefined {
  const kind = item.kind;
  return kind === 'deal' || kind === 'campaign' || kind === 'dealVersion' || kind === 'campaignVersion' || kind === 'audit'
    ? kind
    : undefined;
}
