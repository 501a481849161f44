import type { ChangeContext } from '../actor.js';
import type { FieldChange } from '../audit.js';
import { IllegalTransitionError } from '../errors.js';
import type { Campaign, CampaignStatus } from './campaign.js';

/**
 * Campaign status machine: the statuses each status may move to. archived is terminal.
 * A campaign's status changes through PATCH { status }, validated against this table.
 */
export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignStatus, readonly CampaignStatus[]>> = {
  draft: ['active', 'archived'],
  active: ['paused', 'completed'],
  paused: ['active', 'completed'],
  completed: ['archived'],
  archived: [],
};

/** The verb used in error messages for moving into a status ("cannot pause a campaign in status draft"). */
const VERB_FOR_TARGET: Readonly<Record<CampaignStatus, string>> = {
  draft: 'return to draft',
  active: 'activate',
  paused: 'pause',
  completed: 'complete',
  archived: 'archive',
};

export function canMoveCampaign(from: CampaignStatus, to: CampaignStatus): boolean {
  return CAMPAIGN_TRANSITIONS[from].includes(to);
}

/** Throws IllegalTransitionError('campaign', from, verb) unless the table allows from → to. */
export function assertCampaignTransition(from: CampaignStatus, to: CampaignStatus): void {
  if (!canMoveCampaign(from, to)) throw new IllegalTransitionError('campaign', from, VERB_FOR_TARGET[to]);
}

export interface CampaignTransition {
  next: Campaign;
  changes: FieldChange[];
}

/**
 * Moves a campaign to `to` outside a PATCH (e.g. the bidder completing a spent campaign):
 * new version, stamped by the context. Throws IllegalTransitionError when the table refuses it.
 */
export function transitionCampaign(campaign: Campaign, to: CampaignStatus, ctx: ChangeContext): CampaignTransition {
  assertCampaignTransition(campaign.status, to);
  return {
    next: { ...campaign, status: to, version: campaign.version + 1, updatedAt: ctx.at, updatedBy: ctx.actor.userId },
    changes: [{ field: 'status', old: campaign.status, new: to }],
  };
}
