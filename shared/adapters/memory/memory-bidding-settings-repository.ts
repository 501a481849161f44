import type { AccountAuditEntry, AccountBiddingSettings } from '../../domain/account/bidding-settings.js';
import { ValidationError, VersionConflictError } from '../../domain/errors.js';
import type { BiddingSettingsRepository } from '../../ports/bidding-settings-repository.js';
import type { Page, PageRequest } from '../../ports/page.js';
import { decodePageCursor, encodePageCursor, invalidCursor } from '../page-cursor.js';
import { assertNextVersion } from '../write-preconditions.js';

/**
 * In-memory BiddingSettingsRepository with the DynamoDB adapter's semantics: create refuses existing
 * settings and save a stale version (VersionConflictError with the current version, 0 when none);
 * settings, snapshot and audit entry are written together or not at all, and history is append-only;
 * audit listed oldest first with keyset cursors. Values are copied in and out.
 */
export class InMemoryBiddingSettingsRepository implements BiddingSettingsRepository {
  private readonly current = new Map<string, AccountBiddingSettings>();
  private readonly versions = new Map<string, AccountBiddingSettings>();
  private readonly audit = new Map<string, AccountAuditEntry>();

  async getBiddingSettings(accountId: string): Promise<AccountBiddingSettings | undefined> {
    const settings = this.current.get(accountId);
    return settings && structuredClone(settings);
  }

  async createBiddingSettings(settings: AccountBiddingSettings, audit: AccountAuditEntry): Promise<void> {
    if (settings.version !== 1) throw new Error(`new bidding settings must be version 1 (got ${settings.version})`);
    const existing = this.current.get(settings.accountId);
    if (existing) throw new VersionConflictError(0, existing.version);
    this.commit(settings, audit);
  }

  async saveBiddingSettings(next: AccountBiddingSettings, expectedVersion: number, audit: AccountAuditEntry): Promise<void> {
    assertNextVersion(next.version, expectedVersion);
    const version = this.current.get(next.accountId)?.version ?? 0;
    if (version !== expectedVersion) throw new VersionConflictError(expectedVersion, version);
    this.commit(next, audit);
  }

  async listAccountAudit(accountId: string, page: PageRequest): Promise<Page<AccountAuditEntry>> {
    if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 100) {
      throw new ValidationError([{ path: 'limit', message: 'limit must be an integer from 1 to 100' }]);
    }
    const keyOf = (entry: AccountAuditEntry): string => `${entry.at}#${entry.id}`;
    let after: string | undefined;
    if (page.cursor !== undefined) {
      const { a, k } = decodePageCursor(page.cursor);
      if (a !== accountId || typeof k !== 'string') throw invalidCursor('cursor does not belong to this listing');
      after = k;
    }
    const entries = [...this.audit.values()]
      .filter((entry) => entry.accountId === accountId && (after === undefined || keyOf(entry) > after))
      .sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : 1));
    const kept = entries.slice(0, page.limit);
    const last = kept.at(-1);
    return {
      items: kept.map((entry) => structuredClone(entry)),
      ...(entries.length > page.limit && last ? { nextCursor: encodePageCursor({ a: accountId, k: keyOf(last) }) } : {}),
    };
  }

  private commit(settings: AccountBiddingSettings, audit: AccountAuditEntry): void {
    if (audit.accountId !== settings.accountId || audit.version !== settings.version) {
      throw new Error(`audit entry ${audit.id} does not describe bidding settings v${settings.version} of account ${settings.accountId}`);
    }
    const versionKey = `${settings.accountId}#${settings.version}`;
    if (this.versions.has(versionKey) || this.audit.has(audit.id)) {
      throw new Error(`history already holds bidding settings v${settings.version} of account ${settings.accountId}; refusing to overwrite`);
    }
    this.current.set(settings.accountId, structuredClone(settings));
    this.versions.set(versionKey, structuredClone(settings));
    this.audit.set(audit.id, structuredClone(audit));
  }
}
