import type { AccountAuditEntry, AccountBiddingSettings } from '../domain/account/bidding-settings.js';
import type { Page, PageRequest } from './page.js';

/**
 * Persistence port for accounts' bidding settings (shared/domain/account/bidding-settings.ts).
 * Like the deal repository: every write stores the settings, their version snapshot and the audit entry
 * atomically; create refuses existing settings and save a stale `expectedVersion`, both with
 * VersionConflictError naming the current version (0 when there are none).
 */
export interface BiddingSettingsRepository {
  getBiddingSettings(accountId: string): Promise<AccountBiddingSettings | undefined>;
  /** `settings.version` must be 1. */
  createBiddingSettings(settings: AccountBiddingSettings, audit: AccountAuditEntry): Promise<void>;
  /** `next.version` must equal expectedVersion + 1. */
  saveBiddingSettings(next: AccountBiddingSettings, expectedVersion: number, audit: AccountAuditEntry): Promise<void>;
  /** Oldest first: the account's audit entries. */
  listAccountAudit(accountId: string, page: PageRequest): Promise<Page<AccountAuditEntry>>;
}
