import { describe, expect, it } from 'vitest';
import { dealToItem } from '../../../shared/adapters/dynamodb/items.js';
import { readStreamChange } from '../../../shared/adapters/dynamodb/stream-changes.js';
import { aCampaign, aDeal } from '../domain/fixtures.js';
import { budgetRecord, campaignRecord, dealRecord, streamRecord } from './records.js';

describe('reading the deals stream', () => {
  it('reads a deal change as the domain entities before and after, without storage attributes', () => {
    // Prepare
    const before = aDeal();
    const after = { ...before, name: 'New name', version: 2 };
    // Act
    const read = readStreamChange(dealRecord(before, after, 'stream-7'));
    // Assess
    expect(read).toEqual({ kind: 'entity', dealId: before.id, change: { eventId: 'stream-7', entity: 'deal', before, after } });
  });

  it('reads a campaign change under its deal', () => {
    const deal = aDeal();
    const campaign = aCampaign(deal);
    const read = readStreamChange(campaignRecord(undefined, campaign));
    expect(read).toMatchObject({ kind: 'entity', dealId: deal.id, change: { entity: 'campaign', after: campaign } });
  });

  it('acknowledges items no event describes: the deal budget item', () => {
    const deal = aDeal();
    expect(readStreamChange(budgetRecord(deal))).toEqual({ kind: 'ignored', dealId: deal.id, itemKind: 'dealBudget' });
  });

  it.each([
    ['an unknown status', { status: 'archived' }, /deal image has status "archived", not one of draft/],
    ['no account', { accountId: '' }, /deal image lacks accountId/],
    ['a version that is not a positive integer', { version: 'seven' }, /version "seven", not a positive integer/],
  ])('calls a deal image with %s unreadable, naming the field, and keeps its deal', (_, override, message) => {
    // Prepare
    const item = { ...dealToItem(aDeal()), ...override };
    // Act
    const read = readStreamChange(streamRecord(undefined, item));
    // Assess
    expect(read.kind).toBe('unreadable');
    expect(read.dealId).toBe(aDeal().id);
    expect(read.kind === 'unreadable' && read.error.message).toMatch(message);
  });

  it('calls a campaign stored under another deal unreadable', () => {
    const campaign = aCampaign(aDeal(), { dealId: 'other-deal' });
    const record = campaignRecord(undefined, campaign);
    record.dynamodb!.Keys!.pk = { S: 'DEAL#deal-1' };
    const read = readStreamChange(record);
    expect(read.kind === 'unreadable' && read.error.message).toMatch(/campaign of deal other-deal stored under deal deal-1/);
  });
});
