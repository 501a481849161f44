/**
 * The EngagementStore contract (shared/ports/engagement-store.ts), runnable against any implementation:
 *
 *   describeEngagementStoreContract('DynamoEngagementStore', () => new DynamoEngagementStore({...}));
 *   describeEngagementStoreContract('InMemoryEngagementStore', () => new InMemoryEngagementStore());
 *
 * Events are applied through the engagement use case (shared/engagement/apply.ts) with the default
 * configuration. Every test uses fresh deal and account ids, so one store may serve a whole file.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import type { DomainEvent } from '../../../shared/domain-events/types.js';
import { applyEngagementEvent } from '../../../shared/engagement/apply.js';
import type { ApplyOutcome, EngagementStore } from '../../../shared/ports/engagement-store.js';
import { at, DealStory } from '../../unit/engagement/fixtures.js';

export const CONSUMER = 'engagement';
export const COMPUTED_AT = new Date('2026-12-01T08:00:00.000Z');

/** Applies events one after the other, as the consumer does for one deal. */
export async function applyAll(store: EngagementStore, events: DomainEvent[]): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = [];
  for (const event of events) outcomes.push(await applyEngagementEvent({ store, consumer: CONSUMER, clock: () => COMPUTED_AT }, event));
  return outcomes;
}

export const freshAccount = (): string => `acct-${randomUUID()}`;
export const storyIn = (accountId: string, amountMinor = 10_000_000) =>
  new DealStory({ dealId: `deal-${randomUUID()}`, accountId, totalValue: { amountMinor, currency: 'USD' } });

