/**
 * The DealRepository contract (shared/ports/deal-repository.ts), runnable against any implementation:
 *
 *   describeDealRepositoryContract('DynamoDealRepository', () => new DynamoDealRepository({...}));
 *   describeDealRepositoryContract('InMemoryDealRepository', () => new InMemoryDealRepository());
 *
 * `makeRepo` is called once per test. Tests never reset storage: every test uses fresh ids and its own
 * account, so one store may be shared by all tests of a file.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../shared/domain/audit.js';
import type { Campaign } from '../../../shared/domain/campaign/campaign.js';
import type { Deal, DealStatus, DealType } from '../../../shared/domain/deal/deal.js';
import { NotFoundError, ValidationError, VersionConflictError } from '../../../shared/domain/errors.js';
import type { DealRepository } from '../../../shared/ports/deal-repository.js';
import type { Page } from '../../../shared/ports/page.js';

let clock = Date.parse('2026-01-01T00:00:00.000Z');
/** Strictly increasing ISO timestamps, so ordering assertions never depend on the wall clock. */
export const tick = (): string => new Date((clock += 1000)).toISOString();

export function aDeal(overrides: Partial<Deal> = {}): Deal {
  const at = tick();
  return {
    id: `deal-${randomUUID()}`,
    accountId: `acct-${randomUUID()}`,
    name: 'Spring launch',
    type: 'standard',
    totalValue: { amountMinor: 5_000_000, currency: 'USD' },
    startDate: '2026-03-01',
    endDate: '2026-06-30',
    ownerId: 'user-1',
    status: 'draft',
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: 'user-1',
    updatedBy: 'user-1',
    ...overrides,
  };
}

export function aCampaign(deal: Deal, overrides: Partial<Campaign> = {}): Campaign {
  const at = tick();
  return {
    id: `camp-${randomUUID()}`,
    dealId: deal.id,
    accountId: deal.accountId,
    name: 'Video prospecting',
    type: 'video',
    budget: { amountMinor: 1_000_000, currency: 'USD' },
    dailyBudget: { amountMinor: 50_000, currency: 'USD' },
    targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['ctv'] },
    schedule: { startDate: '2026-03-01', endDate: '2026-04-30', pacing: 'even' },
    creativeSpecs: [{ format: 'video', width: 1920, height: 1080, mimeTypes: ['video/mp4'], maxDurationSeconds: 30 }],
    frequencyCap: { impressions: 3, periodHours: 24 },
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 1_500, currency: 'USD' },
    status: 'draft',
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: 'user-1',
    updatedBy: 'user-1',
    ...overrides,
  };
}

export function anAudit(
  entity: Deal | Campaign,
  action: AuditEntry['action'],
  overrides: Partial<AuditEntry> = {},
): AuditEntry {
  const isCampaign = 'dealId' in entity;
  return {
    id: `audit-${randomUUID()}`,
    dealId: isCampaign ? (entity as Campaign).dealId : entity.id,
    entityType: isCampaign ? 'campaign' : 'deal',
    entityId: entity.id,
    action,
    version: entity.version,
    actor: { userId: 'user-1', groups: ['deal_manager'] },
    correlationId: `corr-${randomUUID()}`,
    sourceIp: '203.0.113.7',
    userAgent: 'vitest',
    at: entity.updatedAt,
    changes: [{ field: 'name', old: 'before', new: entity.name }],
    ...overrides,
  };
}

/** Next version of a deal, as the domain would produce it. */
export function amended(deal: Deal, changes: Partial<Deal> = {}): Deal {
  return { ...deal, ...changes, version: deal.version + 1, updatedAt: tick() };
}

export function amendedCampaign(campaign: Campaign, changes: Partial<Campaign> = {}): Campaign {
  return { ...campaign, ...changes, version: campaign.version + 1, updatedAt: tick() };
}

/** Follows nextCursor to the end; fails on a page that is over the limit. */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  limit: number,
): Promise<{ pages: T[][]; all: T[] }> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items);
    cursor = page.nextCursor;
    if (pages.length > 100) throw new Error('pagination does not end');
  } while (cursor);
  return { pages, all: pages.flat() };
}

