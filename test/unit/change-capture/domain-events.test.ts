import { describe, expect, it } from 'vitest';
import { decodeDomainEvent, DomainEventDecodeError, encodeDomainEvent } from '../../../shared/domain-events/codec.js';
import { domainEventFromChange } from '../../../shared/domain-events/from-change.js';
import type { DealStatus } from '../../../shared/domain/deal/deal.js';
import { aCampaign, aDeal, aDealIn, T1 } from '../domain/fixtures.js';

const moved = (from: DealStatus, to: DealStatus) =>
  domainEventFromChange({ eventId: 'e1', entity: 'deal', before: aDealIn(from), after: aDealIn(to, { version: 5, updatedAt: T1, updatedBy: 'approver-7' }) });

describe('domain events from committed changes', () => {
  it('names a deal insert deal.created, with every field changed from null, the creator and creation time', () => {
    // Prepare
    const deal = aDeal();
    // Act
    const event = domainEventFromChange({ eventId: 'stream-1', entity: 'deal', after: deal })!;
    // Assess
    expect(event).toMatchObject({ type: 'deal.created', eventId: 'stream-1', dealId: deal.id, entityId: deal.id, accountId: deal.accountId, version: 1, actor: deal.createdBy, at: deal.createdAt });
    expect(event.changedFields).toEqual(['endDate', 'name', 'ownerId', 'startDate', 'status', 'totalValue', 'type']);
    expect(event.changes.every((change) => change.old === null)).toBe(true);
  });

  it.each([
    ['draft', 'pending_approval', 'deal.submitted'],
    ['pending_approval', 'approved', 'deal.approved'],
    ['pending_approval', 'rejected', 'deal.rejected'],
    ['rejected', 'draft', 'deal.revised'],
    ['approved', 'active', 'deal.activated'],
    ['active', 'paused', 'deal.paused'],
    ['paused', 'active', 'deal.resumed'],
    ['active', 'completed', 'deal.completed'],
    ['approved', 'cancelled', 'deal.cancelled'],
  ] as const)('names a deal moving %s → %s %s, by whom and when it moved', (from, to, type) => {
    // Act
    const event = moved(from, to)!;
    // Assess
    expect(event).toMatchObject({ type, version: 5, actor: 'approver-7', at: T1, changedFields: ['status'] });
    expect(event.changes).toEqual([{ field: 'status', old: from, new: to }]);
  });

  it('names any other deal change deal.amended with the dotted fields that moved', () => {
    // Prepare
    const before = aDeal();
    const after = { ...before, name: 'Renamed', totalValue: { amountMinor: 9_000_000, currency: 'USD' }, version: 2 };
    // Act
    const event = domainEventFromChange({ eventId: 'e2', entity: 'deal', before, after })!;
    // Assess
    expect(event.type).toBe('deal.amended');
    expect(event.changedFields).toEqual(['name', 'totalValue']);
  });

  it('produces nothing for a rewrite that changed no field', () => {
    const deal = aDeal();
    expect(domainEventFromChange({ eventId: 'e3', entity: 'deal', before: deal, after: { ...deal } })).toBeUndefined();
  });

  it('names campaign changes after their status move, under their deal for ordering', () => {
    // Prepare
    const deal = aDeal();
    const draft = aCampaign(deal);
    const active = { ...draft, status: 'active' as const, version: 2 };
    const paused = { ...active, status: 'paused' as const, version: 3 };
    const retargeted = { ...paused, targeting: { ...paused.targeting, devices: ['mobile' as const] }, version: 4 };
    // Act
    const events = [
      domainEventFromChange({ eventId: 'c1', entity: 'campaign', after: draft }),
      domainEventFromChange({ eventId: 'c2', entity: 'campaign', before: draft, after: active }),
      domainEventFromChange({ eventId: 'c3', entity: 'campaign', before: active, after: paused }),
      domainEventFromChange({ eventId: 'c4', entity: 'campaign', before: paused, after: { ...paused, status: 'active', version: 4 } }),
      domainEventFromChange({ eventId: 'c5', entity: 'campaign', before: paused, after: retargeted }),
    ];
    // Assess
    expect(events.map((e) => e?.type)).toEqual(['campaign.created', 'campaign.activated', 'campaign.paused', 'campaign.resumed', 'campaign.amended']);
    expect(events.every((e) => e?.dealId === deal.id && e.entityId === draft.id)).toBe(true);
    expect(events[4]?.changedFields).toEqual(['targeting.devices']);
  });

  it('decodes what it encodes and refuses envelopes it cannot act on, naming the problem', () => {
    // Prepare
    const event = moved('draft', 'pending_approval')!;
    // Act / Assess
    expect(decodeDomainEvent(encodeDomainEvent(event))).toEqual(event);
    expect(() => decodeDomainEvent('{')).toThrow(DomainEventDecodeError);
    expect(() => decodeDomainEvent(JSON.stringify({ ...event, schemaVersion: 2 }))).toThrow(/unknown schemaVersion 2/);
    expect(() => decodeDomainEvent(JSON.stringify({ ...event, type: 'deal.exploded' }))).toThrow(/unknown deal event type "deal.exploded"/);
    expect(() => decodeDomainEvent(JSON.stringify({ ...event, dealId: '' }))).toThrow(/dealId must be a non-empty string/);
    expect(() => decodeDomainEvent(JSON.stringify({ ...event, version: 0 }))).toThrow(/version must be a positive integer/);
  });
});
