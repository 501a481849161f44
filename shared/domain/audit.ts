import type { ChangeContext } from './actor.js';

export interface FieldChange {
  /** Dotted path of the changed field, e.g. "totalValue" or "schedule.endDate". */
  field: string;
  old: unknown;
  new: unknown;
}

export const AUDIT_ACTIONS = [
  'deal.created',
  'deal.amended',
  'deal.submitted',
  'deal.cancelled',
  // Later lifecycle steps (approval workflow, go-live); produced by deal/transitions.ts.
  'deal.approved',
  'deal.rejected',
  'deal.revised',
  'deal.activated',
  'deal.paused',
  'deal.resumed',
  'deal.completed',
  'campaign.created',
  'campaign.amended',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One immutable record per state change. Created once, never updated or deleted. */
export interface AuditEntry {
  id: string;
  dealId: string;
  entityType: 'deal' | 'campaign';
  entityId: string;
  action: AuditAction;
  /** The entity version this change produced. */
  version: number;
  actor: { userId: string; groups: string[] };
  correlationId: string;
  sourceIp: string;
  userAgent: string;
  at: string;
  changes: FieldChange[];
}

export type { ChangeContext };