/** What `promise` rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

export function describeDealRepositoryContract(
  name: string,
  makeRepo: () => DealRepository | Promise<DealRepository>,
): void {
  describe(`DealRepository contract: ${name}`, () => {
    describe('deals', () => {
      it('stores a new deal with its version 1 snapshot and its audit entry', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        const audit = anAudit(deal, 'deal.created');
        // Act
        await repo.createDeal(deal, audit);
        // Assess
        expect(await repo.getDeal(deal.id)).toEqual(deal);
        expect(await repo.getDealVersion(deal.id, 1)).toEqual(deal);
        expect((await repo.listDealVersions(deal.id, { limit: 10 })).items).toEqual([deal]);
        expect((await repo.listAudit(deal.id, { limit: 10 })).items).toEqual([audit]);
      });

      it('answers undefined for a deal or version that does not exist', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        // Act
        const missingDeal = await repo.getDeal(`deal-${randomUUID()}`);
        const missingVersion = await repo.getDealVersion(deal.id, 2);
        // Assess
        expect(missingDeal).toBeUndefined();
        expect(missingVersion).toBeUndefined();
        expect((await repo.listDealVersions(`deal-${randomUUID()}`, { limit: 5 })).items).toEqual([]);
      });

      it('refuses to create a deal whose id exists, and leaves the stored one alone', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        const duplicate = { ...deal, name: 'impostor' };
        // Act
        const err = await rejection(repo.createDeal(duplicate, anAudit(duplicate, 'deal.created')));
        // Assess
        expect(err).toBeInstanceOf(VersionConflictError);
        expect(await repo.getDeal(deal.id)).toEqual(deal);
        expect((await repo.listAudit(deal.id, { limit: 10 })).items).toHaveLength(1);
      });

      it('saves the next version together with its snapshot and audit entry; older versions stay readable', async () => {
        // Prepare
        const repo = await makeRepo();
        const v1 = aDeal();
        const created = anAudit(v1, 'deal.created');
        await repo.createDeal(v1, created);
        const v2 = amended(v1, { name: 'Summer launch' });
        const amendedAudit = anAudit(v2, 'deal.amended');
        // Act
        await repo.saveDeal(v2, 1, amendedAudit);
        // Assess
        expect(await repo.getDeal(v1.id)).toEqual(v2);
        expect(await repo.getDealVersion(v1.id, 1)).toEqual(v1);
        expect(await repo.getDealVersion(v1.id, 2)).toEqual(v2);
        expect((await repo.listDealVersions(v1.id, { limit: 10 })).items).toEqual([v2, v1]);
        expect((await repo.listAudit(v1.id, { limit: 10 })).items).toEqual([created, amendedAudit]);
      });

      it('refuses a stale expectedVersion with VersionConflictError carrying the current version, writing nothing', async () => {
        // Prepare
        const repo = await makeRepo();
        const v1 = aDeal();
        await repo.createDeal(v1, anAudit(v1, 'deal.created'));
        const v2 = amended(v1);
        await repo.saveDeal(v2, 1, anAudit(v2, 'deal.amended'));
        const v3 = amended(v2);
        await repo.saveDeal(v3, 2, anAudit(v3, 'deal.amended'));
        const staleNext = amended(v1, { name: 'from a stale read' });
        // Act
        const err = await rejection(repo.saveDeal(staleNext, 1, anAudit(staleNext, 'deal.amended')));
        // Assess
        expect(err).toBeInstanceOf(VersionConflictError);
        expect(err).toMatchObject({ expectedVersion: 1, currentVersion: 3 });
        expect(await repo.getDeal(v1.id)).toEqual(v3);
        expect(await repo.getDealVersion(v1.id, 2)).toEqual(v2);
        expect((await repo.listAudit(v1.id, { limit: 10 })).items).toHaveLength(3);
      });

      it('refuses to save a deal that does not exist with NotFoundError', async () => {
        // Prepare
        const repo = await makeRepo();
        const ghost = amended(aDeal());
        // Act
        const err = await rejection(repo.saveDeal(ghost, 1, anAudit(ghost, 'deal.amended')));
        // Assess
        expect(err).toBeInstanceOf(NotFoundError);
        expect(await repo.getDeal(ghost.id)).toBeUndefined();
      });

      it('lets exactly one of 20 concurrent saves of the same version win; the others get VersionConflictError', async () => {
        // Prepare
        const repo = await makeRepo();
        const v1 = aDeal();
        await repo.createDeal(v1, anAudit(v1, 'deal.created'));
        const attempts = Array.from({ length: 20 }, (_, i) => {
          const next = amended(v1, { name: `writer ${i}` });
          return { next, audit: anAudit(next, 'deal.amended') };
        });
        // Act
        const results = await Promise.allSettled(attempts.map((a) => repo.saveDeal(a.next, 1, a.audit)));
        // Assess
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [attempts[i]!] : []));
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const err of lost) {
          expect(err).toBeInstanceOf(VersionConflictError);
          expect(err).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
        }
        expect(await repo.getDeal(v1.id)).toEqual(won[0]!.next);
        expect((await repo.listDealVersions(v1.id, { limit: 100 })).items).toEqual([won[0]!.next, v1]);
        const audit = (await repo.listAudit(v1.id, { limit: 100 })).items;
        expect(audit).toHaveLength(2);
        expect(audit[1]).toEqual(won[0]!.audit);
      });

      it('pages through versions newest first without gaps or duplicates', async () => {
        // Prepare
        const repo = await makeRepo();
        let deal = aDeal();
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        const versions = [deal];
        for (let i = 0; i < 6; i++) {
          const next = amended(deal, { name: `rename ${i}` });
          await repo.saveDeal(next, deal.version, anAudit(next, 'deal.amended'));
          versions.push(next);
          deal = next;
        }
        // Act
        const { pages, all } = await collectPages((cursor) => repo.listDealVersions(deal.id, { limit: 3, cursor }), 3);
        // Assess
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(all.map((d) => d.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
        expect(all).toEqual([...versions].reverse());
      });
    });

    describe('listing deals of an account', () => {
      async function seed(repo: DealRepository) {
        const accountId = `acct-${randomUUID()}`;
        const specs: [DealStatus, DealType][] = [
          ['draft', 'standard'],
          ['draft', 'programmatic'],
          ['pending_approval', 'standard'],
          ['draft', 'standard'],
          ['approved', 'guaranteed'],
          ['draft', 'programmatic'],
          ['draft', 'standard'],
        ];
        const deals: Deal[] = [];
        for (const [status, type] of specs) {
          const deal = aDeal({ accountId, status, type });
          await repo.createDeal(deal, anAudit(deal, 'deal.created'));
          deals.push(deal);
        }
        const other = aDeal({ status: 'draft' });
        await repo.createDeal(other, anAudit(other, 'deal.created'));
        return { accountId, deals, newestFirst: [...deals].reverse() };
      }

      it('lists the account’s deals newest first, and only that account’s', async () => {
        // Prepare
        const repo = await makeRepo();
        const { accountId, newestFirst } = await seed(repo);
        // Act
        const page = await repo.listDeals({ accountId, limit: 100 });
        // Assess
        expect(page.items).toEqual(newestFirst);
        expect(page.nextCursor).toBeUndefined();
      });

      it('filters by status, by type, and by both', async () => {
        // Prepare
        const repo = await makeRepo();
        const { accountId, newestFirst } = await seed(repo);
        // Act
        const drafts = await repo.listDeals({ accountId, status: 'draft', limit: 100 });
        const programmatic = await repo.listDeals({ accountId, type: 'programmatic', limit: 100 });
        const draftStandard = await repo.listDeals({ accountId, status: 'draft', type: 'standard', limit: 100 });
        // Assess
        expect(drafts.items).toEqual(newestFirst.filter((d) => d.status === 'draft'));
        expect(programmatic.items).toEqual(newestFirst.filter((d) => d.type === 'programmatic'));
        expect(draftStandard.items).toEqual(newestFirst.filter((d) => d.status === 'draft' && d.type === 'standard'));
        expect(draftStandard.items).toHaveLength(3);
      });

      it('follows a status change: the deal leaves the old status listing and joins the new one', async () => {
        // Prepare
        const repo = await makeRepo();
        const v1 = aDeal();
        await repo.createDeal(v1, anAudit(v1, 'deal.created'));
        const v2 = amended(v1, { status: 'pending_approval' });
        // Act
        await repo.saveDeal(v2, 1, anAudit(v2, 'deal.submitted'));
        // Assess
        expect((await repo.listDeals({ accountId: v1.accountId, status: 'draft', limit: 10 })).items).toEqual([]);
        expect((await repo.listDeals({ accountId: v1.accountId, status: 'pending_approval', limit: 10 })).items).toEqual([v2]);
      });

      it('pages with a cursor across pages without duplicates or gaps, with and without a filter', async () => {
        // Prepare
        const repo = await makeRepo();
        const { accountId, newestFirst } = await seed(repo);
        // Act
        const all = await collectPages((cursor) => repo.listDeals({ accountId, limit: 3, cursor }), 3);
        const drafts = await collectPages((cursor) => repo.listDeals({ accountId, status: 'draft', limit: 2, cursor }), 2);
        const draftStandard = await collectPages(
          (cursor) => repo.listDeals({ accountId, status: 'draft', type: 'standard', limit: 1, cursor }),
          1,
        );
        // Assess
        expect(all.pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(all.all).toEqual(newestFirst);
        expect(drafts.all).toEqual(newestFirst.filter((d) => d.status === 'draft'));
        expect(draftStandard.all).toEqual(newestFirst.filter((d) => d.status === 'draft' && d.type === 'standard'));
      });

      it('gives no cursor when the last page is exactly full', async () => {
        // Prepare
        const repo = await makeRepo();
        const { accountId } = await seed(repo);
        // Act
        const page = await repo.listDeals({ accountId, limit: 7 });
        // Assess
        expect(page.items).toHaveLength(7);
        expect(page.nextCursor).toBeUndefined();
      });

      it('refuses a cursor that does not decode, has the wrong shape, or belongs to another listing', async () => {
        // Prepare
        const repo = await makeRepo();
        const { accountId } = await seed(repo);
        const otherAccount = aDeal();
        await repo.createDeal(otherAccount, anAudit(otherAccount, 'deal.created'));
        const second = aDeal({ accountId: otherAccount.accountId });
        await repo.createDeal(second, anAudit(second, 'deal.created'));
        const otherAccountsCursor = (await repo.listDeals({ accountId: otherAccount.accountId, limit: 1 })).nextCursor!;
        const badCursors = [
          'not a cursor!',
          '%%%',
          Buffer.from('not json').toString('base64url'),
          Buffer.from('[1,2,3]').toString('base64url'),
          Buffer.from(JSON.stringify({ pk: 1 })).toString('base64url'),
          otherAccountsCursor,
        ];
        for (const cursor of badCursors) {
          // Act
          const err = await rejection(repo.listDeals({ accountId, limit: 2, cursor }));
          // Assess
          expect(err, cursor).toBeInstanceOf(ValidationError);
          expect((err as ValidationError).issues[0]?.path).toBe('cursor');
        }
        const versionsErr = await rejection(repo.listDealVersions(otherAccount.id, { limit: 1, cursor: 'garbage!' }));
        expect(versionsErr).toBeInstanceOf(ValidationError);
        const auditErr = await rejection(repo.listAudit(otherAccount.id, { limit: 1, cursor: otherAccountsCursor }));
        expect(auditErr).toBeInstanceOf(ValidationError);
      });
    });

    describe('campaigns', () => {
      it('creates, reads, saves and lists campaigns of a deal', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        const first = aCampaign(deal);
        const second = aCampaign(deal, { frequencyCap: undefined, type: 'display' });
        // Act
        await repo.createCampaign(first, anAudit(first, 'campaign.created'));
        await repo.createCampaign(second, anAudit(second, 'campaign.created'));
        const firstV2 = amendedCampaign(first, { name: 'Video prospecting II' });
        await repo.saveCampaign(firstV2, 1, anAudit(firstV2, 'campaign.amended'));
        // Assess
        expect(await repo.getCampaign(deal.id, first.id)).toEqual(firstV2);
        const stored = await repo.getCampaign(deal.id, second.id);
        expect(stored).toEqual(second);
        expect(stored).not.toHaveProperty('frequencyCap');
        const listed = (await repo.listCampaigns(deal.id, { limit: 10 })).items;
        expect(listed).toHaveLength(2);
        expect(listed).toEqual(expect.arrayContaining([firstV2, second]));
        expect(await repo.getCampaign(deal.id, `camp-${randomUUID()}`)).toBeUndefined();
        expect(await repo.getDeal(deal.id)).toEqual(deal);
      });

      it('pages campaigns without duplicates or gaps', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        const campaigns = Array.from({ length: 5 }, () => aCampaign(deal));
        for (const c of campaigns) await repo.createCampaign(c, anAudit(c, 'campaign.created'));
        // Act
        const { pages, all } = await collectPages((cursor) => repo.listCampaigns(deal.id, { limit: 2, cursor }), 2);
        // Assess
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(new Set(all.map((c) => c.id))).toEqual(new Set(campaigns.map((c) => c.id)));
      });

      it('refuses a stale campaign version with the current version, and a missing deal with NotFoundError', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        await repo.createDeal(deal, anAudit(deal, 'deal.created'));
        const c1 = aCampaign(deal);
        await repo.createCampaign(c1, anAudit(c1, 'campaign.created'));
        const c2 = amendedCampaign(c1);
        await repo.saveCampaign(c2, 1, anAudit(c2, 'campaign.amended'));
        const stale = amendedCampaign(c1, { name: 'stale' });
        const orphan = aCampaign(aDeal());
        // Act
        const conflict = await rejection(repo.saveCampaign(stale, 1, anAudit(stale, 'campaign.amended')));
        const missingDeal = await rejection(repo.createCampaign(orphan, anAudit(orphan, 'campaign.created')));
        // Assess
        expect(conflict).toBeInstanceOf(VersionConflictError);
        expect(conflict).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
        expect(missingDeal).toBeInstanceOf(NotFoundError);
        expect(await repo.getCampaign(orphan.dealId, orphan.id)).toBeUndefined();
        expect(await repo.getCampaign(deal.id, c1.id)).toEqual(c2);
      });
    });

    describe('audit', () => {
      it('lists the deal’s and its campaigns’ entries oldest first, across pages', async () => {
        // Prepare
        const repo = await makeRepo();
        const deal = aDeal();
        const expected: AuditEntry[] = [];
        const dealCreated = anAudit(deal, 'deal.created');
        await repo.createDeal(deal, dealCreated);
        expected.push(dealCreated);
        const campaign = aCampaign(deal);
        const campaignCreated = anAudit(campaign, 'campaign.created');
        await repo.createCampaign(campaign, campaignCreated);
        expected.push(campaignCreated);
        const deal2 = amended(deal, { name: 'renamed' });
        const dealAmended = anAudit(deal2, 'deal.amended');
        await repo.saveDeal(deal2, 1, dealAmended);
        expected.push(dealAmended);
        const campaign2 = amendedCampaign(campaign, { name: 'renamed too' });
        const campaignAmended = anAudit(campaign2, 'campaign.amended');
        await repo.saveCampaign(campaign2, 1, campaignAmended);
        expected.push(campaignAmended);
        const otherDeal = aDeal();
        await repo.createDeal(otherDeal, anAudit(otherDeal, 'deal.created'));
        // Act
        const { all } = await collectPages((cursor) => repo.listAudit(deal.id, { limit: 3, cursor }), 3);
        // Assess
        expect(all).toEqual(expected);
        expect(all.map((a) => a.action)).toEqual(['deal.created', 'campaign.created', 'deal.amended', 'campaign.amended']);
      });
    });
  });
}
