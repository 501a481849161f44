import type { ChangeContext } from '../actor.js';
import type { AuditAction, FieldChange } from '../audit.js';
import { IllegalTransitionError } from '../errors.js';
import type { Deal, DealStatus } from './deal.js';

export const DEAL_ACTIONS = ['submit', 'cancel', 'approve', 'reject', 'revise', 'activate', 'pause', 'resume', 'complete'] as const;
export type DealAction = (typeof DEAL_ACTIONS)[number];

/**
 * The deal status machine (design.md "Deal rules"): for each status, the actions it allows and where
 * they lead. A status missing from an action's row refuses it. completed and cancelled have no exits.
 * The approval workflow reuses this table rather than restating it.
 */
export const DEAL_TRANSITIONS: Readonly<Record<DealStatus, Readonly<Partial<Record<DealAction, DealStatus>>>>> = {
  draft: { submit: 'pending_approval', cancel: 'cancelled' },
  pending_approval: { approve: 'approved', reject: 'rejected', cancel: 'cancelled' },
  rejected: { revise: 'draft' },
  approved: { activate: 'active', cancel: 'cancelled' },
  active: { pause: 'paused', complete: 'completed', cancel: 'cancelled' },
  paused: { resume: 'active', cancel: 'cancelled' },
  completed: {},
  cancelled: {},
};

/** The audit action recorded for each transition. */
export const DEAL_ACTION_AUDIT: Readonly<Record<DealAction, AuditAction>> = {
  submit: 'deal.submitted',
  cancel: 'deal.cancelled',
  approve: 'deal.approved',
  reject: 'deal.rejected',
  revise: 'deal.revised',
  activate: 'deal.activated',
  pause: 'deal.paused',
  resume: 'deal.resumed',
  complete: 'deal.completed',
};

/** Where `action` takes a deal in `status`, or undefined when the table refuses it. */
export function nextDealStatus(status: DealStatus, action: DealAction): DealStatus | undefined {
  return DEAL_TRANSITIONS[status][action];
}

export function allowedDealActions(status: DealStatus): DealAction[] {
  return DEAL_ACTIONS.filter((action) => DEAL_TRANSITIONS[status][action] !== undefined);
}

export function isDealAction(value: unknown): value is DealAction {
  return typeof value === 'string' && (DEAL_ACTIONS as readonly string[]).includes(value);
}

export interface DealTransition {
  next: Deal;
  changes: FieldChange[];
  /** The audit action to record for this change. */
  auditAction: AuditAction;
}

/**
 * Applies a status action: new version, status moved, stamped by the context.
 * Throws IllegalTransitionError('deal', currentStatus, action) when the table refuses it (→ 409).
 */
export function transitionDeal(deal: Deal, action: DealAction, ctx: ChangeContext): DealTransition {
  const status = nextDealStatus(deal.status, action);
  if (status === undefined) throw new IllegalTransitionError('deal', deal.status, action);
  return {
    next: { ...deal, status, version: deal.version + 1, updatedAt: ctx.at, updatedBy: ctx.actor.userId },
    changes: [{ field: 'status', old: deal.status, new: status }],
    auditAction: DEAL_ACTION_AUDIT[action],
  };
}
