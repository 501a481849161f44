/**
 * The line-item feed on a real redis-server: what a publisher appends every reader reads from its own
 * position, and a reader is told when changes after its position may be gone (trimmed, or the stream
 * lost with its node) instead of silently skipping them.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectBudgetRedis } from '../../../shared/adapters/redis/client.js';
import { createLineItemFeedRedis, RedisLineItemChanges } from '../../../shared/adapters/redis/line-item-changes.js';
import { FEED_START, type FeedRead, type LineItemChange } from '../../../shared/ports/line-item-changes.js';
import { useRedis } from './support.js';

const ctx = useRedis();
const KEY = 'test:line-items:changes';
const readers: Redis[] = [];

const change = (version: number, overrides: Partial<LineItemChange> = {}): LineItemChange => ({
  dealId: 'd-1',
  entity: 'campaign',
  entityId: 'c-1',
  version,
  type: 'campaign.amended',
  eventId: `evt-${version}`,
  at: '2026-03-10T12:00:00.000Z',
  ...overrides,
});

async function aReader(maxWaitMs = 5_000): Promise<RedisLineItemChanges> {
  const redis = createLineItemFeedRedis(ctx.server.url, { maxWaitMs });
  redis.on('error', () => {});
  readers.push(redis);
  await connectBudgetRedis(redis);
  return new RedisLineItemChanges({ redis, key: KEY });
}
const aPublisher = async (options: { maxLength?: number; replicasToAck?: number } = {}) =>
  new RedisLineItemChanges({ redis: await ctx.client(), key: KEY, replicaAckTimeoutMs: 100, ...options });
const changesOf = (read: FeedRead) => (read.kind === 'changes' ? read.changes : read);

beforeEach(() => ctx.flush());
afterEach(() => {
  for (const redis of readers.splice(0)) redis.disconnect();
});

describe('RedisLineItemChanges', () => {
  it('gives every reader each change after its position, in order, and nothing it has read', async () => {
    // Prepare
    const publisher = await aPublisher();
    await publisher.publish(change(1));
    const [first, second] = [await aReader(), await aReader()];
    const start = await first.latest();
    await publisher.publish(change(2));
    await publisher.publish(change(3, { entity: 'deal', entityId: 'd-1', type: 'deal.paused' }));
    // Act
    const reads = [await first.readAfter(start, { maxWaitMs: 100, maxChanges: 10 }), await second.readAfter(start, { maxWaitMs: 100, maxChanges: 10 })];
    const next = reads[0]!.kind === 'changes' ? await first.readAfter(reads[0]!.position, { maxWaitMs: 100, maxChanges: 10 }) : undefined;
    // Assess
    for (const read of reads) expect(changesOf(read)).toEqual([change(2), change(3, { entity: 'deal', entityId: 'd-1', type: 'deal.paused' })]);
    expect(next).toMatchObject({ kind: 'changes', changes: [], malformed: 0 });
    expect(next?.kind === 'changes' && next.position).toEqual(reads[0]!.kind === 'changes' && reads[0]!.position);
  });

  it('reads from the start of a stream that did not exist yet when the position was taken', async () => {
    // Prepare
    const reader = await aReader();
    const start = await reader.latest();
    const publisher = await aPublisher();
    // Act
    const reading = reader.readAfter(start, { maxWaitMs: 5_000, maxChanges: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await publisher.publish(change(1));
    const read = await reading;
    // Assess
    expect(start).toEqual(FEED_START);
    expect(changesOf(read)).toEqual([change(1)]);
  });

  it('reports a gap when changes after the position were trimmed away, not before', async () => {
    // Prepare
    const publisher = await aPublisher({ maxLength: 10 });
    const reader = await aReader();
    await publisher.publish(change(0));
    const start = await reader.latest();
    for (let version = 1; version <= 5; version++) await publisher.publish(change(version));
    const beforeTrim = await reader.readAfter(start, { maxWaitMs: 100, maxChanges: 2 });
    for (let version = 6; version <= 400; version++) await publisher.publish(change(version));
    // Act
    const behind = await reader.readAfter(start, { maxWaitMs: 100, maxChanges: 10 });
    const caughtUp = await reader.readAfter(await reader.latest(), { maxWaitMs: 100, maxChanges: 10 });
    // Assess
    expect(changesOf(beforeTrim)).toEqual([change(1), change(2)]);
    expect(behind).toEqual({ kind: 'gap', reason: 'trimmed' });
    expect(caughtUp).toMatchObject({ kind: 'changes', changes: [] });
    expect(await ctx.redis.xlen(KEY)).toBeLessThan(400);
  });

  it('reports a gap when the stream was lost with its node, before and after it is written again', async () => {
    // Prepare
    const publisher = await aPublisher();
    await publisher.publish(change(1));
    await publisher.publish(change(2));
    const reader = await aReader();
    const position = await reader.latest();
    await ctx.redis.del(KEY); // what a node replaced without its data looks like to the reader
    // Act
    const whileGone = await reader.readAfter(position, { maxWaitMs: 100, maxChanges: 10 });
    await publisher.publish(change(3));
    const afterRewrite = await reader.readAfter(position, { maxWaitMs: 100, maxChanges: 10 });
    // Assess
    expect(whileGone).toEqual({ kind: 'gap', reason: 'reset' });
    expect(afterRewrite).toEqual({ kind: 'gap', reason: 'reset' });
  });

  it('passes over an entry that is not a change, counting it', async () => {
    // Prepare
    const reader = await aReader();
    const start = await reader.latest();
    await ctx.redis.xadd(KEY, '*', 'dealId', 'd-1', 'type', 'campaign.exploded');
    await (await aPublisher()).publish(change(1));
    // Act
    const read = await reader.readAfter(start, { maxWaitMs: 100, maxChanges: 10 });
    // Assess
    expect(read).toMatchObject({ kind: 'changes', changes: [change(1)], malformed: 1, position: { added: 2 } });
  });

  it('waits for the replicas it was told to, failing the publish when they do not answer (the entry is there all the same)', async () => {
    // Prepare: a standalone redis-server has no replica
    const publisher = await aPublisher({ replicasToAck: 1 });
    // Act
    const outcome = await publisher.publish(change(1)).then(() => 'published', (error: Error) => error.message);
    // Assess
    expect(outcome).toMatch(/reached 0 of 1 replica/);
    expect(await ctx.redis.xlen(KEY)).toBe(1);
  });

  it('close ends a read that is waiting', async () => {
    // Prepare
    const reader = await aReader(60_000);
    const reading = reader.readAfter(await reader.latest(), { maxWaitMs: 60_000, maxChanges: 10 }).then(() => 'returned', () => 'rejected');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Act
    reader.close();
    // Assess
    expect(await Promise.race([reading, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000))])).toBe('rejected');
  });
});
