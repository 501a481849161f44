import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGAGEMENT_CONFIG, type EngagementConfig } from '../../../shared/engagement/config.js';
import {
  type AccountHealthState,
  applyEvent,
  type DealEngagementState,
  type EngagementRecord,
  type EngagementStep,
  scoreRankKey,
  tierOf,
} from '../../../shared/engagement/model.js';
import type { DomainEvent } from '../../../shared/domain-events/types.js';
import { at, DealStory } from './fixtures.js';

const COMPUTED_AT = '2026-12-01T00:00:00.000Z';

/** Applies events in order the way the store does (state per deal, counts per account); returns every step. */
function replay(events: DomainEvent[], config: EngagementConfig = DEFAULT_ENGAGEMENT_CONFIG) {
  const deals = new Map<string, DealEngagementState>();
  const accounts = new Map<string, AccountHealthState>();
  const steps: EngagementStep[] = [];
  for (const event of events) {
    const step = applyEvent({ deal: deals.get(event.dealId), account: accounts.get(event.accountId) }, event, config, COMPUTED_AT);
    if (step.kind === 'score') deals.set(step.record.dealId, step.record.state);
    if (step.kind === 'remove') deals.delete(step.dealId);
    if (step.kind !== 'ignore') accounts.set(step.account.accountId, step.account);
    steps.push(step);
  }
  return { steps, deals, accounts };
}

/** The record of the last step (which must be a score). */
function lastScore(events: DomainEvent[], config?: EngagementConfig): EngagementRecord {
  const step = replay(events, config).steps.at(-1)!;
  if (step.kind !== 'score') throw new Error(`expected a score, got ${JSON.stringify(step)}`);
  return step.record;
}

describe('a new deal', () => {
  it('scores every component from its creation, and the weighted score in its tier', () => {
    // Prepare: a $100,000 draft, the account's only deal
    const story = new DealStory({ totalValue: { amountMinor: 10_000_000, currency: 'USD' } });
    // Act
    const record = lastScore([story.created(at(0))]);
    // Assess: log10(100,001) / log10(1,000,001) = 83.33; one open deal = half healthy
    expect(record).toMatchObject({
      dealId: 'deal-1',
      accountId: 'acct-demo',
      dealVersion: 1,
      components: { recency: 100, frequency: 10, monetary: 83.33, behavioral: 50, accountHealth: 50 },
      score: 61.17,
      tier: 'warm',
      computedAt: COMPUTED_AT,
    });
  });
});

describe('recency', () => {
  it('halves with every 7 days between an activity and the one before', () => {
    // Prepare
    const story = new DealStory();
    const created = story.created(at(0));
    // Act
    const after7 = lastScore([created, story.amended(at(7))]);
    const after21 = lastScore([created, story.amended(at(21))]);
    // Assess
    expect(after7.components.recency).toBe(50);
    expect(after21.components.recency).toBe(12.5);
  });

  it('counts a change stamped before the latest one as no gap, and keeps the latest time', () => {
    // Prepare
    const story = new DealStory();
    const events = [story.created(at(3)), story.campaign('created', at(2.5))];
    // Act
    const record = lastScore(events);
    // Assess
    expect(record.components.recency).toBe(100);
    expect(record.state.lastActivityAt).toBe(at(3));
  });
});

describe('frequency', () => {
  it('counts changes with a 15-day half-life against 10 changes', () => {
    // Prepare
    const story = new DealStory();
    // Act: 1 change, then another 15 days later: 1 × 0.5 + 1
    const record = lastScore([story.created(at(0)), story.amended(at(15))]);
    // Assess
    expect(record.state.changeCount).toBeCloseTo(1.5, 10);
    expect(record.components.frequency).toBe(15);
  });

  it('saturates at 100 for a busy deal', () => {
    // Prepare
    const story = new DealStory();
    const events = [story.created(at(0)), ...Array.from({ length: 14 }, (_, i) => story.amended(at(0.01 * (i + 1))))];
    // Act
    const record = lastScore(events);
    // Assess
    expect(record.components.frequency).toBe(100);
  });
});

describe('monetary', () => {
  it('scores major units by the currency exponent: a JPY amount is yen, a USD amount cents', () => {
    // Prepare: ¥1,000,000 (0 decimals) against ¥150,000,000; $10,000.00 against $1,000,000
    const yen = new DealStory({ totalValue: { amountMinor: 1_000_000, currency: 'JPY' } });
    const dollars = new DealStory({ totalValue: { amountMinor: 1_000_000, currency: 'USD' } });
    // Act
    const yenScore = lastScore([yen.created(at(0))]).components.monetary;
    const dollarScore = lastScore([dollars.created(at(0))]).components.monetary;
    // Assess: log10(1e6 + 1) / log10(1.5e8 + 1) and log10(1e4 + 1) / log10(1e6 + 1)
    expect(yenScore).toBe(73.38);
    expect(dollarScore).toBe(66.67);
  });

  it('reaches 100 at the reference value and follows the deal value when it is amended', () => {
    // Prepare
    const story = new DealStory({ totalValue: { amountMinor: 100, currency: 'USD' } });
    const created = story.created(at(0));
    // Act
    const amended = lastScore([created, story.amended(at(1), { totalValue: { amountMinor: 500_000_000, currency: 'USD' } })]);
    // Assess
    expect(amended.components.monetary).toBe(100);
    expect(amended.state.totalValue).toEqual({ amountMinor: 500_000_000, currency: 'USD' });
  });
});

