/**
 * EngagementStore in memory, for unit tests and the handlers' tests: the DynamoDB store's behaviour
 * (exactly once per consumer and event id, the same listing order and cursor rules) without a table.
 * Records are copied in and out, so callers never share state with the store.
 */
import { ValidationError } from '../../domain/errors.js';
import { type AccountHealthState, type EngagementRecord, scoreRankKey } from '../../engagement/model.js';
import type {
  AppliedEventRef,
  ApplyOutcome,
  EngagementCompute,
  EngagementListQuery,
  EngagementStore,
} from '../../ports/engagement-store.js';
import type { Page } from '../../ports/page.js';
import { decodePageCursor, encodePageCursor, invalidCursor } from '../page-cursor.js';

export class InMemoryEngagementStore implements EngagementStore {
  private readonly deals = new Map<string, EngagementRecord>();
  private readonly accounts = new Map<string, AccountHealthState>();
  /** `<consumer>#<eventId>` of every applied event. */
  private readonly applied = new Set<string>();

  async get(dealId: string): Promise<EngagementRecord | undefined> {
    const record = this.deals.get(dealId);
    return record ? structuredClone(record) : undefined;
  }

  async applyOnce(consumer: string, event: AppliedEventRef, compute: EngagementCompute): Promise<ApplyOutcome> {
    const deal = this.deals.get(event.dealId);
    const account = this.accounts.get(event.accountId);
    const step = compute({ deal: deal && structuredClone(deal.state), account: account && structuredClone(account) });
    if (step.kind === 'ignore') return { status: 'ignored', reason: step.reason };
    // As in DynamoDB, the marker is checked with the write: a duplicate whose step would be ignored anyway
    // answers `ignored`.
    const marker = `${consumer}#${event.eventId}`;
    if (this.applied.has(marker)) return { status: 'duplicate' };
    this.applied.add(marker);
    this.accounts.set(step.account.accountId, structuredClone(step.account));
    if (step.kind === 'remove') {
      this.deals.delete(step.dealId);
      return { status: 'applied' };
    }
    this.deals.set(step.record.dealId, structuredClone(step.record));
    return { status: 'applied', record: structuredClone(step.record) };
  }

  async listByAccount(query: EngagementListQuery): Promise<Page<EngagementRecord>> {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 100) {
      throw new ValidationError([{ path: 'limit', message: 'limit must be an integer from 1 to 100' }]);
    }
    const listing = `engagement:${query.accountId}:${query.tier ?? '*'}`;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, listing);
    const ranked = [...this.deals.values()]
      .filter((record) => record.accountId === query.accountId && (query.tier === undefined || record.tier === query.tier))
      .map((record) => ({ record, key: scoreRankKey(record.score, record.dealId) }))
      .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const remaining = after === undefined ? ranked : ranked.filter((entry) => entry.key < after);
    const page = remaining.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((entry) => structuredClone(entry.record)),
      ...(remaining.length > query.limit && last ? { nextCursor: encodePageCursor({ l: listing, k: last.key }) } : {}),
    };
  }

  /** Test helper: the account's counts as stored. */
  accountHealth(accountId: string): AccountHealthState | undefined {
    const account = this.accounts.get(accountId);
    return account && structuredClone(account);
  }
}

function decodeCursor(cursor: string, listing: string): string {
  const { l, k } = decodePageCursor(cursor);
  if (typeof l !== 'string' || typeof k !== 'string') throw invalidCursor();
  if (l !== listing) throw invalidCursor('cursor does not belong to this listing');
  return k;
}
