/**
 * LineItemChanges on a Redis stream (the bidding Redis of the region, beside the budget leases).
 *
 * Publish: `XADD <key> MAXLEN ~ <maxLength> * dealId … at …` (one entry per change, fields as in
 * LineItemChange), then, when `replicasToAck` > 0, `WAIT` for that many replicas: a failover then
 * promotes a replica that has the entry, and the consumer marks the event applied only after that.
 *
 * Read: `XREAD COUNT n BLOCK ms STREAMS <key> <id>` on a connection of its own (a blocked read holds
 * it). Before each read, `XINFO STREAM` tells whether everything after the reader's position is still
 * there: a position carries how many entries the stream had taken in up to it (`entries-added`, Redis
 * 7.0+), so entries after it = entries-added now − that count, and they are all retained exactly when
 * the stream's length is at least that (trimming drops the oldest first). A stream that is gone, or whose
 * counter went back, was lost and recreated (a Redis node replaced without its data): a gap as well.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { DEAL_EVENT_TYPES, CAMPAIGN_EVENT_TYPES, type DomainEventType } from '../../domain-events/types.js';
import { FEED_START, type FeedPosition, type FeedRead, type LineItemChange, type LineItemChanges } from '../../ports/line-item-changes.js';

export const LINE_ITEM_CHANGES_KEY = 'line-items:changes';
/** Entries kept (approximately, `MAXLEN ~`): hours of changes, far more than a reconnecting task misses. */
export const LINE_ITEM_CHANGES_MAX_LENGTH = 10_000;

export interface RedisLineItemChangesOptions {
  /** For reads, a connection used by nothing else (XREAD BLOCK holds it), with a command timeout above the longest wait. */
  redis: Redis;
  /** @default LINE_ITEM_CHANGES_KEY */
  key?: string;
  /** @default LINE_ITEM_CHANGES_MAX_LENGTH */
  maxLength?: number;
  /** Replicas an append waits for before `publish` resolves. @default 0 */
  replicasToAck?: number;
  /** How long `publish` waits for them. @default 1000 */
  replicaAckTimeoutMs?: number;
}

/**
 * A connection for reading the feed: no offline queue (a read while disconnected fails at once and the
 * reader retries), a command timeout longer than the longest blocking read.
 */
export function createLineItemFeedRedis(url: string, options: { maxWaitMs: number; extra?: RedisOptions }): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.maxWaitMs + 2_000,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    lazyConnect: true,
    ...options.extra,
  });
}

/**
 * A connection for publishing from a Lambda function: commands wait for the connection (a cold start
 * connects on first use), each one bounded, so a Redis outage fails the batch quickly and SQS retries it.
 */
export function createLineItemPublisherRedis(options: {
  host: string;
  port: number;
  tls: boolean;
  password?: string | undefined;
  /** Connection errors (the client reconnects by itself; a command that fails rejects on its own). Default: ignored. */
  onError?: (error: Error) => void;
  extra?: RedisOptions;
}): Redis {
  const redis = new Redis({
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: {} } : {}),
    ...(options.password ? { password: options.password } : {}),
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
    ...options.extra,
  });
  redis.on('error', (error: Error) => options.onError?.(error));
  return redis;
}

const EVENT_TYPES: ReadonlySet<string> = new Set<string>([...DEAL_EVENT_TYPES, ...CAMPAIGN_EVENT_TYPES]);

/** The stream entry's fields of a change. */
export function changeFields(change: LineItemChange): string[] {
  return [
    'dealId', change.dealId,
    'entity', change.entity,
    'entityId', change.entityId,
    'version', String(change.version),
    'type', change.type,
    'eventId', change.eventId,
    'at', change.at,
  ];
}

/** The change an entry holds, or undefined when it is not one (never written by this adapter). */
export function changeOfFields(fields: readonly string[]): LineItemChange | undefined {
  const value: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) value[fields[index]!] = fields[index + 1]!;
  const version = Number(value.version);
  const { dealId, entity, entityId, type, eventId, at } = value;
  if (!dealId || !entityId || !eventId || !at || !type || !EVENT_TYPES.has(type)) return undefined;
  if ((entity !== 'deal' && entity !== 'campaign') || !Number.isInteger(version)) return undefined;
  return { dealId, entity, entityId, version, type: type as DomainEventType, eventId, at };
}

