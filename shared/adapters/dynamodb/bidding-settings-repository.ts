/**
 * BiddingSettingsRepository on DynamoDB (docs/data-model.md, "Account bidding settings").
 *
 * The current settings live in the `deals` table under the account's own key (`ACCOUNT#<id>` /
 * `BIDDING_SETTINGS`, outside every index), where the bidder's line-item Scan finds them; version
 * snapshots and audit entries go to `history` under the same partition key. Every change is ONE
 * TransactWriteItems of the three puts, like a deal's.
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountAuditEntry, AccountBiddingSettings } from '../../domain/account/bidding-settings.js';
import { ValidationError, VersionConflictError } from '../../domain/errors.js';
import type { BiddingSettingsRepository } from '../../ports/bidding-settings-repository.js';
import type { Page, PageRequest } from '../../ports/page.js';
import { assertNextVersion } from '../write-preconditions.js';
import { decodeCursor, encodeCursor, type Key } from './cursor.js';
import type { Item } from './items.js';
import { AUDIT_SK_PREFIX, accountPk, auditSk, padVersion } from './keys.js';

export const BIDDING_SETTINGS_SK = 'BIDDING_SETTINGS';
export const BIDDING_SETTINGS_VERSION_SK_PREFIX = 'BIDDING_SETTINGS#VERSION#';
const STORAGE = new Set(['pk', 'sk', 'kind']);
const NOT_EXISTS = 'attribute_not_exists(pk)';

/** deals table: an account's current settings (also read by the line-item source). */
export function biddingSettingsToItem(settings: AccountBiddingSettings): Item {
  return { ...settings, pk: accountPk(settings.accountId), sk: BIDDING_SETTINGS_SK, kind: 'biddingSettings' };
}

export function biddingSettingsFromItem(item: Item): AccountBiddingSettings {
  return strip<AccountBiddingSettings>(item);
}

function strip<T>(item: Item): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !STORAGE.has(key))) as T;
}

export interface DynamoBiddingSettingsRepositoryOptions {
  client: DynamoDBDocumentClient;
  dealsTableName: string;
  historyTableName: string;
  /** Attempts for a transaction cancelled by a concurrent transaction (TransactionConflict). Default 6. */
  maxConflictAttempts?: number;
}

export class DynamoBiddingSettingsRepository implements BiddingSettingsRepository {
  constructor(private readonly options: DynamoBiddingSettingsRepositoryOptions) {}

  async getBiddingSettings(accountId: string): Promise<AccountBiddingSettings | undefined> {
    const out = await this.options.client.send(
      new GetCommand({ TableName: this.options.dealsTableName, Key: { pk: accountPk(accountId), sk: BIDDING_SETTINGS_SK }, ConsistentRead: true }),
    );
    return out.Item && biddingSettingsFromItem(out.Item);
  }

  async createBiddingSettings(settings: AccountBiddingSettings, audit: AccountAuditEntry): Promise<void> {
    if (settings.version !== 1) throw new Error(`new bidding settings must be version 1 (got ${settings.version})`);
    await this.write(settings, audit, { ConditionExpression: NOT_EXISTS }, 0);
  }

  async saveBiddingSettings(next: AccountBiddingSettings, expectedVersion: number, audit: AccountAuditEntry): Promise<void> {
    assertNextVersion(next.version, expectedVersion);
    await this.write(
      next,
      audit,
      { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': expectedVersion } },
      expectedVersion,
    );
  }

  async listAccountAudit(accountId: string, page: PageRequest): Promise<Page<AccountAuditEntry>> {
    if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 100) {
      throw new ValidationError([{ path: 'limit', message: 'limit must be an integer from 1 to 100' }]);
    }
    const pk = accountPk(accountId);
    const start =
      page.cursor === undefined
        ? undefined
        : decodeCursor(page.cursor, { attributes: ['pk', 'sk'], partition: { name: 'pk', value: pk }, sortPrefix: { name: 'sk', prefix: AUDIT_SK_PREFIX } });
    const out = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.historyTableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': AUDIT_SK_PREFIX },
        ConsistentRead: true,
        Limit: page.limit + 1,
        ExclusiveStartKey: start,
      }),
    );
    const items = out.Items ?? [];
    const kept = items.slice(0, page.limit);
    // One item more than the page tells a next page; a short page (DynamoDB's 1 MB cap) continues where it stopped.
    const after: Item | undefined = items.length > page.limit ? kept.at(-1) : out.LastEvaluatedKey;
    return {
      items: kept.map((item) => strip<AccountAuditEntry>(item)),
      ...(after ? { nextCursor: encodeCursor({ pk: after.pk as string, sk: after.sk as string } satisfies Key) } : {}),
    };
  }

  /** The settings put (with `condition`), the version snapshot and the audit entry, as one transaction. */
  private async write(
    settings: AccountBiddingSettings,
    audit: AccountAuditEntry,
    condition: { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> },
    expectedVersion: number,
  ): Promise<void> {
    if (audit.accountId !== settings.accountId || audit.version !== settings.version) {
      throw new Error(`audit entry ${audit.id} does not describe bidding settings v${settings.version} of account ${settings.accountId}`);
    }
    const pk = accountPk(settings.accountId);
    const input = {
      TransactItems: [
        { Put: { TableName: this.options.dealsTableName, Item: biddingSettingsToItem(settings), ...condition } },
        {
          Put: {
            TableName: this.options.historyTableName,
            Item: { ...settings, pk, sk: `${BIDDING_SETTINGS_VERSION_SK_PREFIX}${padVersion(settings.version)}`, kind: 'biddingSettingsVersion' },
            ConditionExpression: NOT_EXISTS,
          },
        },
        {
          Put: {
            TableName: this.options.historyTableName,
            Item: { ...audit, pk, sk: auditSk(audit.at, audit.id), kind: 'accountAudit' },
            ConditionExpression: NOT_EXISTS,
          },
        },
      ],
    };
    const maxAttempts = this.options.maxConflictAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.client.send(new TransactWriteCommand(input));
        return;
      } catch (err) {
        const name = (err as Error).name;
        const codes = ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        if (name === 'TransactionCanceledException' && codes[0] === 'ConditionalCheckFailed') {
          throw new VersionConflictError(expectedVersion, (await this.getBiddingSettings(settings.accountId))?.version ?? 0);
        }
        if (codes.some((code, i) => i > 0 && code === 'ConditionalCheckFailed')) {
          throw new Error(`history already holds bidding settings v${settings.version} of account ${settings.accountId}; refusing to overwrite`);
        }
        const concurrent = name === 'TransactionConflictException' || codes.includes('TransactionConflict');
        if (!concurrent || attempt >= maxAttempts) throw err;
        // Another transaction touched the settings: if it moved the version, this write lost the race.
        const current = (await this.getBiddingSettings(settings.accountId))?.version ?? 0;
        if (current !== expectedVersion) throw new VersionConflictError(expectedVersion, current);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** attempt)));
      }
    }
  }
}
