/**
 * Line items by push, end to end from the consumer on: two real bidder tasks (DynamoDB Local, redis-
 * server, kinesalite, simulated DSPs) whose periodic full refresh is an hour away, and the line-item
 * consumer's handler invoked with the domain event (what its SQS queue would hand it). A change must
 * reach both tasks through the Redis stream alone: each test polls until both bid as the change says
 * (a generous wait, not a latency assertion; the figure is the LineItemPushLag metric).
 */
import { vi } from 'vitest';

vi.hoisted(() => {
  // The consumer module builds its deployed handler at import; this test builds its own.
  process.env.CHANGE_EVENTS_TABLE_NAME ??= 'unused-change-events';
  process.env.EVENT_CONSUMER_NAME ??= 'line-items';
  process.env.REDIS_HOST ??= 'unused-redis';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/events/line-items.js';
import { DynamoAppliedEvents } from '../../../shared/adapters/dynamodb/applied-events.js';
import { campaignToItem, dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import { RedisLineItemChanges } from '../../../shared/adapters/redis/line-item-changes.js';
import type { BidResponse } from '../../../shared/bidding/openrtb/types.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import type { DomainEvent } from '../../../shared/domain-events/types.js';
import { consumerContext, sqsEvent, sqsMessage } from '../../unit/events/engagement-fixtures.js';
import { campaignEvent, dealEvent } from '../../unit/events/line-item-events.js';
import { changeEventsTableName } from '../../support/table-names.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { EXCHANGE_KEY, SEAT, seedDeal, seedTable, startHarness, type Harness } from './harness.js';

const ddb = useDynamoDbLocal();
let h: Harness;
let urls: string[];
let publisherRedis: Redis;
let consume: (event: DomainEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  await seedTable(ddb.doc, ddb.tables.deals);
  // The full refresh an hour away: only pushes can bring a change in this test.
  h = await startHarness(ddb.endpoint, ddb.tables, { LINE_ITEM_REFRESH_MS: '3600000' });
  const other = await h.startAnotherBidder({ BIDDER_ID: 'bidder-test-2' });
  urls = [h.url, other.url];
  publisherRedis = new Redis(h.redis.url, { maxRetriesPerRequest: 1 });
  const deps = {
    changes: new RedisLineItemChanges({ redis: publisherRedis }),
    appliedEvents: new DynamoAppliedEvents({ client: ddb.doc, tableName: changeEventsTableName() }),
    consumer: 'line-items',
  };
  const handler = makeHandler({ deps: async () => deps });
  consume = (event) => handler(sqsEvent(sqsMessage(event)), consumerContext()) as Promise<SQSBatchResponse>;
}, 120_000);

afterAll(async () => {
  publisherRedis?.disconnect();
  await h?.stop();
});

const put = (item: Record<string, unknown>) => ddb.doc.send(new PutCommand({ TableName: ddb.tables.deals, Item: item }));
let requests = 0;

/** The campaign ids our seat bids with at `url` for one banner of the given size. */
async function ourCampaigns(url: string, size: { w: number; h: number }): Promise<string[]> {
  const res = await fetch(`${url}/openrtb2/auction`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-exchange-key': EXCHANGE_KEY },
    body: JSON.stringify({
      id: `push-${++requests}`,
      tmax: 120,
      cur: ['USD'],
      imp: [{ id: '1', bidfloor: 0.2, banner: size }],
      site: { id: 's1', domain: 'news.example', page: 'https://news.example/a' },
      device: { devicetype: 2, geo: { country: 'USA' } },
      user: { id: `u-push-${requests}` },
    }),
  });
  if (res.status !== 200) return [];
  const response = (await res.json()) as BidResponse;
  return (response.seatbid ?? []).filter((seatbid) => seatbid.seat === SEAT).flatMap((seatbid) => seatbid.bid.map((bid) => bid.cid ?? ''));
}

/** Polls every task until `expected` holds for all of them (generous: the periodic refresh is an hour away). */
async function untilEveryTask(size: { w: number; h: number }, expected: (campaigns: string[]) => boolean): Promise<void> {
  for (const url of urls) {
    await expect.poll(async () => expected(await ourCampaigns(url, size)), { timeout: 10_000, interval: 50 }).toBe(true);
  }
}

/** A new deal (its own banner size, so only its campaigns can answer it), stored as it is before approval. */
function aNewDeal(id: string, size: { w: number; h: number }): { deal: Deal; campaign: Campaign } {
  const seeded = seedDeal();
  const deal: Deal = { ...seeded.deal, id, status: 'pending_approval', version: 2 };
  const creative = { ...seeded.campaign.creatives![0]!, id: `cr-${id}`, w: size.w, h: size.h };
  const campaign: Campaign = { ...seeded.campaign, id: `camp-${id}`, dealId: id, status: 'active', version: 2, creatives: [creative] };
  return { deal, campaign };
}

describe('line items by push', () => {
  it('an approved deal\'s active campaign bids on every task, then stops on every task once the deal is paused', async () => {
    // Prepare
    const size = { w: 728, h: 90 };
    const { deal, campaign } = aNewDeal('deal-push-1', size);
    await put(dealToItem(deal));
    await put(campaignToItem(campaign));
    for (const url of urls) expect(await ourCampaigns(url, size)).toEqual([]);
    const approved: Deal = { ...deal, status: 'approved', version: 3, updatedAt: new Date().toISOString() };
    await put(dealToItem(approved));
    // Act
    const response = await consume(dealEvent('deal.approved', approved));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    await untilEveryTask(size, (campaigns) => campaigns.includes(campaign.id));

    // Prepare
    const paused: Deal = { ...approved, status: 'paused', version: 4, updatedAt: new Date().toISOString() };
    await put(dealToItem(paused));
    // Act
    await consume(dealEvent('deal.paused', paused));
    // Assess
    await untilEveryTask(size, (campaigns) => campaigns.length === 0);
  });

  it('a campaign activated under a running deal bids on every task', async () => {
    // Prepare: a second campaign of the seeded (active) deal, for another size
    const size = { w: 320, h: 50 };
    const seeded = seedDeal();
    const campaign: Campaign = {
      ...seeded.campaign,
      id: 'camp-push-2',
      status: 'active',
      version: 2,
      updatedAt: new Date().toISOString(),
      creatives: [{ ...seeded.campaign.creatives![0]!, id: 'cr-push-2', w: size.w, h: size.h }],
    };
    await put(campaignToItem(campaign));
    for (const url of urls) expect(await ourCampaigns(url, size)).toEqual([]);
    // Act
    await consume(campaignEvent('campaign.activated', campaign));
    // Assess
    await untilEveryTask(size, (campaigns) => campaigns.includes('camp-push-2'));
  });
});
