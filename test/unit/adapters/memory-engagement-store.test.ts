import { describe, expect, it } from 'vitest';
import { InMemoryEngagementStore } from '../../../shared/adapters/memory/memory-engagement-store.js';
import { applyAll, describeEngagementStoreContract, freshAccount, storyIn } from '../../integration/dynamodb/engagement-store.contract.js';
import { at } from '../engagement/fixtures.js';

// The same contract the DynamoDB store passes against DynamoDB Local: the fake may stand in for it.
describeEngagementStoreContract('InMemoryEngagementStore', () => new InMemoryEngagementStore());

describe('InMemoryEngagementStore specifics', () => {
  it('hands out copies: changing a returned record does not change the stored one', async () => {
    // Prepare
    const store = new InMemoryEngagementStore();
    const story = storyIn(freshAccount());
    await applyAll(store, [story.created(at(0))]);
    // Act
    const read = await store.get(story.dealId);
    read!.score = -1;
    read!.state.rejections = 99;
    // Assess
    const again = await store.get(story.dealId);
    expect(again!.score).toBeGreaterThan(0);
    expect(again!.state.rejections).toBe(0);
  });

  it("keeps the account's counts where a test can read them", async () => {
    // Prepare
    const store = new InMemoryEngagementStore();
    const account = freshAccount();
    const story = storyIn(account);
    // Act
    await applyAll(store, [story.created(at(0)), story.moved('cancelled', at(1))]);
    // Assess
    expect(store.accountHealth(account)?.dealsByStatus).toMatchObject({ draft: 0, cancelled: 1 });
  });
});
