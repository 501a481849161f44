/** Domain events of deals and campaigns as the line-item consumer receives them. */
import { randomUUID } from 'node:crypto';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import type { CampaignEvent, CampaignEventType, DealEvent, DealEventType } from '../../../shared/domain-events/types.js';

const base = (entity: Deal | Campaign, at: string) => ({
  schemaVersion: 1 as const,
  eventId: `evt-${randomUUID()}`,
  accountId: entity.accountId,
  entityId: entity.id,
  version: entity.version,
  actor: entity.updatedBy,
  at,
  changedFields: ['status'],
  changes: [],
});

export function campaignEvent(type: CampaignEventType, campaign: Campaign, at = campaign.updatedAt): CampaignEvent {
  return { ...base(campaign, at), dealId: campaign.dealId, entity: 'campaign', type, campaign };
}

export function dealEvent(type: DealEventType, deal: Deal, at = deal.updatedAt): DealEvent {
  return { ...base(deal, at), dealId: deal.id, entity: 'deal', type, deal };
}
