import type { KinesisStreamRecord } from 'aws-lambda';
import { encodeEvent, EVENT_SCHEMA_VERSION, eventIds, type AuctionEvent, type BidderEvent, type BillNoticeEvent, type LossNoticeEvent } from '../../../shared/events/index.js';

let seq = 0;
const at = '2026-11-22T05:00:00.000Z';

export function auctionEvent(overrides: Partial<AuctionEvent> = {}): AuctionEvent {
  seq += 1;
  const auctionId = overrides.auctionId ?? `auc-${seq}`;
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: eventIds.auction(auctionId),
    type: 'auction',
    at,
    bidderId: 'bidder-1',
    advertiser: 'brand.example',
    auctionId,
    request: { id: `req-${seq}`, exchange: 'exchange-a', tmax: 100, imps: [{ id: '1', sizes: ['300x250'], bidfloorMicros: 500_000, bidfloorCurrency: 'USD' }] },
    bids: [
      { bidId: `bid-${seq}`, impId: '1', source: 'internal', sourceId: 'cmp-1', campaignId: 'cmp-1', priceMicros: 2_000_000, currency: 'USD', adomain: ['brand.example'], status: 'won' },
    ],
    winners: [
      { impId: '1', bidId: `bid-${seq}`, source: 'internal', sourceId: 'cmp-1', campaignId: 'cmp-1', bidPriceMicros: 2_000_000, clearingPriceMicros: 1_500_000, currency: 'USD', reservedNanos: 2_000_000 },
    ],
    timings: { receivedAt: at, totalMs: 3.2, deadlineMs: 80, auctionMs: 0.2 },
    responseStatus: 200,
    ...overrides,
  };
}

export function noBidEvent(overrides: Partial<AuctionEvent> = {}): AuctionEvent {
  const { advertiser: _drop, ...base } = auctionEvent({ bids: [], winners: [], responseStatus: 204, noBidReason: 'no_eligible_line_items', ...overrides });
  return overrides.advertiser ? { ...base, advertiser: overrides.advertiser } : base;
}

export function billEvent(
  bidId: string,
  spend: { campaignId: string; day: string; costNanos: number } | undefined,
  overrides: Partial<BillNoticeEvent> = {},
): BillNoticeEvent {
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: eventIds.bill(bidId),
    type: 'notice.bill',
    at,
    advertiser: 'brand.example',
    auctionId: `auc-of-${bidId}`,
    impId: '1',
    bidId,
    source: spend ? 'internal' : 'external',
    sourceId: spend?.campaignId ?? 'dsp-1',
    ...(spend ? { campaignId: spend.campaignId, spend: { ...spend, currency: 'USD' } } : {}),
    priceMicros: spend?.costNanos,
    currency: 'USD',
    receivedAt: at,
    ...overrides,
  };
}

export function lossEvent(bidId: string): LossNoticeEvent {
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: eventIds.loss(bidId),
    type: 'notice.loss',
    at,
    advertiser: 'brand.example',
    auctionId: `auc-of-${bidId}`,
    impId: '1',
    bidId,
    source: 'internal',
    sourceId: 'cmp-1',
    lossReason: 102,
    receivedAt: at,
  };
}

let sequence = 49_000_000_000;
/** A record as Lambda's Kinesis event source delivers it: an event (or raw text, for poison records) on a shard. */
export function kinesisRecord(data: BidderEvent | string, shardId = 'shardId-000000000000'): KinesisStreamRecord {
  const sequenceNumber = String((sequence += 1));
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(encodeEvent(data));
  return {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'k', sequenceNumber, data: bytes.toString('base64'), approximateArrivalTimestamp: 1_700_000_000 },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/x',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bid-events',
  };
}
