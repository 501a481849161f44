/**
 * With asynchronous replication a failover can lose the last writes. A commit is billable only once
 * a replica acknowledged it (replicasToAck), so the spend a promoted replica knows is never less than
 * what was billed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { type LocalRedis, startRedis } from '../../../local/redis/launch.js';
import { connectBudgetRedis, createBudgetRedis } from '../../../shared/adapters/redis/client.js';
import { RedisBudgetAllocator } from '../../../shared/adapters/redis/redis-allocator.js';
import { DAY_END, NOON } from './support.js';

const CD = 'camp-rep/2026-11-22';
let primary: LocalRedis;
let replica: LocalRedis | undefined;
let redis: Redis;
let replicaClient: Redis;

beforeAll(async () => {
  primary = await startRedis({ port: 0 });
  replica = await startRedis({ port: 0, extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)] });
  redis = createBudgetRedis(primary.url, { commandTimeoutMs: 2_000 });
  replicaClient = createBudgetRedis(replica.url, { commandTimeoutMs: 2_000 });
  await connectBudgetRedis(redis);
  await connectBudgetRedis(replicaClient);
  const deadline = Date.now() + 10_000;
  while (!(await replicaClient.info('replication')).includes('master_link_status:up')) {
    if (Date.now() > deadline) throw new Error('replica did not sync');
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  redis?.disconnect();
  replicaClient?.disconnect();
  await replica?.stop();
  await primary?.stop();
});

describe('commits acknowledged by a replica', () => {
  it('are billable only once a replica has them; without one they are refused as not_replicated', async () => {
    const allocator = new RedisBudgetAllocator(redis, { replicasToAck: 1, replicaAckTimeoutMs: 500 });
    await allocator.initCampaignDay({ campaignDay: CD, dailyBudget: 1_000, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: DAY_END, now: NOON });
    const g = await allocator.grantLease({ campaignDay: CD, bidderId: 'b', want: 500, ttlMs: 10_000, graceMs: 5_000, releasedNow: 1_000, now: NOON });
    if (g.status !== 'granted') throw new Error('no grant');
    const ok = await allocator.commitSpend({ campaignDay: CD, leaseId: g.lease.leaseId, bidId: 'a', amount: 100, now: NOON + 1 });
    expect(ok).toEqual({ status: 'committed', amount: 100 });
    // The replica (a failover target) already has it.
    expect(await replicaClient.hget(`budget:{${CD}}`, 'committed')).toBe('100');

    await replica!.stop();
    replica = undefined;
    const lone = new RedisBudgetAllocator(redis, { replicasToAck: 1, replicaAckTimeoutMs: 50 });
    const refused = await lone.commitSpend({ campaignDay: CD, leaseId: g.lease.leaseId, bidId: 'b', amount: 100, now: NOON + 2 });
    expect(refused).toEqual({ status: 'refused', reason: 'not_replicated' });
    // Applied on the primary but not billed: counted against the budget, so never overspent.
    expect((await lone.state(CD))!.committed).toBe(200);
  });
});
