import { describe, expect, it } from 'vitest';
import { auditEntryId, buildAuditEntry, campaignAuditEntry, dealAuditEntry } from '../../../shared/domain/audit-entry.js';
import { amendDeal } from '../../../shared/domain/deal/amend.js';
import { aCampaign, aContext, aDeal, anActor } from './fixtures.js';

describe('audit entries', () => {
  it('copy who, where and when from the change context', () => {
    // Prepare
    const ctx = aContext({ actor: anActor({ userId: 'u9', groups: ['deal_manager', 'admin'] }), correlationId: 'c-7' });
    // Act
    const entry = buildAuditEntry(
      { dealId: 'd1', entityType: 'deal', entityId: 'd1', version: 2 },
      'deal.amended',
      [{ field: 'name', old: 'a', new: 'b' }],
      ctx,
    );
    // Assess
    expect(entry).toEqual({
      id: 'deal#d1#v2',
      dealId: 'd1',
      entityType: 'deal',
      entityId: 'd1',
      action: 'deal.amended',
      version: 2,
      actor: { userId: 'u9', groups: ['deal_manager', 'admin'] },
      correlationId: 'c-7',
      sourceIp: '203.0.113.7',
      userAgent: 'vitest',
      at: ctx.at,
      changes: [{ field: 'name', old: 'a', new: 'b' }],
    });
  });

  it('use a deterministic id per entity version (a retry cannot write a second entry)', () => {
    expect(auditEntryId({ entityType: 'campaign', entityId: 'c1', version: 3 })).toBe('campaign#c1#v3');
    const ctx = aContext();
    const entry = buildAuditEntry({ dealId: 'd', entityType: 'deal', entityId: 'd', version: 1 }, 'deal.created', [], ctx, { auditId: 'x' });
    expect(entry.id).toBe('x');
  });

  it('record every field of a created deal and the version it produced', () => {
    const deal = aDeal();
    const entry = dealAuditEntry(deal, 'deal.created', aContext());
    expect(entry.version).toBe(1);
    expect(entry.changes.map((c) => c.field)).toEqual(['name', 'type', 'totalValue', 'startDate', 'endDate', 'ownerId', 'status']);
    expect(entry.changes.every((c) => c.old === null)).toBe(true);
  });

  it('record the amendment changes for the new version', () => {
    const { next, changes } = amendDeal(aDeal(), { name: 'B' }, aContext());
    const entry = dealAuditEntry(next, 'deal.amended', aContext(), changes);
    expect(entry).toMatchObject({ id: `deal#${next.id}#v2`, version: 2, changes: [{ field: 'name', new: 'B' }] });
  });

  it('tie campaign entries to their deal', () => {
    const campaign = aCampaign(aDeal({ id: 'deal-5' }), { id: 'camp-5' });
    const entry = campaignAuditEntry(campaign, 'campaign.created', aContext());
    expect(entry).toMatchObject({ dealId: 'deal-5', entityType: 'campaign', entityId: 'camp-5', id: 'campaign#camp-5#v1' });
  });
});
