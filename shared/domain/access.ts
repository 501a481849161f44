import type { Actor, Group } from './actor.js';
import type { Campaign } from './campaign/campaign.js';
import type { Deal } from './deal/deal.js';
import { ForbiddenError, NotFoundError, ValidationError } from './errors.js';

/** Everything a caller can ask the API to do, named by entity and verb. */
export const ACCESS_ACTIONS = [
  'deal.read',
  'deal.create',
  'deal.amend',
  'deal.cancel',
  'deal.submit',
  'campaign.read',
  'campaign.create',
  'campaign.amend',
  'biddingSettings.read',
  'biddingSettings.replace',
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** Any group at all: reads are open to every signed-in member of some group. */
export const ANY_GROUP = 'any' as const;

/**
 * Which groups may perform each action (design.md route table). admin may always act and is not listed.
 * Read actions accept any group; a token without groups may not even read.
 */
export const ACTION_GROUPS: Readonly<Record<AccessAction, readonly Group[] | typeof ANY_GROUP>> = {
  'deal.read': ANY_GROUP,
  'deal.create': ['deal_manager'],
  'deal.amend': ['deal_manager'],
  'deal.cancel': ['deal_manager'],
  'deal.submit': ['deal_manager'],
  'campaign.read': ANY_GROUP,
  'campaign.create': ['campaign_manager', 'deal_manager'],
  'campaign.amend': ['campaign_manager', 'deal_manager'],
  // Members of the account read its settings (account visibility is checked by the handler).
  'biddingSettings.read': ANY_GROUP,
  // The platform operator only: an account's own users must not grant themselves seats or deals.
  'biddingSettings.replace': ['admin'],
};

export function isAdmin(actor: Actor): boolean {
  return actor.groups.includes('admin');
}

export function mayAct(actor: Actor, action: AccessAction): boolean {
  if (isAdmin(actor)) return true;
  const allowed = ACTION_GROUPS[action];
  if (allowed === ANY_GROUP) return actor.groups.length > 0;
  return actor.groups.some((g) => allowed.includes(g));
}

/** Throws ForbiddenError (403) naming the groups that would allow `action`. */
export function assertMayAct(actor: Actor, action: AccessAction): void {
  if (mayAct(actor, action)) return;
  const allowed = ACTION_GROUPS[action];
  const needed = allowed === ANY_GROUP ? 'membership in any group' : `one of the groups ${[...new Set([...allowed, 'admin'])].join(', ')}`;
  throw new ForbiddenError(`${action} requires ${needed}`);
}

/** Admins see every account; everyone else only the accounts in their token. */
export function canSeeAccount(actor: Actor, accountId: string): boolean {
  return isAdmin(actor) || actor.accountIds.includes(accountId);
}

/**
 * A deal in an account the caller cannot see answers exactly like a missing deal (404),
 * so probing ids never reveals which deals exist in other accounts.
 */
export function assertCanSeeDeal(actor: Actor, deal: Deal): void {
  if (!canSeeAccount(actor, deal.accountId)) throw new NotFoundError('deal', deal.id);
}

/** Same rule for a campaign looked up directly; normally the deal check already covers it. */
export function assertCanSeeCampaign(actor: Actor, campaign: Campaign): void {
  if (!canSeeAccount(actor, campaign.accountId)) throw new NotFoundError('campaign', campaign.id);
}

/** An account's bidding settings answer 404 to callers outside the account, like its deals. */
export function assertCanSeeAccountSettings(actor: Actor, accountId: string): void {
  if (!canSeeAccount(actor, accountId)) throw new NotFoundError('bidding settings', accountId);
}

/**
 * Creating a deal in an account the caller does not belong to is refused with 403: the caller named
 * the account themselves, so there is nothing to hide, and the message tells them what is wrong.
 */
export function assertMemberOfAccount(actor: Actor, accountId: string): void {
  if (!canSeeAccount(actor, accountId)) throw new ForbiddenError(`not a member of account ${accountId}`);
}

/**
 * The account whose deals GET /deals lists.
 * - `requestedAccountId` given: returned when the caller may see it, else ForbiddenError
 *   "not a member of account X" (an empty list would wrongly suggest the account has no deals;
 *   404 would be odd for a collection the caller named explicitly).
 * - omitted: the caller's only account; ValidationError naming "accountId" when the caller has
 *   several accounts or is an admin (ambiguous); ForbiddenError when they have none.
 */
export function resolveListAccount(actor: Actor, requestedAccountId?: string): string {
  if (requestedAccountId !== undefined) {
    assertMemberOfAccount(actor, requestedAccountId);
    return requestedAccountId;
  }
  const [only, ...others] = actor.accountIds;
  if (only !== undefined && others.length === 0 && !isAdmin(actor)) return only;
  if (only === undefined && !isAdmin(actor)) throw new ForbiddenError('not a member of any account');
  throw new ValidationError([
    { path: 'accountId', message: 'is required because the caller can see more than one account' },
  ]);
}