export function describeEngagementStoreContract(name: string, makeStore: () => EngagementStore): void {
  describe(`${name}: EngagementStore contract`, () => {
    it('has no score for a deal it has seen no event of', async () => {
      // Act
      const record = await makeStore().get(`deal-${randomUUID()}`);
      // Assess
      expect(record).toBeUndefined();
    });

    it("stores each event's score, reflecting exactly the version the event carried", async () => {
      // Prepare
      const store = makeStore();
      const story = storyIn(freshAccount());
      const events = [story.created(at(0)), story.amended(at(1)), story.moved('pending_approval', at(2))];
      // Act
      const outcomes = await applyAll(store, events);
      const record = await store.get(story.dealId);
      // Assess
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['applied', 'applied', 'applied']);
      expect(record).toEqual(outcomes[2]!.status === 'applied' ? outcomes[2]!.record : undefined);
      expect(record).toMatchObject({ dealId: story.dealId, accountId: story.accountId, dealVersion: 3, computedAt: COMPUTED_AT.toISOString() });
    });

    it('applies a redelivered event once: the second delivery is a duplicate and changes nothing', async () => {
      // Prepare
      const store = makeStore();
      const story = storyIn(freshAccount());
      const created = story.created(at(0));
      const amended = story.amended(at(3));
      await applyAll(store, [created, amended]);
      const before = await store.get(story.dealId);
      // Act
      const again = await applyAll(store, [amended]);
      // Assess
      expect(again).toEqual([{ status: 'duplicate' }]);
      expect(await store.get(story.dealId)).toEqual(before);
      // Two changes counted (the first decayed over the 3 days between them), not three.
      expect(before!.state.changeCount).toBeCloseTo(1 + 0.5 ** (3 / 15), 10);
    });

    it('ignores a campaign event of a deal it has no score for, storing nothing', async () => {
      // Prepare
      const store = makeStore();
      const story = storyIn(freshAccount());
      story.created(at(0));
      // Act
      const outcomes = await applyAll(store, [story.campaign('created', at(1))]);
      // Assess
      expect(outcomes).toEqual([{ status: 'ignored', reason: 'deal_not_scored' }]);
      expect(await store.get(story.dealId)).toBeUndefined();
    });

    it("keeps a campaign event's deal version and counts it as activity", async () => {
      // Prepare
      const store = makeStore();
      const story = storyIn(freshAccount());
      await applyAll(store, [story.created(at(0)), story.amended(at(1))]);
      // Act
      await applyAll(store, [story.campaign('created', at(8))]);
      // Assess
      const record = await store.get(story.dealId);
      expect(record).toMatchObject({ dealVersion: 2, state: { lastActivityAt: at(8) } });
      expect(record!.components.recency).toBe(50);
    });

    it("counts the account's deals across deals, and forgets a removed deal", async () => {
      // Prepare: one approved deal, one cancelled then removed
      const store = makeStore();
      const account = freshAccount();
      const approved = storyIn(account);
      const removed = storyIn(account);
      await applyAll(store, [approved.created(at(0)), approved.moved('pending_approval', at(0.1)), approved.moved('approved', at(0.2))]);
      await applyAll(store, [removed.created(at(0.3)), removed.moved('cancelled', at(0.4))]);
      // Act
      const outcomes = await applyAll(store, [removed.removed()]);
      const later = storyIn(account);
      const [laterOutcome] = await applyAll(store, [later.created(at(1))]);
      // Assess: the approved deal and the new draft count, (1 + 0.5) / 2
      expect(outcomes).toEqual([{ status: 'applied' }]);
      expect(await store.get(removed.dealId)).toBeUndefined();
      expect(laterOutcome!.status === 'applied' && laterOutcome!.record!.components.accountHealth).toBe(75);
      expect((await store.listByAccount({ accountId: account, limit: 10 })).items.map((record) => record.dealId).sort()).toEqual(
        [approved.dealId, later.dealId].sort(),
      );
    });

    it("loses no account count when the account's deals change at the same time", async () => {
      // Prepare: eight deals, each created then approved, all deals at once
      const store = makeStore();
      const account = freshAccount();
      const stories = Array.from({ length: 8 }, () => storyIn(account));
      // Act
      await Promise.all(
        stories.map((story) => applyAll(store, [story.created(at(0)), story.moved('pending_approval', at(0.1)), story.moved('approved', at(0.2))])),
      );
      const last = storyIn(account);
      const [outcome] = await applyAll(store, [last.created(at(1))]);
      // Assess: 8 approved and 1 draft: (8 + 0.5) / 9
      expect(outcome!.status === 'applied' && outcome!.record!.components.accountHealth).toBe(94.44);
    });

    it('lists an account highest score first, in pages without repeats or gaps, the last page without cursor', async () => {
      // Prepare: five deals of different values (and so scores), and one of another account
      const store = makeStore();
      const account = freshAccount();
      const stories = [1, 100_000, 10_000_000, 1_000, 100_000_000].map((amount) => storyIn(account, amount));
      for (const story of stories) await applyAll(store, [story.created(at(0))]);
      await applyAll(store, [storyIn(freshAccount()).created(at(0))]);
      // Act
      const first = await store.listByAccount({ accountId: account, limit: 2 });
      const second = await store.listByAccount({ accountId: account, limit: 2, cursor: first.nextCursor! });
      const third = await store.listByAccount({ accountId: account, limit: 2, cursor: second.nextCursor! });
      // Assess
      const listed = [...first.items, ...second.items, ...third.items];
      expect(listed.map((record) => record.dealId)).toEqual([stories[4], stories[2], stories[1], stories[3], stories[0]].map((story) => story!.dealId));
      expect(listed.map((record) => record.score)).toEqual([...listed.map((record) => record.score)].sort((a, b) => b - a));
      expect(third.items).toHaveLength(1);
      expect(third.nextCursor).toBeUndefined();
    });

    it('lists only one tier when asked, and answers an exactly full last page without cursor', async () => {
      // Prepare: a deal moved to cancelled scores lower than a fresh draft of the same value
      const store = makeStore();
      const account = freshAccount();
      const stories = [storyIn(account, 100_000_000), storyIn(account, 100_000_000), storyIn(account, 1)];
      for (const story of stories) await applyAll(store, [story.created(at(0))]);
      const records = await Promise.all(stories.map((story) => store.get(story.dealId)));
      const tier = records[0]!.tier;
      const inTier = records.filter((record) => record!.tier === tier).map((record) => record!.dealId);
      // Act
      const page = await store.listByAccount({ accountId: account, tier, limit: inTier.length });
      const otherTier = await store.listByAccount({ accountId: account, tier: tier === 'at_risk' ? 'hot' : 'at_risk', limit: 10 });
      // Assess
      expect(page.items.map((record) => record.dealId).sort()).toEqual([...inTier].sort());
      expect(page.items.every((record) => record.tier === tier)).toBe(true);
      expect(page.nextCursor).toBeUndefined();
      expect(otherTier.items.filter((record) => record.tier === tier)).toEqual([]);
    });

    it("refuses a cursor of another account's listing, a garbled cursor and a limit out of range, naming the field", async () => {
      // Prepare
      const store = makeStore();
      const [ours, theirs] = [freshAccount(), freshAccount()];
      for (const account of [ours, theirs]) for (let i = 0; i < 2; i++) await applyAll(store, [storyIn(account).created(at(0))]);
      const theirCursor = (await store.listByAccount({ accountId: theirs, limit: 1 })).nextCursor!;
      // Act
      const attempts = [
        store.listByAccount({ accountId: ours, limit: 1, cursor: theirCursor }),
        store.listByAccount({ accountId: theirs, tier: 'hot', limit: 1, cursor: theirCursor }),
        store.listByAccount({ accountId: ours, limit: 1, cursor: 'not a cursor!' }),
        store.listByAccount({ accountId: ours, limit: 0 }),
      ];
      const results = await Promise.allSettled(attempts);
      // Assess
      const reasons = results.map((result) => (result.status === 'rejected' ? (result.reason as ValidationError) : undefined));
      expect(reasons.every((reason) => reason instanceof ValidationError)).toBe(true);
      expect(reasons.map((reason) => reason!.issues[0]!.path)).toEqual(['cursor', 'cursor', 'cursor', 'limit']);
    });
  });
}
