/**
 * Where engagement scores live: one record per deal (the score, its components and the state they are
 * computed from) and one per account (its deals counted by status). Kept up to date by the engagement
 * consumer, one domain event at a time; read by the API, never recomputed on read.
 */
import type { EngagementTier } from '../engagement/config.js';
import type { EngagementCurrent, EngagementIgnoreReason, EngagementRecord, EngagementStep } from '../engagement/model.js';
import type { Page, PageRequest } from './page.js';

/** The event an update applies: its id (the exactly-once key) and where it belongs. */
export interface AppliedEventRef {
  eventId: string;
  dealId: string;
  accountId: string;
}

/** From what the store holds now, what the event does (pure: the store may call it again after a race). */
export type EngagementCompute = (current: EngagementCurrent) => EngagementStep;

export type ApplyOutcome =
  /** The step was stored with the event's applied marker; `record` is the new score (absent on removal). */
  | { status: 'applied'; record?: EngagementRecord }
  /** The consumer had already applied this event: nothing changed. */
  | { status: 'duplicate' }
  /** The event changes nothing the scoring keeps: nothing stored. */
  | { status: 'ignored'; reason: EngagementIgnoreReason };

export interface EngagementListQuery extends PageRequest {
  accountId: string;
  tier?: EngagementTier;
}

export interface EngagementStore {
  /** A deal's current score, or undefined when it has none (yet). */
  get(dealId: string): Promise<EngagementRecord | undefined>;

  /**
   * Applies one event exactly once for `consumer`: loads the deal's and the account's records, calls
   * `compute`, and stores its step together with the event's applied marker, atomically and only if
   * neither record changed since it was loaded (otherwise loads and computes again). A second delivery
   * of the same event id has no effect and answers `duplicate`.
   */
  applyOnce(consumer: string, event: AppliedEventRef, compute: EngagementCompute): Promise<ApplyOutcome>;

  /** The account's scored deals, highest score first (equal scores by deal id, descending), optionally of one tier. */
  listByAccount(query: EngagementListQuery): Promise<Page<EngagementRecord>>;
}

/** The store gave up after concurrent writers kept changing the records between its load and its write. */
export class EngagementWriteConflictError extends Error {
  constructor(readonly dealId: string, readonly attempts: number) {
    super(`engagement of deal ${dealId} kept changing during ${attempts} attempts`);
    this.name = 'EngagementWriteConflictError';
  }
}
