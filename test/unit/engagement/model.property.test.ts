import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEAL_STATUSES, type Deal, type DealStatus } from '../../../shared/domain/deal/deal.js';
import { DEAL_EVENT_TYPES, type DomainEvent } from '../../../shared/domain-events/types.js';
import { type EngagementConfig, ENGAGEMENT_COMPONENTS, parseEngagementConfig } from '../../../shared/engagement/config.js';
import {
  accountHealthOf,
  type AccountHealthState,
  applyEvent,
  behavioralOf,
  type DealEngagementState,
  emptyAccountHealth,
  type EngagementStep,
  monetaryOf,
  recencyOf,
} from '../../../shared/engagement/model.js';
import { DAY_MS, START } from './fixtures.js';

// Prepare (shared): any valid configuration, and any sequence of events over a few deals of two accounts
// (every event type, any status and value, gaps from slightly backwards to months, versions that repeat
// or go back), so ignored, removed, first-seen and out-of-order cases all happen often.

const points = fc.double({ min: 0, max: 100, noNaN: true });

const configArb: fc.Arbitrary<EngagementConfig> = fc
  .record({
    weights: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 5, maxLength: 5 }).filter((w) => w.some((x) => x > 0)),
    tiers: fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 3 }).map((t) => [...t].sort((a, b) => a - b)),
    halfLives: fc.tuple(fc.double({ min: 0.01, max: 90, noNaN: true }), fc.double({ min: 0.01, max: 90, noNaN: true })),
    saturation: fc.double({ min: 0.5, max: 100, noNaN: true }),
    reference: fc.double({ min: 1, max: 1e12, noNaN: true }),
    behavioral: fc.tuple(points, fc.double({ min: 0.1, max: 200, noNaN: true }), points, points, points),
    openDealShare: fc.double({ min: 0, max: 1, noNaN: true }),
    withoutDeals: points,
  })
  .map((c) => {
    const sum = c.weights.reduce((a, b) => a + b, 0);
    const [recency, frequency, monetary, behavioral, accountHealth] = c.weights.map((w) => w / sum) as [number, number, number, number, number];
    const [cold, warm, hot] = c.tiers as [number, number, number];
    const [baseline, fastApprovalHours, fastApprovalBonus, amendmentPenalty, rejectionPenalty] = c.behavioral;
    return parseEngagementConfig({
      weights: { recency, frequency, monetary, behavioral, accountHealth },
      tiers: { hot, warm, cold },
      recency: { halfLifeDays: c.halfLives[0] },
      frequency: { halfLifeDays: c.halfLives[1], saturationChanges: c.saturation },
      monetary: { referenceValue: c.reference, referenceValueByCurrency: { JPY: c.reference * 150 } },
      behavioral: { baseline, fastApprovalHours, fastApprovalBonus, amendmentPenalty, rejectionPenalty },
      accountHealth: { openDealShare: c.openDealShare, withoutDeals: c.withoutDeals },
    });
  });

const operationArb = fc.record({
  deal: fc.integer({ min: 0, max: 3 }),
  campaign: fc.boolean(),
  type: fc.constantFrom(...DEAL_EVENT_TYPES),
  status: fc.constantFrom(...DEAL_STATUSES),
  amountMinor: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  currency: fc.constantFrom('USD', 'JPY', 'KWD', 'CLF', 'EUR'),
  gapMs: fc.oneof(fc.constant(0), fc.integer({ min: -DAY_MS, max: 120 * DAY_MS })),
  versionStep: fc.integer({ min: -1, max: 2 }),
});

type Operation = typeof operationArb extends fc.Arbitrary<infer T> ? T : never;

/** Plain events built from the operations: every event shape a consumer may be handed. */
function eventsOf(operations: Operation[]): DomainEvent[] {
  let time = START;
  const versions = new Map<string, number>();
  return operations.map((op, index) => {
    time += op.gapMs;
    const dealId = `deal-${op.deal}`;
    const accountId = `acct-${op.deal % 2}`;
    const version = Math.max(1, (versions.get(dealId) ?? 0) + op.versionStep);
    versions.set(dealId, version);
    const base = { schemaVersion: 1 as const, eventId: `event-${index}`, dealId, accountId, version, actor: 'user-ana', at: new Date(time).toISOString(), changedFields: [], changes: [] };
    if (op.campaign) {
      return { ...base, entityId: 'camp-1', entity: 'campaign', type: 'campaign.amended', campaign: { id: 'camp-1', dealId, accountId } } as unknown as DomainEvent;
    }
    const deal = { id: dealId, accountId, status: op.status, version, totalValue: { amountMinor: op.amountMinor, currency: op.currency } } as Deal;
    return { ...base, entityId: dealId, entity: 'deal', type: op.type, deal } as DomainEvent;
  });
}

function replay(events: DomainEvent[], config: EngagementConfig) {
  const deals = new Map<string, DealEngagementState>();
  const accounts = new Map<string, AccountHealthState>();
  const steps: { event: DomainEvent; before: DealEngagementState | undefined; step: EngagementStep }[] = [];
  for (const event of events) {
    const before = deals.get(event.dealId);
    const step = applyEvent({ deal: before, account: accounts.get(event.accountId) }, event, config, '2026-12-01T00:00:00.000Z');
    if (step.kind === 'score') deals.set(step.record.dealId, step.record.state);
    if (step.kind === 'remove') deals.delete(step.dealId);
    if (step.kind !== 'ignore') accounts.set(step.account.accountId, step.account);
    steps.push({ event, before, step });
  }
  return { steps, deals, accounts };
}

