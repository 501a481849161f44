import { describe, expect, it } from 'vitest';
import { SEED_ACTOR_ID } from '../../../local/bidding/seed.js';
import { DEMO_BIDDING_SETTINGS, seedDemoData } from '../../../local/seed.js';
import { useLocalStack } from '../../support/local-stack.js';

const stack = useLocalStack();

describe('demo seed (through the HTTP API)', () => {
  it('creates deals in several statuses with campaigns, and is idempotent on re-run', async () => {
    // Act
    const first = await seedDemoData(stack.d);
    const second = await seedDemoData(stack.d);
    // Assess
    expect(first.deals.map((d) => d.status).sort()).toEqual(['cancelled', 'draft', 'pending_approval', 'pending_approval']);
    expect(second.deals.map((d) => d.id)).toEqual(first.deals.map((d) => d.id));
    expect(second.deals.map((d) => d.version)).toEqual(first.deals.map((d) => d.version));
    expect(second.deals.flatMap((d) => d.campaignIds)).toEqual(first.deals.flatMap((d) => d.campaignIds));
    for (const d of first.deals) {
      const got = await stack.api('GET', `/deals/${d.id}`, { token: stack.d.tokens.sales_manager });
      expect(got.status).toBe(200);
      expect(got.body.status).toBe(d.status);
      const campaigns = await stack.api('GET', `/deals/${d.id}/campaigns`, { token: stack.d.tokens.sales_manager });
      expect(campaigns.body.items.map((c: { id: string }) => c.id).sort()).toEqual([...d.campaignIds].sort());
      const audit = await stack.api('GET', `/deals/${d.id}/audit`, { token: stack.d.tokens.sales_manager });
      // one entry per change: create, each campaign, and each later change (version - 1)
      expect(audit.body.items).toHaveLength(1 + d.campaignIds.length + (d.version - 1));
    }
    expect(first.deals.reduce((n, d) => n + d.campaignIds.length, 0)).toBeGreaterThanOrEqual(3);
  });

  it("sets the demo account's bidding settings as the system actor, before the campaign that needs them", async () => {
    // Act
    await seedDemoData(stack.d);
    const settings = await stack.api('GET', `/accounts/${stack.d.accountId}/bidding-settings`, { token: stack.d.tokens.campaign_manager });
    // Assess
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({ ...DEMO_BIDDING_SETTINGS, createdBy: SEED_ACTOR_ID, updatedBy: SEED_ACTOR_ID });
  });
});
