/**
 * Starts the bidder in-process against real local components: DynamoDB Local (seeded with an approved
 * deal whose active campaign bids on 300x250 banners), redis-server, kinesalite, and 2 simulated DSPs.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { campaignToItem, dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';
import { startBidder, type RunningBidder } from '../../../bidder/app.js';
import { EmfMetrics } from '../../../bidder/metrics.js';
import { loadConfig } from '../../../bidder/config.js';
import { startSimulatedDsp, type SimulatedDsp } from '../../../local/dsp-sim/index.js';
import { ensureStream, localKinesisClient, startKinesalite, type LocalKinesis } from '../../../local/kinesis/launch.js';
import { startRedis, type LocalRedis } from '../../../local/redis/launch.js';

export const EXCHANGE_KEY = 'test-exchange-key-0123456789';
export const CAMPAIGN_ID = 'camp-banner-1';
export const SEAT = 'dealdesk-test';

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function seedDeal(): { deal: Deal; campaign: Campaign } {
  const at = new Date().toISOString();
  const day = today();
  const deal: Deal = {
    id: 'deal-bidder-1',
    accountId: 'acct-1',
    name: 'Bidder test deal',
    type: 'programmatic',
    totalValue: { amountMinor: 10_000_000, currency: 'USD' },
    startDate: '2020-01-01',
    endDate: '2099-12-31',
    ownerId: 'user-1',
    status: 'active',
    version: 3,
    createdAt: at,
    updatedAt: at,
    createdBy: 'user-1',
    updatedBy: 'user-1',
  };
  const campaign: Campaign = {
    id: CAMPAIGN_ID,
    dealId: deal.id,
    accountId: deal.accountId,
    name: 'Banner 300x250',
    type: 'display',
    budget: { amountMinor: 1_000_000, currency: 'USD' },
    dailyBudget: { amountMinor: 50_000, currency: 'USD' },
    targeting: { audienceSegments: [], geo: { countries: [] }, devices: [] },
    schedule: { startDate: day, endDate: '2099-12-31', pacing: 'asap' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['text/html'] }],
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 500, currency: 'USD' },
    creatives: [
      {
        id: 'cr-300x250',
        format: 'banner',
        w: 300,
        h: 250,
        adm: '<a href="https://shop.example/"><img src="https://cdn.example/300x250.png" width="300" height="250"></a>',
        adomain: ['shop.example'],
        cat: ['IAB22'],
      },
    ],
    status: 'active',
    version: 2,
    createdAt: at,
    updatedAt: at,
    createdBy: 'user-1',
    updatedBy: 'user-1',
  };
  return { deal, campaign };
}

export async function seedTable(doc: DynamoDBDocumentClient, table: string): Promise<{ deal: Deal; campaign: Campaign }> {
  const seeded = seedDeal();
  await doc.send(new PutCommand({ TableName: table, Item: dealToItem(seeded.deal) }));
  await doc.send(new PutCommand({ TableName: table, Item: campaignToItem(seeded.campaign) }));
  // Noise the loader must skip: a draft deal with an active campaign.
  await doc.send(new PutCommand({ TableName: table, Item: dealToItem({ ...seeded.deal, id: 'deal-draft', status: 'draft' }) }));
  await doc.send(new PutCommand({ TableName: table, Item: campaignToItem({ ...seeded.campaign, id: 'camp-of-draft', dealId: 'deal-draft' }) }));
  return seeded;
}

export interface Harness {
  bidder: RunningBidder;
  /** Another bidder task on the same Redis, Kinesis and DSPs (another task behind the load balancer). */
  startAnotherBidder(env?: Record<string, string>): Promise<{ bidder: RunningBidder; url: string }>;
  url: string;
  redis: LocalRedis;
  kinesis: LocalKinesis;
  kinesisClient: KinesisClient;
  streamName: string;
  dsps: SimulatedDsp[];
  stop(): Promise<void>;
}

export async function startHarness(
  ddbEndpoint: string,
  tables: { deals: string; spend: string },
  env: Record<string, string> = {},
  options: { shards?: number } = {},
): Promise<Harness> {
  const redis = await startRedis({ port: 0 });
  const kinesis = await startKinesalite({ port: 0 });
  const kinesisClient = localKinesisClient(kinesis.endpoint);
  const streamName = 'bid-events-test';
  await ensureStream(kinesisClient, streamName, options.shards ?? 1);
  const dsps = [
    await startSimulatedDsp({ latency: { minMs: 2, maxMs: 6 }, bidRate: 1, priceCpm: { min: 0.5, max: 1 }, seat: 'dsp-a-seat', adomain: ['alpha.example'], seed: 1 }),
    await startSimulatedDsp({ latency: { minMs: 2, maxMs: 6 }, bidRate: 1, priceCpm: { min: 0.5, max: 1 }, seat: 'dsp-b-seat', adomain: ['bravo.example'], seed: 2 }),
  ];
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
  });
  const configOf = (extra: Record<string, string>) => loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DEALS_TABLE_NAME: tables.deals,
    SPEND_TABLE_NAME: tables.spend,
    BID_EVENTS_STREAM: streamName,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    EXCHANGE_KEYS: JSON.stringify({ 'test-exchange': EXCHANGE_KEY }),
    NOTICE_BASE_URL: 'http://bidder.test',
    BIDDER_ID: 'bidder-test-1',
    SEAT,
    LEASE_TTL_MS: '3000',
    LEASE_REFRESH_MS: '50',
    LINE_ITEM_REFRESH_MS: '500',
    METRICS_FLUSH_MS: '60000',
    ...env,
    ...extra,
  });
  const start = (extra: Record<string, string>) =>
    startBidder(configOf(extra), {
      dsps: dsps.map((d, i) => ({ id: `dsp-${i === 0 ? 'a' : 'b'}`, endpoint: d.url, timeoutMs: 60, maxQps: 10_000 })),
      metrics: new EmfMetrics({ write: () => {} }),
      log: process.env.DEBUG_BIDDER ? (m, f) => console.log('[bidder]', m, JSON.stringify(f ?? {})) : () => {},
    });
  const bidder = await start({});
  const others: RunningBidder[] = [];
  return {
    bidder,
    url: `http://127.0.0.1:${bidder.port}`,
    redis,
    kinesis,
    kinesisClient,
    streamName,
    dsps,
    startAnotherBidder: async (extra = {}) => {
      const b = await start(extra);
      others.push(b);
      return { bidder: b, url: `http://127.0.0.1:${b.port}` };
    },
    stop: async () => {
      for (const b of others) await b.stop();
      await bidder.stop();
      await Promise.all(dsps.map((d) => d.stop()));
      kinesisClient.destroy();
      await kinesis.stop();
      await redis.stop();
    },
  };
}