describe('behavioral', () => {
  it('rises with an approval within 24 hours of the submission, not with a slower one', () => {
    // Prepare
    const fast = new DealStory();
    const slow = new DealStory();
    const fastEvents = [fast.created(at(0)), fast.moved('pending_approval', at(1)), fast.moved('approved', at(1 + 23 / 24))];
    const slowEvents = [slow.created(at(0)), slow.moved('pending_approval', at(1)), slow.moved('approved', at(3))];
    // Act
    const fastRecord = lastScore(fastEvents);
    const slowRecord = lastScore(slowEvents);
    // Assess
    expect(fastRecord.state.approvalHours).toBeCloseTo(23, 6);
    expect(fastRecord.components.behavioral).toBe(75);
    expect(slowRecord.state.approvalHours).toBeCloseTo(48, 6);
    expect(slowRecord.components.behavioral).toBe(50);
  });

  it('falls with each amendment after submission and each rejection, and never below 0', () => {
    // Prepare: an amendment before submission does not count
    const story = new DealStory();
    const events = [
      story.created(at(0)),
      story.amended(at(0.5)),
      story.moved('pending_approval', at(1)),
      story.amended(at(1.1)),
      story.moved('rejected', at(2)),
      story.moved('draft', at(2.5)),
      story.amended(at(2.6)),
    ];
    // Act
    const record = lastScore(events);
    const worse = lastScore([...events, ...[3, 4, 5].flatMap((day) => [story.moved('pending_approval', at(day)), story.moved('rejected', at(day + 0.5)), story.moved('draft', at(day + 0.6))])]);
    // Assess: 50 - 2 × 5 - 15
    expect(record.state).toMatchObject({ amendmentsAfterSubmit: 2, rejections: 1 });
    expect(record.components.behavioral).toBe(25);
    expect(worse.components.behavioral).toBe(0);
  });

  it('measures the approval from the latest submission', () => {
    // Prepare
    const story = new DealStory();
    const events = [
      story.created(at(0)),
      story.moved('pending_approval', at(1)),
      story.moved('rejected', at(5)),
      story.moved('draft', at(6)),
      story.moved('pending_approval', at(7)),
      story.moved('approved', at(7.25)),
    ];
    // Act
    const record = lastScore(events);
    // Assess: 6 hours after the second submission; one rejection
    expect(record.state.approvalHours).toBeCloseTo(6, 6);
    expect(record.components.behavioral).toBe(50 + 25 - 15);
  });
});

describe('account health', () => {
  it("counts the account's deals by status: healthy fully, open by half, rejected and cancelled not at all", () => {
    // Prepare
    const approved = new DealStory({ dealId: 'deal-a' });
    const cancelled = new DealStory({ dealId: 'deal-b' });
    const open = new DealStory({ dealId: 'deal-c' });
    const events = [
      approved.created(at(0)),
      approved.moved('pending_approval', at(0.1)),
      approved.moved('approved', at(0.2)),
      cancelled.created(at(0.3)),
      cancelled.moved('cancelled', at(0.4)),
      open.created(at(0.5)),
    ];
    // Act
    const { steps, accounts } = replay(events);
    // Assess: (1 + 0 + 0.5) / 3
    const last = steps.at(-1)!;
    expect(last.kind === 'score' && last.record.components.accountHealth).toBe(50);
    expect(accounts.get('acct-demo')!.dealsByStatus).toMatchObject({ approved: 1, cancelled: 1, draft: 1, pending_approval: 0 });
  });

  it('keeps the other accounts apart, and forgets a removed deal', () => {
    // Prepare
    const ours = new DealStory({ dealId: 'deal-a', accountId: 'acct-a' });
    const theirs = new DealStory({ dealId: 'deal-b', accountId: 'acct-b' });
    const events = [ours.created(at(0)), ours.moved('cancelled', at(1)), theirs.created(at(1)), theirs.moved('pending_approval', at(2))];
    // Act
    const before = replay(events).accounts;
    const after = replay([...events, ours.removed()]);
    // Assess
    expect(before.get('acct-a')!.dealsByStatus.cancelled).toBe(1);
    expect(before.get('acct-b')!.dealsByStatus).toMatchObject({ draft: 0, pending_approval: 1 });
    expect(after.steps.at(-1)).toEqual({ kind: 'remove', dealId: 'deal-a', account: expect.objectContaining({ accountId: 'acct-a' }) });
    expect(Object.values(after.accounts.get('acct-a')!.dealsByStatus).every((count) => count === 0)).toBe(true);
  });

  it('is the configured neutral value once every deal of the account is removed, for the next deal', () => {
    // Prepare
    const first = new DealStory({ dealId: 'deal-a' });
    const second = new DealStory({ dealId: 'deal-b' });
    // Act
    const { steps } = replay([first.created(at(0)), first.removed(), second.created(at(1))]);
    // Assess: the new deal is the only one counted (a draft: half)
    const last = steps.at(-1)!;
    expect(last.kind === 'score' && last.record.components.accountHealth).toBe(50);
  });
});

