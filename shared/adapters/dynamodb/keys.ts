/**
 * Key formats of the deals and history tables (docs/data-model.md; attribute names as in
 * infra/stacks/data-stack.ts). Everything that builds or parses a key lives here.
 */
import type { DealStatus, DealType } from '../../domain/deal/deal.js';

export const DEAL_SK = 'DEAL';
export const CAMPAIGN_SK_PREFIX = 'CAMPAIGN#';
export const VERSION_SK_PREFIX = 'VERSION#';
export const AUDIT_SK_PREFIX = 'AUDIT#';
/** deals table: the deal's budget allocation, in the deal's partition beside the deal. */
export const DEAL_BUDGET_SK = 'BUDGET';
/** history table: the record of a create made under an Idempotency-Key (one item per scope). */
export const CREATION_SK = 'CREATION';

export const INDEX = {
  byAccount: { name: 'byAccount', pk: 'gsiAccountPk', sk: 'gsiAccountSk' },
  byAccountStatus: { name: 'byAccountStatus', pk: 'gsiAccountStatusPk', sk: 'gsiAccountSk' },
  byAccountType: { name: 'byAccountType', pk: 'gsiAccountTypePk', sk: 'gsiAccountSk' },
} as const;
export type IndexName = keyof typeof INDEX;

/** Attributes the adapter adds to an item; they never reach the domain. */
export const STORAGE_ATTRIBUTES = [
  'pk',
  'sk',
  'kind',
  INDEX.byAccount.pk,
  INDEX.byAccountStatus.pk,
  INDEX.byAccountType.pk,
  INDEX.byAccount.sk,
] as const;

/** Zero-padded so that versions sort numerically as strings (up to 999,999,999). */
export const padVersion = (version: number): string => String(version).padStart(9, '0');

export const dealPk = (dealId: string): string => `DEAL#${dealId}`;
export const campaignSk = (campaignId: string): string => `${CAMPAIGN_SK_PREFIX}${campaignId}`;
export const dealVersionSk = (version: number): string => `${VERSION_SK_PREFIX}${padVersion(version)}`;
export const campaignVersionPrefix = (campaignId: string): string => `${CAMPAIGN_SK_PREFIX}${campaignId}#${VERSION_SK_PREFIX}`;
export const campaignVersionSk = (campaignId: string, version: number): string =>
  `${campaignVersionPrefix(campaignId)}${padVersion(version)}`;
/** `scope` is already a hash of (route, caller, Idempotency-Key): fixed length, nothing readable in it. */
export const creationPk = (scope: string): string => `CREATION#${scope}`;
/** ISO-8601 UTC timestamps sort chronologically as strings; the entry id breaks ties. */
export const auditSk = (at: string, entryId: string): string => `${AUDIT_SK_PREFIX}${at}#${entryId}`;

export const accountPk = (accountId: string): string => `ACCOUNT#${accountId}`;
export const accountStatusPk = (accountId: string, status: DealStatus): string => `ACCOUNT#${accountId}#STATUS#${status}`;
export const accountTypePk = (accountId: string, type: DealType): string => `ACCOUNT#${accountId}#TYPE#${type}`;
/** Newest first = descending on this key. */
export const accountSk = (createdAt: string, dealId: string): string => `${createdAt}#${dealId}`;
