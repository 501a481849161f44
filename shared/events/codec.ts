/**
 * Wire form of bidder events: one JSON document (UTF-8) per Kinesis record; plus the partition key and
 * the deterministic event ids producers use.
 *
 * Decoding validates the envelope of every event and the whole of a `notice.bill` (the only event that
 * moves money downstream): an undecodable or invalid record is a poison record (EventDecodeError), which
 * consumers report as a failure rather than skip silently.
 */
import { z } from 'zod';
import { EVENT_SCHEMA_VERSION, type BidderEvent, type BillNoticeEvent } from './types.js';

/** Kinesis partition keys are 1..256 Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

export class EventDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventDecodeError';
  }
}

/** Deterministic ids: a notice the exchange sends twice, or a record republished, keeps its id. */
export const eventIds = {
  auction: (auctionId: string) => `auction:${auctionId}`,
  win: (bidId: string) => `win:${bidId}`,
  bill: (bidId: string) => `bill:${bidId}`,
  loss: (bidId: string) => `loss:${bidId}`,
  heartbeat: (bidderId: string, shardId: string, atMs: number) => `heartbeat:${bidderId}:${shardId}:${atMs}`,
} as const;

/**
 * The partition key of an event: its advertiser (domain, else account id). Events without an advertiser
 * (auctions nobody won, which are most of them) are spread by their auction id instead of sharing one
 * hot key. Truncated to Kinesis' 256-character limit.
 */
export function partitionKeyOf(event: BidderEvent): string {
  // A heartbeat's shard is chosen by its ExplicitHashKey; the partition key is then only a label.
  if (event.type === 'stream.heartbeat') return `heartbeat:${event.shardId}`.slice(0, MAX_PARTITION_KEY_LENGTH);
  const key = event.advertiser || ('auctionId' in event ? event.auctionId : undefined) || event.eventId;
  return key.length > MAX_PARTITION_KEY_LENGTH ? key.slice(0, MAX_PARTITION_KEY_LENGTH) : key;
}

/** The explicit hash key that pins an event to one shard (heartbeats only); undefined: hash the partition key. */
export function explicitHashKeyOf(event: BidderEvent): string | undefined {
  return event.type === 'stream.heartbeat' ? event.hashKey : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The record's JSON text (what encodeEvent turns into UTF-8; writers that pack records use it directly). */
export function encodeEventJson(event: BidderEvent): string {
  return JSON.stringify(event);
}

export function encodeEvent(event: BidderEvent): Uint8Array {
  return encoder.encode(encodeEventJson(event));
}

const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'must be an ISO-8601 UTC timestamp');
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
  }, 'must be a calendar date');
const id = z.string().min(1).max(1024);

const envelope = z.object({
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  eventId: id,
  type: z.enum(['auction', 'notice.win', 'notice.bill', 'notice.loss', 'stream.heartbeat']),
  at: isoUtc,
  advertiser: z.string().min(1).optional(),
});

const billNotice = envelope.extend({
  type: z.literal('notice.bill'),
  auctionId: id,
  impId: id,
  bidId: id,
  source: z.enum(['internal', 'external']),
  sourceId: id,
  receivedAt: isoUtc,
  spend: z
    .object({
      campaignId: id,
      day,
      costNanos: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      currency: z.string().regex(/^[A-Z]{3}$/),
    })
    .optional(),
});

/** Bytes of one record → event. Throws EventDecodeError naming what is wrong. */
export function decodeEvent(data: Uint8Array): BidderEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new EventDecodeError('record is not UTF-8 JSON', { cause: err });
  }
  const head = envelope.safeParse(parsed);
  if (!head.success) throw new EventDecodeError(`invalid event envelope: ${describe(head.error)}`);
  if (head.data.type === 'notice.bill') {
    const bill = billNotice.safeParse(parsed);
    if (!bill.success) throw new EventDecodeError(`invalid notice.bill ${head.data.eventId}: ${describe(bill.error)}`);
    return parsed as BillNoticeEvent;
  }
  return parsed as BidderEvent;
}

/** Base64 (as Lambda delivers Kinesis data) → event. */
export function decodeBase64Event(data: string): BidderEvent {
  return decodeEvent(Buffer.from(data, 'base64'));
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ');
}
