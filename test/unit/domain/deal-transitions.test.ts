import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEAL_STATUSES, type DealStatus } from '../../../shared/domain/deal/deal.js';
import { DEAL_TERMINAL_STATUSES } from '../../../shared/domain/deal/rules.js';
import {
  DEAL_ACTIONS,
  DEAL_TRANSITIONS,
  allowedDealActions,
  nextDealStatus,
  transitionDeal,
  type DealAction,
} from '../../../shared/domain/deal/transitions.js';
import { IllegalTransitionError } from '../../../shared/domain/errors.js';
import { T1, aContext, aDealIn, anActor, thrownBy } from './fixtures.js';

/** design.md "Deal rules", spelled out edge by edge. */
const ALLOWED: Array<[DealStatus, DealAction, DealStatus]> = [
  ['draft', 'submit', 'pending_approval'],
  ['draft', 'cancel', 'cancelled'],
  ['pending_approval', 'approve', 'approved'],
  ['pending_approval', 'reject', 'rejected'],
  ['pending_approval', 'cancel', 'cancelled'],
  ['rejected', 'revise', 'draft'],
  ['approved', 'activate', 'active'],
  ['approved', 'cancel', 'cancelled'],
  ['active', 'pause', 'paused'],
  ['active', 'complete', 'completed'],
  ['active', 'cancel', 'cancelled'],
  ['paused', 'resume', 'active'],
  ['paused', 'cancel', 'cancelled'],
];
const later = aContext({ at: T1, actor: anActor({ userId: 'user-eve' }) });

describe('deal status machine', () => {
  it.each(ALLOWED)('%s --%s--> %s', (from, action, to) => {
    // Prepare
    const deal = aDealIn(from, { version: 7 });
    // Act
    const { next, changes, auditAction } = transitionDeal(deal, action, later);
    // Assess
    expect(next.status).toBe(to);
    expect(next.version).toBe(8);
    expect(next.updatedAt).toBe(T1);
    expect(next.updatedBy).toBe('user-eve');
    expect(changes).toEqual([{ field: 'status', old: from, new: to }]);
    expect(auditAction).toMatch(/^deal\./);
  });

  const refused = DEAL_STATUSES.flatMap((status) =>
    DEAL_ACTIONS.filter((action) => !ALLOWED.some(([s, a]) => s === status && a === action)).map(
      (action) => [status, action] as const,
    ),
  );

  it.each(refused)('refuses %s --%s--> with a 409 naming the status', (status, action) => {
    const error = thrownBy(() => transitionDeal(aDealIn(status), action, later));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ entity: 'deal', currentStatus: status, action });
    expect((error as Error).message).toBe(`cannot ${action} a deal in status ${status}`);
  });

  it('exports exactly the design table', () => {
    const edges = DEAL_STATUSES.flatMap((status) =>
      Object.entries(DEAL_TRANSITIONS[status]).map(([action, to]) => [status, action, to]),
    );
    expect(edges.sort()).toEqual([...ALLOWED].sort());
  });

  it('records the matching audit action for submit and cancel', () => {
    expect(transitionDeal(aDealIn('draft'), 'submit', later).auditAction).toBe('deal.submitted');
    expect(transitionDeal(aDealIn('draft'), 'cancel', later).auditAction).toBe('deal.cancelled');
  });

  it.each(DEAL_TERMINAL_STATUSES)('%s has no exits', (status) => {
    expect(allowedDealActions(status)).toEqual([]);
  });

  it('property: any action sequence stays inside the table and never leaves a terminal status', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...DEAL_ACTIONS), { maxLength: 30 }), (actions) => {
        // Prepare
        let deal = aDealIn('draft', { version: 1 });
        for (const action of actions) {
          const before = deal.status;
          const expected = nextDealStatus(before, action);
          // Act
          try {
            deal = transitionDeal(deal, action, later).next;
          } catch (error) {
            // Assess: refused exactly when the table has no edge
            expect(error).toBeInstanceOf(IllegalTransitionError);
            expect(expected).toBeUndefined();
            continue;
          }
          expect(deal.status).toBe(expected);
          expect(DEAL_STATUSES).toContain(deal.status);
          expect(DEAL_TERMINAL_STATUSES).not.toContain(before);
        }
      }),
    );
  });
});
