import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../../shared/domain/campaign/campaign.js';
import {
  CAMPAIGN_TRANSITIONS,
  assertCampaignTransition,
  canMoveCampaign,
  transitionCampaign,
} from '../../../shared/domain/campaign/transitions.js';
import { T1, aCampaign, aContext, aDeal } from './fixtures.js';
import { IllegalTransitionError } from '../../../shared/domain/errors.js';

const ALLOWED: Array<[CampaignStatus, CampaignStatus]> = [
  ['draft', 'active'],
  ['draft', 'archived'],
  ['active', 'paused'],
  ['active', 'completed'],
  ['paused', 'active'],
  ['paused', 'completed'],
  ['completed', 'archived'],
];

describe('campaign status machine', () => {
  it.each(ALLOWED)('allows %s → %s', (from, to) => {
    expect(canMoveCampaign(from, to)).toBe(true);
    expect(() => assertCampaignTransition(from, to)).not.toThrow();
  });

  const refused = CAMPAIGN_STATUSES.flatMap((from) =>
    CAMPAIGN_STATUSES.filter((to) => !ALLOWED.some(([f, t]) => f === from && t === to)).map((to) => [from, to] as const),
  );
  it.each(refused)('refuses %s → %s with a 409 naming the status', (from, to) => {
    expect(canMoveCampaign(from, to)).toBe(false);
    expect(() => assertCampaignTransition(from, to)).toThrow(IllegalTransitionError);
    expect(() => assertCampaignTransition(from, to)).toThrow(`in status ${from}`);
  });

  it('archived is terminal', () => {
    expect(CAMPAIGN_TRANSITIONS.archived).toEqual([]);
  });

  it('property: walks along the table never reach a status outside it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CAMPAIGN_STATUSES), { maxLength: 25 }), (targets) => {
        let status: CampaignStatus = 'draft';
        for (const to of targets) {
          if (canMoveCampaign(status, to)) status = to;
          else expect(() => assertCampaignTransition(status, to)).toThrow(IllegalTransitionError);
          expect(CAMPAIGN_STATUSES).toContain(status);
        }
      }),
    );
  });
});

describe('transitionCampaign', () => {
  it('moves status with a new version stamped by the context', () => {
    // Prepare
    const campaign = aCampaign(aDeal(), { status: 'active', version: 2 });
    // Act
    const { next, changes } = transitionCampaign(campaign, 'completed', aContext({ at: T1 }));
    // Assess
    expect(next).toMatchObject({ status: 'completed', version: 3, updatedAt: T1 });
    expect(changes).toEqual([{ field: 'status', old: 'active', new: 'completed' }]);
    expect(() => transitionCampaign(next, 'active', aContext())).toThrow(IllegalTransitionError);
  });
});