describe('versions and campaign events', () => {
  it('stores the version the deal event carried', () => {
    // Prepare
    const story = new DealStory();
    const events = [story.created(at(0)), story.amended(at(1)), story.moved('pending_approval', at(2))];
    // Act
    const { steps } = replay(events);
    // Assess
    expect(steps.map((step) => step.kind === 'score' && step.record.dealVersion)).toEqual([1, 2, 3]);
    expect(events.map((event) => event.version)).toEqual([1, 2, 3]);
  });

  it('keeps the deal version on a campaign event, and counts the campaign change as activity', () => {
    // Prepare
    const story = new DealStory();
    const created = story.created(at(0));
    const amended = story.amended(at(1));
    // Act
    const record = lastScore([created, amended, story.campaign('created', at(8)), story.campaign('amended', at(8))]);
    // Assess: 7 days before the first campaign change, then none
    expect(record.dealVersion).toBe(2);
    expect(record.components.recency).toBe(100);
    expect(record.state.changeCount).toBeGreaterThan(3);
    expect(record.state.lastActivityAt).toBe(at(8));
  });

  it('ignores a campaign event of a deal it has not scored, and a deal event older than the score', () => {
    // Prepare
    const story = new DealStory();
    const created = story.created(at(0));
    const amended = story.amended(at(1));
    const campaign = story.campaign('created', at(2));
    // Act
    const unknown = replay([campaign]).steps[0];
    const late = replay([created, amended, created]).steps[2];
    // Assess
    expect(unknown).toEqual({ kind: 'ignore', reason: 'deal_not_scored' });
    expect(late).toEqual({ kind: 'ignore', reason: 'older_than_score' });
  });

  it('starts scoring a deal first seen after its creation from the deal the event carries', () => {
    // Prepare: the consumer starts after this deal was created and submitted
    const story = new DealStory();
    story.created(at(0));
    story.moved('pending_approval', at(1));
    // Act
    const { steps, accounts } = replay([story.moved('approved', at(1.5))]);
    // Assess: no submission time known, so no approval speed
    const step = steps[0]!;
    expect(step.kind === 'score' && step.record).toMatchObject({ dealVersion: 3, state: { status: 'approved', approvalHours: null, changeCount: 1 } });
    expect(accounts.get('acct-demo')!.dealsByStatus.approved).toBe(1);
  });
});

describe('tiers and the listing order', () => {
  it.each([
    [100, 'hot'],
    [75, 'hot'],
    [74.99, 'warm'],
    [50, 'warm'],
    [49.99, 'cold'],
    [25, 'cold'],
    [24.99, 'at_risk'],
    [0, 'at_risk'],
  ] as const)('puts %d in %s', (score, tier) => {
    expect(tierOf(score, DEFAULT_ENGAGEMENT_CONFIG)).toBe(tier);
  });

  it('ranks by the score in hundredths, zero-padded, then the deal id', () => {
    // Act
    const keys = [scoreRankKey(100, 'd1'), scoreRankKey(5.5, 'd2'), scoreRankKey(61.17, 'd3'), scoreRankKey(0, 'd4'), scoreRankKey(61.17, 'd5')];
    // Assess
    expect(keys).toEqual(['10000#d1', '00550#d2', '06117#d3', '00000#d4', '06117#d5']);
    expect([...keys].sort().reverse()).toEqual(['10000#d1', '06117#d5', '06117#d3', '00550#d2', '00000#d4']);
  });

  it('uses the configured weights and bounds', () => {
    // Prepare: recency alone decides, and 60 is already hot
    const config: EngagementConfig = {
      ...DEFAULT_ENGAGEMENT_CONFIG,
      weights: { recency: 1, frequency: 0, monetary: 0, behavioral: 0, accountHealth: 0 },
      tiers: { hot: 60, warm: 40, cold: 20 },
    };
    const story = new DealStory();
    // Act: 3.5 days after the creation: 100 × 0.5^0.5
    const record = lastScore([story.created(at(0)), story.amended(at(3.5))], config);
    // Assess
    expect(record.score).toBe(70.71);
    expect(record.tier).toBe('hot');
  });
});

describe('time', () => {
  it('reads time only from the events: the same events give the same scores', () => {
    // Prepare
    const story = new DealStory();
    const events = [story.created(at(0)), story.moved('pending_approval', at(0.5)), story.moved('approved', at(0.5 + 2 / 24))];
    // Act
    const first = replay(events).steps;
    const second = replay(events).steps;
    // Assess
    expect(second).toEqual(first);
    expect(first.every((step) => step.kind === 'score' && step.record.computedAt === COMPUTED_AT)).toBe(true);
  });
});
