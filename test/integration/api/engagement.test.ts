// End to end on the local stack: a change made through the API reaches the deal's engagement score
// through the deals table's stream, the change processor, the domain-events topic and the engagement
// consumer's queue, and the engagement routes serve it.
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../../support/local-stack.js';
import { dealBody } from './fixtures.js';

const stack = useLocalStack();

/** GETs `path` until `done` accepts the answer; generous, as the pipeline's delay is not what is tested. */
async function eventually(path: string, token: string, done: (answer: { status: number; body: any }) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await stack.api('GET', path, { token });
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('engagement scores from API changes', () => {
  it('scores a new deal, follows its submission to the new version, and lists it in its account', async () => {
    // Prepare
    const token = stack.d.tokens.deal_manager;
    const created = await stack.api('POST', '/deals', { token, body: dealBody(stack.d.accountId) });
    expect(created.status).toBe(201);
    const dealId = created.body.id as string;
    const path = `/deals/${dealId}/engagement`;
    // Act
    const first = await eventually(path, token, (answer) => answer.status === 200);
    const submitted = await stack.api('POST', `/deals/${dealId}/submit`, { token, ifMatch: 1 });
    const second = await eventually(path, token, (answer) => answer.status === 200 && answer.body.dealVersion === 2);
    const listed = await stack.api('GET', `/engagement?accountId=${encodeURIComponent(stack.d.accountId)}&limit=100`, { token });
    // Assess
    expect(first.body).toMatchObject({ dealId, dealVersion: 1, tier: expect.stringMatching(/^(hot|warm|cold|at_risk)$/) });
    expect(Object.keys(first.body.components).sort()).toEqual(['accountHealth', 'behavioral', 'frequency', 'monetary', 'recency']);
    expect(submitted.status).toBe(200);
    expect(second.body).toMatchObject({ dealId, dealVersion: 2 });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { dealId: string }) => item.dealId)).toContain(dealId);
    const scores = listed.body.items.map((item: { score: number }) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});
