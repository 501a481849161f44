/** Stream records as Lambda delivers them, built from domain entities through the real item mapping. */
import type { DynamoDBRecord } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { campaignToItem, dealBudgetToItem, dealToItem, type Item } from '../../../shared/adapters/dynamodb/items.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal } from '../../../shared/domain/deal/deal.js';

let sequence = 1000;

export function streamRecord(before: Item | undefined, after: Item | undefined, eventId = `ev-${sequence + 1}`): DynamoDBRecord {
  sequence += 1;
  const current = (after ?? before)!;
  const image = (item: Item | undefined) => (item ? (marshall(item, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage']) : undefined);
  return {
    eventID: eventId,
    eventName: !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY',
    eventSource: 'aws:dynamodb',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/deals/stream/2026-12-04T00:00:00.000',
    dynamodb: {
      Keys: marshall({ pk: current.pk, sk: current.sk }) as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      ...(before ? { OldImage: image(before) } : {}),
      ...(after ? { NewImage: image(after) } : {}),
      SequenceNumber: String(sequence),
      ApproximateCreationDateTime: Date.now() / 1000,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

export const dealRecord = (before: Deal | undefined, after: Deal | undefined, eventId?: string) =>
  streamRecord(before && dealToItem(before), after && dealToItem(after), eventId);

export const campaignRecord = (before: Campaign | undefined, after: Campaign | undefined, eventId?: string) =>
  streamRecord(before && campaignToItem(before), after && campaignToItem(after), eventId);

export const budgetRecord = (deal: Deal) =>
  streamRecord(undefined, dealBudgetToItem({ dealId: deal.id, currency: deal.totalValue.currency, totalValueMinor: deal.totalValue.amountMinor, allocatedMinor: 0, availableMinor: deal.totalValue.amountMinor }));
