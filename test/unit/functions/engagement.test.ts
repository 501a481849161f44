import './support/env.js';
import { describe, expect, it } from 'vitest';
import { makeHandler as makeGet } from '../../../functions/api/engagement/get.js';
import { makeHandler as makeList } from '../../../functions/api/engagement/list.js';
import type { EngagementApiDeps } from '../../../functions/api/engagement/deps.js';
import { InMemoryClientRateLimiter } from '../../../shared/adapters/memory/memory-client-rate-limiter.js';
import { InMemoryEngagementStore } from '../../../shared/adapters/memory/memory-engagement-store.js';
import { applyAll } from '../../integration/dynamodb/engagement-store.contract.js';
import { at, DealStory } from '../engagement/fixtures.js';
import { NOW } from './support/deps.js';
import { ADMIN, apiEvent, type Caller, DEAL_MANAGER, FINANCE, OTHER_ACCOUNT_MANAGER } from './support/events.js';
import { invoke } from './support/invoke.js';

const ACCOUNT = DEAL_MANAGER.accountIds![0]!;

/** The engagement routes over an in-memory store holding the scores of the given deals' creations. */
async function setup(...stories: DealStory[]) {
  const deps: EngagementApiDeps = {
    engagement: new InMemoryEngagementStore(),
    clock: () => NOW,
    rateLimiter: new InMemoryClientRateLimiter({ requests: 100_000, windowSeconds: 1 }),
  };
  for (const story of stories) await applyAll(deps.engagement, [story.created(at(0))]);
  const get = makeGet(deps);
  const list = makeList(deps);
  return {
    deps,
    get: (dealId: string, caller: Caller = DEAL_MANAGER) => invoke(get, apiEvent({ routeKey: 'GET /deals/{dealId}/engagement', pathParameters: { dealId }, caller })),
    list: (query: Record<string, string>, caller: Caller = DEAL_MANAGER) => invoke(list, apiEvent({ routeKey: 'GET /engagement', query, caller })),
  };
}

const deal = (dealId: string, amountMinor = 10_000_000, accountId = ACCOUNT) =>
  new DealStory({ dealId, accountId, totalValue: { amountMinor, currency: 'USD' } });

describe('GET /deals/{dealId}/engagement', () => {
  it("answers the deal's stored score: version, score, tier, the five components, when it was computed", async () => {
    // Prepare
    const api = await setup(deal('deal-scored'));
    const stored = await api.deps.engagement.get('deal-scored');
    // Act
    const answer = await api.get('deal-scored');
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      dealId: 'deal-scored',
      dealVersion: 1,
      score: stored!.score,
      tier: stored!.tier,
      components: stored!.components,
      computedAt: stored!.computedAt,
    });
    expect(Object.keys(answer.body.components).sort()).toEqual(['accountHealth', 'behavioral', 'frequency', 'monetary', 'recency']);
  });

  it('answers 404 for a deal without a score yet', async () => {
    // Prepare
    const api = await setup();
    // Act
    const answer = await api.get('deal-unscored');
    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });

  it("answers 404 for another account's deal, like a missing one; an admin sees it", async () => {
    // Prepare
    const api = await setup(deal('deal-ours'));
    // Act
    const stranger = await api.get('deal-ours', OTHER_ACCOUNT_MANAGER);
    const admin = await api.get('deal-ours', ADMIN);
    // Assess
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.message).toBe((await api.get('deal-nowhere')).body.error.message.replace('deal-nowhere', 'deal-ours'));
    expect(admin.status).toBe(200);
  });

  it('answers 403 to a caller in no group', async () => {
    // Prepare
    const api = await setup(deal('deal-groupless'));
    // Act
    const answer = await api.get('deal-groupless', { sub: 'user-none', groups: [], accountIds: [ACCOUNT] });
    // Assess
    expect(answer.status).toBe(403);
  });
});

describe('GET /engagement', () => {
  it("lists the caller's account highest score first, in pages, the last without nextCursor", async () => {
    // Prepare: three deals of different values, and one of another account
    const api = await setup(deal('deal-small', 100), deal('deal-large', 100_000_000), deal('deal-mid', 1_000_000), deal('deal-theirs', 100_000_000, 'acct-other'));
    // Act
    const first = await api.list({ limit: '2' }, FINANCE);
    const second = await api.list({ limit: '2', cursor: first.body.nextCursor }, FINANCE);
    // Assess
    expect(first.status).toBe(200);
    expect(first.body.items.map((item: { dealId: string }) => item.dealId)).toEqual(['deal-large', 'deal-mid']);
    expect(second.body.items.map((item: { dealId: string }) => item.dealId)).toEqual(['deal-small']);
    expect(second.body.nextCursor).toBeUndefined();
    expect(first.body.items[0]).not.toHaveProperty('state');
  });

  it('lists one tier when asked', async () => {
    // Prepare
    const api = await setup(deal('deal-high', 100_000_000), deal('deal-low', 1));
    const high = (await api.deps.engagement.get('deal-high'))!;
    // Act
    const answer = await api.list({ accountId: ACCOUNT, tier: high.tier });
    // Assess
    expect(answer.body.items.map((item: { dealId: string; tier: string }) => [item.dealId, item.tier])).toEqual([['deal-high', high.tier]]);
  });

  it("refuses another account's listing (403) and asks an admin which account (400 naming accountId)", async () => {
    // Prepare
    const api = await setup(deal('deal-any'));
    // Act
    const stranger = await api.list({ accountId: ACCOUNT }, OTHER_ACCOUNT_MANAGER);
    const admin = await api.list({}, ADMIN);
    const adminNamed = await api.list({ accountId: ACCOUNT }, ADMIN);
    // Assess
    expect(stranger.status).toBe(403);
    expect(admin.status).toBe(400);
    expect(admin.body.error.issues).toEqual([expect.objectContaining({ path: 'accountId' })]);
    expect(adminNamed.body.items.map((item: { dealId: string }) => item.dealId)).toEqual(['deal-any']);
  });

  it('refuses an unknown tier, a limit out of range and a cursor of another listing (400 naming the field)', async () => {
    // Prepare
    const api = await setup(deal('deal-p1'), deal('deal-p2'));
    const cursor = (await api.list({ limit: '1' })).body.nextCursor as string;
    // Act
    const answers = await Promise.all([api.list({ tier: 'lukewarm' }), api.list({ limit: '101' }), api.list({ tier: 'hot', cursor })]);
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    expect(answers.map((answer) => answer.body.error.issues[0].path)).toEqual(['tier', 'limit', 'cursor']);
  });
});
