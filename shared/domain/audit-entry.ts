import type { ChangeContext } from './actor.js';
import type { AuditAction, AuditEntry, FieldChange } from './audit.js';
import type { Campaign } from './campaign/campaign.js';
import { CAMPAIGN_MUTABLE_FIELDS } from './campaign/rules.js';
import { creationChanges } from './changes.js';
import type { Deal } from './deal/deal.js';
import { DEAL_MUTABLE_FIELDS } from './deal/rules.js';

export interface AuditSubject {
  dealId: string;
  entityType: 'deal' | 'campaign';
  entityId: string;
  /** The entity version the change produced. */
  version: number;
}

/**
 * Deterministic audit id: one state change = one entity version = one audit entry, so a retried
 * write computes the same id and the conditional put (attribute_not_exists) refuses a duplicate.
 */
export function auditEntryId(subject: Pick<AuditSubject, 'entityType' | 'entityId' | 'version'>): string {
  return `${subject.entityType}#${subject.entityId}#v${subject.version}`;
}

/** Builds the immutable audit record for one state change from who/where/when (ctx) and what changed. */
export function buildAuditEntry(
  subject: AuditSubject,
  action: AuditAction,
  changes: FieldChange[],
  ctx: ChangeContext,
  ids: { auditId?: string } = {},
): AuditEntry {
  return {
    id: ids.auditId ?? auditEntryId(subject),
    dealId: subject.dealId,
    entityType: subject.entityType,
    entityId: subject.entityId,
    action,
    version: subject.version,
    actor: { userId: ctx.actor.userId, groups: [...ctx.actor.groups] },
    correlationId: ctx.correlationId,
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
    at: ctx.at,
    changes,
  };
}

/** Audit entry for a deal version; `changes` defaults to "every field set" for deal.created. */
export function dealAuditEntry(deal: Deal, action: AuditAction, ctx: ChangeContext, changes?: FieldChange[]): AuditEntry {
  const recorded = changes ?? creationChanges(deal, [...DEAL_MUTABLE_FIELDS, 'status']);
  return buildAuditEntry({ dealId: deal.id, entityType: 'deal', entityId: deal.id, version: deal.version }, action, recorded, ctx);
}

/** Audit entry for a campaign version; `changes` defaults to "every field set" for campaign.created. */
export function campaignAuditEntry(
  campaign: Campaign,
  action: AuditAction,
  ctx: ChangeContext,
  changes?: FieldChange[],
): AuditEntry {
  const recorded = changes ?? creationChanges(campaign, [...CAMPAIGN_MUTABLE_FIELDS, 'status']);
  return buildAuditEntry(
    { dealId: campaign.dealId, entityType: 'campaign', entityId: campaign.id, version: campaign.version },
    action,
    recorded,
    ctx,
  );
}
