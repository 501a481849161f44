import { expect } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import type { Actor, ChangeContext } from '../../../shared/domain/actor.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { CreateCampaignInput } from '../../../shared/domain/campaign/create.js';
import { createCampaign } from '../../../shared/domain/campaign/create.js';
import { createDeal, type CreateDealInput } from '../../../shared/domain/deal/create.js';
import type { Deal, DealStatus } from '../../../shared/domain/deal/deal.js';

/** Small builders so each test states only what matters to it. */

export const T0 = '2026-01-05T10:00:00.000Z';
export const T1 = '2026-01-06T11:30:00.000Z';

export function anActor(overrides: Partial<Actor> = {}): Actor {
  return { userId: 'user-ana', groups: ['deal_manager'], accountIds: ['acct-demo'], ...overrides };
}

export function aContext(overrides: Partial<ChangeContext> = {}): ChangeContext {
  return {
    actor: anActor(),
    correlationId: 'corr-1',
    sourceIp: '203.0.113.7',
    userAgent: 'vitest',
    at: T0,
    ...overrides,
  };
}

export function aDealInput(overrides: Partial<CreateDealInput> = {}): CreateDealInput {
  return {
    accountId: 'acct-demo',
    name: 'Spring launch',
    type: 'guaranteed',
    totalValue: { amountMinor: 1_000_000, currency: 'USD' },
    startDate: '2026-03-01',
    endDate: '2026-05-31',
    ...overrides,
  };
}

export function aDeal(overrides: Partial<Deal> = {}): Deal {
  return { ...createDeal(aDealInput(), aContext(), { dealId: 'deal-1' }), ...overrides };
}

export function aDealIn(status: DealStatus, overrides: Partial<Deal> = {}): Deal {
  return aDeal({ status, version: 4, ...overrides });
}

export function aCampaignInput(overrides: Partial<CreateCampaignInput> = {}): CreateCampaignInput {
  return {
    name: 'Homepage takeover',
    type: 'display',
    budget: { amountMinor: 400_000, currency: 'USD' },
    dailyBudget: { amountMinor: 20_000, currency: 'USD' },
    targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['desktop'] },
    schedule: { startDate: '2026-03-01', endDate: '2026-03-31', pacing: 'even' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 450, currency: 'USD' },
    ...overrides,
  };
}

export function aCampaign(deal: Deal, overrides: Partial<Campaign> = {}, input: Partial<CreateCampaignInput> = {}): Campaign {
  const id = overrides.id ?? 'camp-1';
  return { ...createCampaign(deal, [], aCampaignInput(input), aContext(), { campaignId: id }), ...overrides };
}

/** Runs `fn` and returns what it threw (fails the test when nothing was thrown). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned normally');
}

/** The issues of the ValidationError `fn` throws (fails the test on any other outcome). */
export function issuesOf(fn: () => unknown): ValidationError['issues'] {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}
