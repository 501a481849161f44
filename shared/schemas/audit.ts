import { z } from 'zod';
import { AUDIT_ACTIONS } from '../domain/audit.js';
import { EntityId, Timestamp, Version, listResponse } from './common.js';

export const FieldChangeSchema = z
  .object({
    field: z.string().meta({ description: 'Dotted path, e.g. "totalValue" or "schedule.endDate"' }),
    old: z.unknown().meta({ description: 'Value before the change (null when absent)' }),
    new: z.unknown().meta({ description: 'Value after the change (null when removed)' }),
  })
  .meta({ id: 'FieldChange' });

export const AuditEntryResponse = z
  .object({
    id: z.string(),
    dealId: EntityId,
    entityType: z.enum(['deal', 'campaign']),
    entityId: EntityId,
    action: z.enum(AUDIT_ACTIONS),
    version: Version.meta({ description: 'The entity version this change produced' }),
    actor: z.object({ userId: z.string(), groups: z.array(z.string()) }),
    correlationId: z.string(),
    sourceIp: z.string(),
    userAgent: z.string(),
    at: Timestamp,
    changes: z.array(FieldChangeSchema),
  })
  .meta({ id: 'AuditEntry', description: 'One immutable record of a state change' });
export type AuditEntryResponse = z.infer<typeof AuditEntryResponse>;

export const AuditListResponse = listResponse(AuditEntryResponse, 'AuditList', "A page of a deal's audit entries, oldest first");
