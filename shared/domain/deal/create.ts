import type { ChangeContext } from '../actor.js';
import { IssueList, checkNonBlankId } from '../validation.js';
import type { Deal, DealType } from './deal.js';
import type { Money } from '../money.js';
import { checkDealTerms } from './rules.js';

/** What a caller supplies to open a deal (the POST /deals body). */
export interface CreateDealInput {
  accountId: string;
  name: string;
  type: DealType;
  totalValue: Money;
  startDate: string;
  endDate: string;
  /** Defaults to the acting user. */
  ownerId?: string | undefined;
}

/**
 * A new deal: version 1, status draft, owned by `ownerId` or the actor, stamped with the context's time.
 * Throws ValidationError listing every broken rule. Account membership is checked by the caller
 * (access.ts#assertMemberOfAccount) because it is an authorization decision, not a business rule.
 */
export function createDeal(input: CreateDealInput, ctx: ChangeContext, ids: { dealId: string }): Deal {
  const issues = new IssueList();
  checkNonBlankId(issues, 'accountId', input.accountId);
  const terms = checkDealTerms(issues, {
    name: input.name,
    type: input.type,
    totalValue: input.totalValue,
    startDate: input.startDate,
    endDate: input.endDate,
    ownerId: input.ownerId ?? ctx.actor.userId,
  });
  issues.throwIfAny();
  return {
    id: ids.dealId,
    accountId: input.accountId,
    name: terms.name,
    type: terms.type,
    totalValue: { amountMinor: terms.totalValue.amountMinor, currency: terms.totalValue.currency },
    startDate: terms.startDate,
    endDate: terms.endDate,
    ownerId: terms.ownerId,
    status: 'draft',
    version: 1,
    createdAt: ctx.at,
    updatedAt: ctx.at,
    createdBy: ctx.actor.userId,
    updatedBy: ctx.actor.userId,
  };
}
