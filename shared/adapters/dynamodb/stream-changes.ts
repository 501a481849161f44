/**
 * Reading the `deals` table's stream: one Lambda DynamoDB stream record → the entity change it carries
 * (a deal or a campaign, before and after), or nothing for items that are not events (the deal's
 * budget item, account bidding settings). Images are unmarshalled and checked, so a record the domain
 * cannot read fails here, naming what is wrong, instead of producing a half-event.
 */
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CAMPAIGN_STATUSES } from '../../domain/campaign/campaign.js';
import { DEAL_STATUSES } from '../../domain/deal/deal.js';
import type { StreamChange } from '../../change-capture/stream-change.js';
import type { EntityChange } from '../../domain-events/types.js';
import { campaignFromItem, dealFromItem, itemKind, type Item } from './items.js';

export class UnreadableChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableChangeError';
  }
}

export type { StreamChange };

const DEAL_PK_PREFIX = 'DEAL#';

/** The deal a record belongs to, from its keys alone (works even when its images are unreadable). */
export function dealIdOfRecord(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk?.startsWith(DEAL_PK_PREFIX) ? pk.slice(DEAL_PK_PREFIX.length) : undefined;
}

function imageOf(image: Record<string, LambdaAttributeValue> | undefined): Item | undefined {
  // Lambda's and the SDK's AttributeValue differ only in typing (B is a base64 string here).
  return image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function requireFields(item: Item, entity: string, fields: readonly string[]): void {
  const missing = fields.filter((field) => !isText(item[field]));
  if (missing.length > 0) throw new UnreadableChangeError(`${entity} image lacks ${missing.join(', ')} (non-empty strings)`);
  if (!Number.isInteger(item.version) || (item.version as number) < 1) {
    throw new UnreadableChangeError(`${entity} image has version ${JSON.stringify(item.version)}, not a positive integer`);
  }
}

function checkDeal(item: Item): void {
  requireFields(item, 'deal', ['id', 'accountId', 'status', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy']);
  if (!(DEAL_STATUSES as readonly unknown[]).includes(item.status)) {
    throw new UnreadableChangeError(`deal image has status ${JSON.stringify(item.status)}, not one of ${DEAL_STATUSES.join(', ')}`);
  }
}

function checkCampaign(item: Item): void {
  requireFields(item, 'campaign', ['id', 'dealId', 'accountId', 'status', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy']);
  if (!(CAMPAIGN_STATUSES as readonly unknown[]).includes(item.status)) {
    throw new UnreadableChangeError(`campaign image has status ${JSON.stringify(item.status)}, not one of ${CAMPAIGN_STATUSES.join(', ')}`);
  }
}

/** The change a record carries; `unreadable` (naming the problem) when it is not a deal or campaign the domain can read. */
export function readStreamChange(record: DynamoDBRecord): StreamChange {
  try {
    return readOrThrow(record);
  } catch (err) {
    const error = err instanceof UnreadableChangeError ? err : new UnreadableChangeError((err as Error).message);
    const dealId = dealIdOfRecord(record);
    return dealId ? { kind: 'unreadable', dealId, error } : { kind: 'unreadable', error };
  }
}

function readOrThrow(record: DynamoDBRecord): StreamChange {
  const eventId = record.eventID;
  if (!eventId) throw new UnreadableChangeError('stream record without eventID');
  let before: Item | undefined;
  let after: Item | undefined;
  try {
    before = imageOf(record.dynamodb?.OldImage);
    after = imageOf(record.dynamodb?.NewImage);
  } catch (err) {
    throw new UnreadableChangeError(`stream images do not unmarshall: ${(err as Error).message}`);
  }
  const current = after ?? before;
  if (!current) throw new UnreadableChangeError(`${record.eventName ?? 'stream'} record without images (the stream must carry NEW_AND_OLD_IMAGES)`);
  const dealId = dealIdOfRecord(record);
  const kind = itemKind(current);
  if (kind !== 'deal' && kind !== 'campaign') {
    return dealId ? { kind: 'ignored', dealId, itemKind: String(current.kind) } : { kind: 'ignored', itemKind: String(current.kind) };
  }
  if (!dealId) throw new UnreadableChangeError(`${kind} item outside a deal partition (pk ${JSON.stringify(current.pk)})`);
  for (const image of [before, after]) {
    if (!image) continue;
    if (itemKind(image) !== kind) throw new UnreadableChangeError(`images of different kinds (${String(before?.kind)} → ${String(after?.kind)})`);
    if (kind === 'deal') checkDeal(image);
    else checkCampaign(image);
  }
  const owner = kind === 'deal' ? current.id : current.dealId;
  if (owner !== dealId) throw new UnreadableChangeError(`${kind} of deal ${String(owner)} stored under deal ${dealId}`);
  const change: EntityChange =
    kind === 'deal'
      ? { eventId, entity: 'deal', ...(before ? { before: dealFromItem(before) } : {}), ...(after ? { after: dealFromItem(after) } : {}) }
      : { eventId, entity: 'campaign', ...(before ? { before: campaignFromItem(before) } : {}), ...(after ? { after: campaignFromItem(after) } : {}) };
  return { kind: 'entity', dealId, change };
}
