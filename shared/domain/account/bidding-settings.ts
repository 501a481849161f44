import type { ChangeContext } from '../actor.js';
import type { AuditRecord, FieldChange } from '../audit.js';
import { PMP_DEAL_ID_PATTERN, SEAT_PATTERN } from '../campaign/rules.js';
import type { Campaign } from '../campaign/campaign.js';
import { creationChanges, deepEqual, diffFields } from '../changes.js';
import { IssueList, checkNonBlankId } from '../validation.js';

/**
 * What an account's campaigns may bid with, kept on the server: the buyer seats and the exchange-side
 * PMP deal ids the account holds on the exchanges. Only the platform operator (admin) sets them, so an
 * account's own users cannot bid under another account's seat or into its private deals.
 *
 * A campaign without a seat bids under the bidder's house seat, and one without PMP deal ids in the open
 * auction: neither needs an entry. An account without settings may use neither seats nor PMP deal ids.
 */
export interface AccountBiddingSettings {
  accountId: string;
  /** Buyer seat ids (seatbid.seat) the account's campaigns may name as `seat`. */
  allowedSeats: string[];
  /** Exchange-side PMP deal ids the account's campaigns may name in `pmpDealIds`. */
  allowedPmpDealIds: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export const BIDDING_SETTINGS_FIELDS = ['allowedSeats', 'allowedPmpDealIds'] as const;
export type BiddingSettingsTerms = Pick<AccountBiddingSettings, (typeof BIDDING_SETTINGS_FIELDS)[number]>;

/** Bounds: the item, its snapshot and an audit entry with old and new lists stay far below 400 KB. */
export const ALLOWED_SEATS_MAX = 50;
export const ALLOWED_PMP_DEAL_IDS_MAX = 200;

/** Seats and PMP deal ids follow the campaign fields' formats; each list is distinct and bounded. */
export function checkBiddingSettingsTerms(issues: IssueList, terms: BiddingSettingsTerms): void {
  checkIdList(issues, 'allowedSeats', terms.allowedSeats, ALLOWED_SEATS_MAX, SEAT_PATTERN, 'must be 1-128 characters without whitespace');
  checkIdList(
    issues,
    'allowedPmpDealIds',
    terms.allowedPmpDealIds,
    ALLOWED_PMP_DEAL_IDS_MAX,
    PMP_DEAL_ID_PATTERN,
    'must be 1-128 characters without whitespace or "~"',
  );
}

function checkIdList(issues: IssueList, path: string, ids: readonly string[], max: number, pattern: RegExp, message: string): void {
  if (ids.length > max) issues.add(path, `must have at most ${max} items`);
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || !pattern.test(id)) issues.add(`${path}.${i}`, message);
    else if (seen.has(id)) issues.add(`${path}.${i}`, `duplicates ${id}`);
    seen.add(id);
  });
}

/** The first version of an account's settings. Throws ValidationError naming every broken rule. */
export function createBiddingSettings(accountId: string, terms: BiddingSettingsTerms, ctx: ChangeContext): AccountBiddingSettings {
  const issues = new IssueList();
  checkNonBlankId(issues, 'accountId', accountId);
  checkBiddingSettingsTerms(issues, terms);
  issues.throwIfAny();
  return {
    accountId,
    allowedSeats: [...terms.allowedSeats],
    allowedPmpDealIds: [...terms.allowedPmpDealIds],
    version: 1,
    createdAt: ctx.at,
    updatedAt: ctx.at,
    createdBy: ctx.actor.userId,
    updatedBy: ctx.actor.userId,
  };
}

export interface BiddingSettingsReplacement {
  next: AccountBiddingSettings;
  changes: FieldChange[];
}

/**
 * The settings replaced whole by `terms` (a PUT), as the next version; undefined when `terms` equal
 * the current lists (a repeated PUT changes nothing and records nothing).
 */
export function replaceBiddingSettings(
  current: AccountBiddingSettings,
  terms: BiddingSettingsTerms,
  ctx: ChangeContext,
): BiddingSettingsReplacement | undefined {
  const issues = new IssueList();
  checkBiddingSettingsTerms(issues, terms);
  issues.throwIfAny();
  const next: AccountBiddingSettings = {
    ...current,
    allowedSeats: [...terms.allowedSeats],
    allowedPmpDealIds: [...terms.allowedPmpDealIds],
    version: current.version + 1,
    updatedAt: ctx.at,
    updatedBy: ctx.actor.userId,
  };
  const changes = diffFields(current, next, BIDDING_SETTINGS_FIELDS);
  return changes.length === 0 ? undefined : { next, changes };
}

