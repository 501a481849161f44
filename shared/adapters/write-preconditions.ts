import type { AuditEntry } from '../domain/audit.js';

/**
 * Preconditions every DealRepository adapter checks before writing: they catch a handler bug
 * (a skipped version, an audit entry for another entity) before it reaches storage.
 */
export function assertNextVersion(nextVersion: number, expectedVersion: number): void {
  if (nextVersion !== expectedVersion + 1) {
    throw new Error(`next.version must be expectedVersion + 1 (got ${nextVersion} after ${expectedVersion})`);
  }
}

export function assertAuditBelongs(audit: AuditEntry, dealId: string, entityType: 'deal' | 'campaign', entityId: string): void {
  if (audit.dealId !== dealId || audit.entityType !== entityType || audit.entityId !== entityId) {
    throw new Error(`audit entry ${audit.id} does not describe ${entityType} ${entityId} of deal ${dealId}`);
  }
}
