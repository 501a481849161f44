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

/** Who changed what, where and when: what every audit record carries, whatever it audits. */
export interface AuditRecord {
  id: string;
  /** The entity version this change produced. */
  version: number;
  actor: { userId: string; groups: string[] };
  correlationId: string;
  sourceIp: string;
  userAgent: string;
  at: string;
  changes: FieldChange[];
}

/** One immutable record per state change of a deal or campaign. Created once, never updated or deleted. */
export interface AuditEntry extends AuditRecord {
  dealId: string;
  entityType: 'deal' | 'campaign';
  entityId: string;
  action: AuditAction;
}

export type { ChangeContext };