// ---------------------------------------------------------------------------------------------------
// Audit: account-level changes have no deal, so they get their own entry shape (same who/where/when).

export const ACCOUNT_AUDIT_ACTIONS = ['biddingSettings.created', 'biddingSettings.replaced'] as const;
export type AccountAuditAction = (typeof ACCOUNT_AUDIT_ACTIONS)[number];

/** One immutable record per change of an account-level entity. Created once, never updated or deleted. */
export interface AccountAuditEntry extends AuditRecord {
  accountId: string;
  entityType: 'biddingSettings';
  action: AccountAuditAction;
}

/** Audit entry for a settings version; `changes` defaults to "every list set" for biddingSettings.created. */
export function biddingSettingsAuditEntry(
  settings: AccountBiddingSettings,
  action: AccountAuditAction,
  ctx: ChangeContext,
  changes?: FieldChange[],
): AccountAuditEntry {
  return {
    // Deterministic, like deal and campaign entries: a retried write cannot add a second entry.
    id: `biddingSettings#${settings.accountId}#v${settings.version}`,
    accountId: settings.accountId,
    entityType: 'biddingSettings',
    action,
    version: settings.version,
    actor: { userId: ctx.actor.userId, groups: [...ctx.actor.groups] },
    correlationId: ctx.correlationId,
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
    at: ctx.at,
    changes: changes ?? creationChanges(settings, BIDDING_SETTINGS_FIELDS),
  };
}

// ---------------------------------------------------------------------------------------------------
// The rule for campaigns

/** What the account's settings allow; undefined settings allow no seat and no PMP deal id. */
export function isSeatAllowed(settings: BiddingSettingsTerms | undefined, seat: string): boolean {
  return settings?.allowedSeats.includes(seat) ?? false;
}

export function isPmpDealIdAllowed(settings: BiddingSettingsTerms | undefined, pmpDealId: string): boolean {
  return settings?.allowedPmpDealIds.includes(pmpDealId) ?? false;
}

/** The seat and PMP deal ids a campaign version brings in: all of them for a new campaign, the changed ones for an amendment. */
export interface CampaignBiddingChoices {
  seat?: string;
  pmpDealIds?: readonly string[];
}

/**
 * What `next` sets anew compared with `previous` (absent for a new campaign): the seat when it changed
 * to a value, every PMP deal id when the list changed. Unchanged values are not re-checked: the account
 * may have narrowed its settings since, and the bidder drops those at bid time anyway.
 */
export function newBiddingChoices(next: Pick<Campaign, 'seat' | 'pmpDealIds'>, previous?: Pick<Campaign, 'seat' | 'pmpDealIds'>): CampaignBiddingChoices {
  const choices: CampaignBiddingChoices = {};
  if (next.seat !== undefined && next.seat !== previous?.seat) choices.seat = next.seat;
  if (next.pmpDealIds !== undefined && next.pmpDealIds.length > 0 && !deepEqual(next.pmpDealIds, previous?.pmpDealIds)) {
    choices.pmpDealIds = next.pmpDealIds;
  }
  return choices;
}

/**
 * Refuses a seat or a PMP deal id the account's settings do not allow: ValidationError (400) naming each
 * one, e.g. `pmpDealIds.1: deal-x is not one of account acct-a's allowed PMP deal ids`.
 */
export function assertBiddingChoicesAllowed(
  accountId: string,
  choices: CampaignBiddingChoices,
  settings: BiddingSettingsTerms | undefined,
): void {
  const issues = new IssueList();
  if (choices.seat !== undefined && !isSeatAllowed(settings, choices.seat)) {
    issues.add('seat', `${choices.seat} is not one of account ${accountId}'s allowed buyer seats`);
  }
  choices.pmpDealIds?.forEach((id, i) => {
    if (!isPmpDealIdAllowed(settings, id)) issues.add(`pmpDealIds.${i}`, `${id} is not one of account ${accountId}'s allowed PMP deal ids`);
  });
  issues.throwIfAny();
}
