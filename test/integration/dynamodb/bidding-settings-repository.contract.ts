/**
 * The BiddingSettingsRepository contract: the DynamoDB adapter passes it against DynamoDB Local
 * (bidding-settings-repository.test.ts) and the in-memory fake in the unit suite, so the fake may stand
 * in for the adapter in handler tests.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  biddingSettingsAuditEntry,
  createBiddingSettings,
  replaceBiddingSettings,
  type AccountBiddingSettings,
  type BiddingSettingsTerms,
} from '../../../shared/domain/account/bidding-settings.js';
import type { ChangeContext } from '../../../shared/domain/actor.js';
import { ValidationError, VersionConflictError } from '../../../shared/domain/errors.js';
import type { BiddingSettingsRepository } from '../../../shared/ports/bidding-settings-repository.js';

let clock = Date.parse('2027-01-01T00:00:00.000Z');

export function anOperatorContext(): ChangeContext {
  return {
    actor: { userId: 'operator', groups: ['admin'], accountIds: [] },
    correlationId: `corr-${randomUUID()}`,
    sourceIp: '127.0.0.1',
    userAgent: 'contract-test',
    at: new Date((clock += 1000)).toISOString(),
  };
}

/** Version 1 of a fresh account's settings, with its audit entry. */
export function firstSettings(terms: BiddingSettingsTerms = { allowedSeats: ['seat-a'], allowedPmpDealIds: ['pmp-1'] }) {
  const ctx = anOperatorContext();
  const settings = createBiddingSettings(`acct-${randomUUID().slice(0, 8)}`, terms, ctx);
  return { settings, audit: biddingSettingsAuditEntry(settings, 'biddingSettings.created', ctx) };
}

function replaced(current: AccountBiddingSettings, terms: BiddingSettingsTerms) {
  const ctx = anOperatorContext();
  const replacement = replaceBiddingSettings(current, terms, ctx)!;
  return { next: replacement.next, audit: biddingSettingsAuditEntry(replacement.next, 'biddingSettings.replaced', ctx, replacement.changes) };
}

export function describeBiddingSettingsRepositoryContract(name: string, makeRepo: () => BiddingSettingsRepository): void {
  describe(`${name}: BiddingSettingsRepository contract`, () => {
    it('creates settings and reads them back; an account without any reads undefined', async () => {
      // Prepare
      const repo = makeRepo();
      const { settings, audit } = firstSettings();
      // Act
      await repo.createBiddingSettings(settings, audit);
      // Assess
      expect(await repo.getBiddingSettings(settings.accountId)).toEqual(settings);
      expect(await repo.getBiddingSettings('acct-none')).toBeUndefined();
    });

    it('refuses a second create with the current version', async () => {
      // Prepare
      const repo = makeRepo();
      const { settings, audit } = firstSettings();
      await repo.createBiddingSettings(settings, audit);
      // Act
      const again = repo.createBiddingSettings(settings, { ...audit, id: `${audit.id}-again` });
      // Assess
      await expect(again).rejects.toEqual(new VersionConflictError(0, 1));
    });

    it('saves the next version under the expected one; a stale or missing one is a version conflict', async () => {
      // Prepare
      const repo = makeRepo();
      const { settings, audit } = firstSettings();
      await repo.createBiddingSettings(settings, audit);
      const second = replaced(settings, { allowedSeats: [], allowedPmpDealIds: ['pmp-1', 'pmp-2'] });
      // Act
      await repo.saveBiddingSettings(second.next, 1, second.audit);
      const stale = replaced(settings, { allowedSeats: ['seat-b'], allowedPmpDealIds: [] });
      const missing = firstSettings();
      const ghost = replaced(missing.settings, { allowedSeats: [], allowedPmpDealIds: [] });
      // Assess
      expect(await repo.getBiddingSettings(settings.accountId)).toEqual(second.next);
      await expect(repo.saveBiddingSettings(stale.next, 1, stale.audit)).rejects.toEqual(new VersionConflictError(1, 2));
      await expect(repo.saveBiddingSettings(ghost.next, 1, ghost.audit)).rejects.toEqual(new VersionConflictError(1, 0));
      expect(await repo.getBiddingSettings(settings.accountId)).toEqual(second.next);
    });

    it("lists an account's audit entries oldest first, page by page", async () => {
      // Prepare
      const repo = makeRepo();
      const { settings, audit } = firstSettings();
      await repo.createBiddingSettings(settings, audit);
      const second = replaced(settings, { allowedSeats: ['seat-b'], allowedPmpDealIds: [] });
      await repo.saveBiddingSettings(second.next, 1, second.audit);
      const other = firstSettings();
      await repo.createBiddingSettings(other.settings, other.audit);
      // Act
      const first = await repo.listAccountAudit(settings.accountId, { limit: 1 });
      const rest = await repo.listAccountAudit(settings.accountId, { limit: 1, cursor: first.nextCursor! });
      // Assess
      expect(first.items).toEqual([audit]);
      expect(rest.items).toEqual([second.audit]);
      expect(rest.nextCursor).toBeUndefined();
      await expect(repo.listAccountAudit(other.settings.accountId, { limit: 1, cursor: first.nextCursor! })).rejects.toBeInstanceOf(ValidationError);
    });
  });
}
