import type { ChangeContext } from './actor.js';

export interface FieldChange {
  /** Dotted path of the changed field, e.g. "totalValue" or "schedule.endDate". */
  field: string;
  old: unknown;
  new: unknown;
}

export type AuditAction =
  | 'deal.created'
  | 'deal.amended'
  | 'deal.submitted'
  | 'deal.cancelled'
  | 'campaign.created'
  | 'campaign.amended';

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