interface StreamInfo {
  length: number;
  lastGeneratedId: string;
  entriesAdded: number;
}

/** Compares two stream ids (`<ms>-<seq>`) numerically. */
export function compareStreamIds(left: string, right: string): number {
  const [leftMs, leftSeq] = left.split('-').map(BigInt) as [bigint, bigint];
  const [rightMs, rightSeq] = right.split('-').map(BigInt) as [bigint, bigint];
  if (leftMs !== rightMs) return leftMs < rightMs ? -1 : 1;
  if (leftSeq !== rightSeq) return leftSeq < rightSeq ? -1 : 1;
  return 0;
}

export class RedisLineItemChanges implements LineItemChanges {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly maxLength: number;
  private readonly replicasToAck: number;
  private readonly replicaAckTimeoutMs: number;

  constructor(options: RedisLineItemChangesOptions) {
    this.redis = options.redis;
    this.key = options.key ?? LINE_ITEM_CHANGES_KEY;
    this.maxLength = options.maxLength ?? LINE_ITEM_CHANGES_MAX_LENGTH;
    this.replicasToAck = options.replicasToAck ?? 0;
    this.replicaAckTimeoutMs = options.replicaAckTimeoutMs ?? 1_000;
  }

  async publish(change: LineItemChange): Promise<void> {
    await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.maxLength), '*', ...changeFields(change));
    if (this.replicasToAck === 0) return;
    const acknowledged = Number(await this.redis.call('WAIT', String(this.replicasToAck), String(this.replicaAckTimeoutMs)));
    if (acknowledged < this.replicasToAck) {
      throw new Error(`line-item change ${change.eventId} reached ${acknowledged} of ${this.replicasToAck} replica(s) within ${this.replicaAckTimeoutMs} ms`);
    }
  }

  async latest(): Promise<FeedPosition> {
    const info = await this.info();
    return info ? { id: info.lastGeneratedId, added: info.entriesAdded } : FEED_START;
  }

  async readAfter(position: FeedPosition, options: { maxWaitMs: number; maxChanges: number }): Promise<FeedRead> {
    const info = await this.info();
    if (!info) {
      if (position.added > 0) return { kind: 'gap', reason: 'reset' };
    } else {
      if (info.entriesAdded < position.added || compareStreamIds(position.id, info.lastGeneratedId) > 0) return { kind: 'gap', reason: 'reset' };
      if (info.length < info.entriesAdded - position.added) return { kind: 'gap', reason: 'trimmed' };
    }
    const reply = (await this.redis.xread(
      'COUNT',
      String(options.maxChanges),
      'BLOCK',
      String(Math.max(1, options.maxWaitMs)),
      'STREAMS',
      this.key,
      position.id,
    )) as [string, [string, string[]][]][] | null;
    const entries = reply?.find(([key]) => key === this.key)?.[1] ?? [];
    const changes: LineItemChange[] = [];
    let malformed = 0;
    for (const [, fields] of entries) {
      const change = changeOfFields(fields);
      if (change) changes.push(change);
      else malformed += 1;
    }
    const last = entries.at(-1);
    const next = last ? { id: last[0], added: position.added + entries.length } : position;
    return { kind: 'changes', changes, position: next, malformed };
  }

  close(): void {
    this.redis.disconnect();
  }

  private async info(): Promise<StreamInfo | undefined> {
    let reply: unknown;
    try {
      reply = await this.redis.xinfo('STREAM', this.key);
    } catch (error) {
      if (/no such key/i.test((error as Error).message)) return undefined;
      throw error;
    }
    const fields = reply as unknown[];
    const value = new Map<string, unknown>();
    for (let index = 0; index + 1 < fields.length; index += 2) value.set(String(fields[index]), fields[index + 1]);
    const entriesAdded = value.get('entries-added');
    if (entriesAdded === undefined) throw new Error('XINFO STREAM has no entries-added: the line-item feed needs Redis 7.0 or later');
    return { length: Number(value.get('length')), lastGeneratedId: String(value.get('last-generated-id')), entriesAdded: Number(entriesAdded) };
  }
}