const tierByBounds = (score: number, config: EngagementConfig) =>
  score >= config.tiers.hot ? 'hot' : score >= config.tiers.warm ? 'warm' : score >= config.tiers.cold ? 'cold' : 'at_risk';

describe('engagement model properties', () => {
  it('always scores within 0..100 with two decimals, components within 0..100, in the tier its bounds name', () => {
    fc.assert(
      fc.property(configArb, fc.array(operationArb, { maxLength: 40 }), (config, operations) => {
        // Act
        const { steps } = replay(eventsOf(operations), config);
        // Assess
        for (const { step } of steps) {
          if (step.kind !== 'score') continue;
          const { score, components, tier } = step.record;
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(100);
          expect(Math.abs(score * 100 - Math.round(score * 100))).toBeLessThan(1e-6);
          for (const name of ENGAGEMENT_COMPONENTS) {
            expect(components[name], name).toBeGreaterThanOrEqual(0);
            expect(components[name], name).toBeLessThanOrEqual(100);
          }
          expect(tier).toBe(tierByBounds(score, config));
          // The weighted sum of the shown (rounded) components, within the rounding of each.
          const weighted = ENGAGEMENT_COMPONENTS.reduce((sum, name) => sum + config.weights[name] * components[name], 0);
          expect(Math.abs(score - weighted)).toBeLessThanOrEqual(0.0101);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("stores the deal event's version, and keeps it on campaign events", () => {
    fc.assert(
      fc.property(configArb, fc.array(operationArb, { maxLength: 40 }), (config, operations) => {
        // Act
        const { steps } = replay(eventsOf(operations), config);
        // Assess
        for (const { event, before, step } of steps) {
          if (step.kind !== 'score') continue;
          expect(step.record.dealVersion).toBe(event.entity === 'deal' ? event.version : before!.dealVersion);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("counts each account's deals once, in the status of their latest scored event", () => {
    fc.assert(
      fc.property(configArb, fc.array(operationArb, { maxLength: 60 }), (config, operations) => {
        // Act
        const { deals, accounts } = replay(eventsOf(operations), config);
        // Assess
        for (const accountId of ['acct-0', 'acct-1']) {
          const counts = (accounts.get(accountId) ?? emptyAccountHealth(accountId)).dealsByStatus;
          const expected = Object.fromEntries(DEAL_STATUSES.map((status) => [status, 0])) as Record<DealStatus, number>;
          for (const deal of deals.values()) if (deal.accountId === accountId) expected[deal.status] += 1;
          expect(counts).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is monotone: more value never lowers monetary, a longer gap never raises recency, more rejections or amendments never raise behaviour', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        fc.integer({ min: 0, max: 365 * DAY_MS }),
        fc.integer({ min: 0, max: 365 * DAY_MS }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: null }),
        (config, a, b, currency, gapA, gapB, count, extra, approvalHours) => {
          // Prepare
          const [low, high] = a <= b ? [a, b] : [b, a];
          const [shortGap, longGap] = gapA <= gapB ? [gapA, gapB] : [gapB, gapA];
          const behaviour = { approvalHours, amendmentsAfterSubmit: count, rejections: count };
          // Assess
          expect(monetaryOf({ amountMinor: high, currency }, config)).toBeGreaterThanOrEqual(monetaryOf({ amountMinor: low, currency }, config));
          expect(recencyOf({ lastGapMs: longGap }, config)).toBeLessThanOrEqual(recencyOf({ lastGapMs: shortGap }, config));
          expect(behavioralOf({ ...behaviour, rejections: count + extra }, config)).toBeLessThanOrEqual(behavioralOf(behaviour, config));
          expect(behavioralOf({ ...behaviour, amendmentsAfterSubmit: count + extra }, config)).toBeLessThanOrEqual(behavioralOf(behaviour, config));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never lowers account health when a deal moves from a failed status to an open or healthy one', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: DEAL_STATUSES.length, maxLength: DEAL_STATUSES.length }),
        fc.constantFrom<DealStatus>('rejected', 'cancelled'),
        fc.constantFrom<DealStatus>('draft', 'pending_approval', 'paused', 'approved', 'active', 'completed'),
        (config, counts, failed, better) => {
          // Prepare: the account with one more deal in `failed`, or that deal in `better` instead
          const account = emptyAccountHealth('acct-0');
          DEAL_STATUSES.forEach((status, i) => (account.dealsByStatus[status] = counts[i]!));
          const withFailed = structuredClone(account);
          withFailed.dealsByStatus[failed] += 1;
          const withBetter = structuredClone(account);
          withBetter.dealsByStatus[better] += 1;
          // Assess
          expect(accountHealthOf(withBetter, config)).toBeGreaterThanOrEqual(accountHealthOf(withFailed, config));
        },
      ),
      { numRuns: 300 },
    );
  });
});
