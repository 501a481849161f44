/**
 * The bidding demo deal: created through the API with its campaign and creative, approved → active by
 * the system actor `local-seed` with audited domain transitions, campaign put live through the API;
 * re-running the seed changes nothing.
 * Also the pure helpers behind the bidding part's configuration.
 */
import { describe, expect, it } from 'vitest';
import { seedBiddingDemoData, SEED_ACTOR_ID } from '../../../local/bidding/seed.js';
import { bidEventsStreamFrom, DEFAULT_BID_EVENTS_STREAM, fleetMembers } from '../../../local/bidding/stack.js';
import { DEFAULT_FLEET } from '../../../local/dsp-sim/index.js';
import { useLocalStack } from '../../support/local-stack.js';

const stack = useLocalStack();

describe('bidding demo seed', () => {
  it('leaves an active deal with an active 300x250 campaign, audited as local-seed, and is idempotent', async () => {
    // Prepare: the globalSetup seeded it before the bidder started
    const first = stack.d.biddingDemo!;
    // Act
    const again = await seedBiddingDemoData(stack.d);
    // Assess
    expect(again).toEqual({ dealId: first.dealId, dealStatus: 'active', campaignIds: first.campaignIds });
    const token = stack.d.tokens.sales_manager;
    const deal = await stack.api('GET', `/deals/${first.dealId}`, { token });
    expect(deal.body).toMatchObject({ status: 'active', accountId: stack.d.accountId });
    const campaign = await stack.api('GET', `/deals/${first.dealId}/campaigns/${first.campaignIds[0]}`, { token });
    expect(campaign.body).toMatchObject({ status: 'active', targeting: { geo: { countries: [] }, devices: [] } });
    expect(campaign.body.creatives).toEqual([expect.objectContaining({ format: 'banner', w: 300, h: 250, adomain: ['northwind.example'] })]);
    const audit = await stack.api('GET', `/deals/${first.dealId}/audit`, { token });
    expect(audit.status, audit.text).toBe(200);
    const entries = audit.body.items as { action: string; entityType: string; actor: { userId: string }; changes: { field: string; new: unknown }[] }[];
    const bySeed = entries.filter((e) => e.actor.userId === SEED_ACTOR_ID);
    expect(bySeed.map((e) => `${e.entityType}:${e.action}`).sort()).toEqual(['deal:deal.activated', 'deal:deal.approved']);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['deal.created', 'campaign.created', 'deal.submitted', 'campaign.amended']));
    const goLive = entries.find((e) => e.action === 'campaign.amended')!;
    expect(goLive.changes).toEqual([expect.objectContaining({ field: 'status', new: 'active' })]);
    // create, campaign, submit, approve, activate, campaign go-live: nothing added by the re-run
    expect(entries).toHaveLength(6);
  });
});

describe('bidding part configuration', () => {
  it('takes the bid-events stream from the template, else the default', () => {
    const withStream = [{ name: 'DealDesk-Bidding', template: { Resources: { BidEventsD4941CD1: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 3 } } } } }];
    expect(bidEventsStreamFrom(withStream)).toEqual({ name: 'DealDesk-Bidding-BidEventsD4941CD1', shards: 3 });
    const named = [{ name: 'S', template: { Resources: { X: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'bids' } } } } }];
    expect(bidEventsStreamFrom(named)).toEqual({ name: 'bids', shards: 2 });
    expect(bidEventsStreamFrom([{ name: 'S', template: { Resources: {} } }])).toEqual({ name: DEFAULT_BID_EVENTS_STREAM, shards: 2 });
  });

  it('uses the default fleet unless told otherwise, and spreads latencies over the given range', () => {
    expect(fleetMembers()).toEqual([...DEFAULT_FLEET]);
    const fleet = fleetMembers({ count: 4, latencyMs: { min: 10, max: 90 }, errorRate: 0.02, bidRate: 0.9 });
    expect(fleet.map((m) => m.latency)).toEqual([
      { minMs: 10, maxMs: 30 },
      { minMs: 30, maxMs: 50 },
      { minMs: 50, maxMs: 70 },
      { minMs: 70, maxMs: 90 },
    ]);
    expect(new Set(fleet.map((m) => m.id)).size).toBe(4);
    for (const m of fleet) expect(m).toMatchObject({ errorRate: 0.02, bidRate: 0.9 });
  });
});
