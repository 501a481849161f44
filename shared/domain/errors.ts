import type { Money } from './money.js';

/**
 * Domain errors. The HTTP layer maps each class to one status code by `instanceof`
 * (functions/api/http/error-mapper.ts); nothing else decides status codes.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  /** JSON path of the offending field, e.g. "totalValue.amountMinor" or "" for the whole body. */
  path: string;
  message: string;
}

/** Input breaks a business or schema rule. → 400 with `issues`. */
export class ValidationError extends DomainError {
  readonly code = 'validation_failed';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
  }
}

/** The entity does not exist, or the caller may not see it (never reveal which). → 404 */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  constructor(readonly entity: 'deal' | 'campaign' | 'version' | 'bidding settings' | 'engagement score', readonly id: string) {
    super(`${entity} ${id} not found`);
  }
}

/** The caller's role does not allow the action. → 403 */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

/** A write that needs optimistic locking arrived without If-Match. → 428 */
export class PreconditionRequiredError extends DomainError {
  readonly code = 'precondition_required';
  constructor() {
    super('If-Match header with the current version is required');
  }
}

/** If-Match names a version that is no longer current. → 412 with `currentVersion`. */
export class VersionConflictError extends DomainError {
  readonly code = 'version_conflict';
  constructor(readonly expectedVersion: number, readonly currentVersion: number) {
    super(`version ${expectedVersion} is stale; current version is ${currentVersion}`);
  }
}

/** The action is not allowed from the entity's current status. → 409 naming the status. */
export class IllegalTransitionError extends DomainError {
  readonly code = 'illegal_transition';
  constructor(readonly entity: 'deal' | 'campaign', readonly currentStatus: string, readonly action: string) {
    super(`cannot ${action} a ${entity} in status ${currentStatus}`);
  }
}

/**
 * An amendment touches fields that the entity's current status locks (e.g. totalValue of an
 * approved deal). A kind of IllegalTransitionError, so it maps to 409 naming the status.
 */
export class FieldLockedError extends IllegalTransitionError {
  constructor(
    entity: 'deal' | 'campaign',
    currentStatus: string,
    readonly fields: string[],
    readonly amendableFields: readonly string[],
  ) {
    super(entity, currentStatus, 'amend');
    this.message =
      `cannot change ${fields.join(', ')} of a ${entity} in status ${currentStatus}` +
      (amendableFields.length > 0 ? `; only ${amendableFields.join(', ')} may change` : '');
  }
}

/**
 * The deal's campaigns would together budget more than its total value: a new campaign, a budget
 * increase or a cut in the deal's total needs `required` of the unallocated budget, and less is
 * available (possibly because a concurrent change took it). → 409 naming the total and what is available.
 */
export class BudgetExceededError extends DomainError {
  readonly code = 'budget_exceeded';
  /** totalValue − allocated; 0 where campaigns stored before the rule held already hold more. */
  readonly available: Money;
  constructor(
    readonly dealId: string,
    readonly totalValue: Money,
    /** What the deal's campaigns together budget. */
    readonly allocated: Money,
    readonly required: Money,
  ) {
    const available = { amountMinor: Math.max(totalValue.amountMinor - allocated.amountMinor, 0), currency: totalValue.currency };
    super(
      required.currency !== totalValue.currency
        ? `deal ${dealId} budgets in ${totalValue.currency}; this change is in ${required.currency}`
        : `deal ${dealId}: campaign budgets may total at most its total value ${totalValue.amountMinor} ${totalValue.currency}; ` +
            `${available.amountMinor} is available and this change needs ${required.amountMinor}`,
    );
    this.available = available;
  }
}

/**
 * An amendment (or a new campaign) would change what the bidder puts on the wire — creatives,
 * PMP deal ids, seat — under a deal that was already submitted: those fields were part of what was
 * approved, so changing them needs a new approval round. → 409 `field_locked` naming the fields and the
 * deal's status.
 */
export class ApprovedFieldsLockedError extends DomainError {
  readonly code = 'field_locked';
  constructor(
    readonly fields: readonly string[],
    readonly dealStatus: string,
  ) {
    super(
      `cannot change ${fields.join(', ')} of a campaign while its deal is ${dealStatus}: ` +
        'bidder-facing fields are locked once the deal is submitted; changing them needs a new approval round',
    );
  }
}
