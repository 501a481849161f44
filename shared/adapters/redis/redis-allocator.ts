/**
 * BudgetAllocator on Redis: one atomic Lua script per operation (scripts/*.lua, each prefixed with
 * scripts/lib.lua; amendBudget is init.lua's amend mode), registered with ioredis `defineCommand`
 * (EVALSHA, falling back to EVAL on NOSCRIPT, e.g. after a Redis restart). Semantics are those of
 * MemoryBudgetAllocator, with one addition: time is the Redis server's (a request's `now` counts only
 * when earlier), so a task whose clock runs fast cannot reclaim other tasks' live leases; see
 * docs/budget-leases.md.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  AllocatorState,
  AmendOutcome,
  AmendRequest,
  BudgetAllocator,
  CommitOutcome,
  CommitRefusal,
  CommitRequest,
  ExpireOutcome,
  GrantOutcome,
  GrantRequest,
  InitOutcome,
  InitRequest,
  ResolveOutcome,
  ResolveRequest,
  ReturnOutcome,
  ReturnRequest,
} from '../../budget/ports.js';
import { assertNanos } from '../../budget/units.js';
import { budgetKeys } from './keys.js';
import { LUA_SOURCES } from './scripts/sources.js';

const SCRIPTS = ['grant', 'commit', 'return', 'expire', 'init', 'state'] as const;
type ScriptName = (typeof SCRIPTS)[number];

const COMMAND: Record<ScriptName, string> = {
  grant: 'budgetGrantLease',
  commit: 'budgetCommitSpend',
  return: 'budgetReturnLease',
  expire: 'budgetExpireLeases',
  init: 'budgetInitCampaignDay',
  state: 'budgetState',
};

/**
 * The Lua source of each script, prelude included. The sources are embedded (scripts/sources.ts,
 * generated from scripts/*.lua) so a bundled bidder needs no files besides its bundle.
 */
export function budgetScriptSource(name: ScriptName): string {
  return `${LUA_SOURCES.lib}\n${LUA_SOURCES[name]}`;
}

/** Days a campaign-day's keys outlive its end (late commits are refused anyway; this is cleanup). */
const KEY_RETENTION_MS = 2 * 86_400_000;

export interface RedisBudgetAllocatorOptions {
  keyPrefix?: string;
  /** Most leases one call reclaims (default 100). */
  reclaimLimit?: number;
  /** Epoch generator for initialisation (default 8 random hex characters). */
  newEpoch?: () => string;
  /**
   * Replicas that must acknowledge a commit (Redis WAIT) before it counts as billable (default 0).
   * With asynchronous replication a failover can lose the last writes; a billed commit the new
   * primary never saw would later be reclaimed and granted again. Set this to 1 on a replication
   * group with a replica: an unacknowledged commit is answered `refused: not_replicated`.
   */
  replicasToAck?: number;
  /** How long WAIT may block (default 50 ms). */
  replicaAckTimeoutMs?: number;
}

type Reply = Array<string | number>;

export class RedisBudgetAllocator implements BudgetAllocator {
  private readonly prefix: string;
  private readonly reclaimLimit: number;
  private readonly newEpoch: () => string;
  private readonly replicasToAck: number;
  private readonly replicaAckTimeoutMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisBudgetAllocatorOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'budget';
    this.reclaimLimit = options.reclaimLimit ?? 100;
    this.newEpoch = options.newEpoch ?? (() => randomBytes(4).toString('hex'));
    this.replicasToAck = options.replicasToAck ?? 0;
    this.replicaAckTimeoutMs = options.replicaAckTimeoutMs ?? 50;
    const defined = redis as unknown as Record<string, unknown>;
    for (const name of SCRIPTS) {
      if (typeof defined[COMMAND[name]] !== 'function') {
        redis.defineCommand(COMMAND[name], { numberOfKeys: 4, lua: budgetScriptSource(name) });
      }
    }
  }

  private async run(name: ScriptName, campaignDay: string, args: Array<string | number>): Promise<Reply> {
    const k = budgetKeys(campaignDay, this.prefix);
    const fn = (this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[COMMAND[name]];
    if (!fn) throw new Error(`script ${name} not defined`);
    const reply = await fn.call(this.redis, k.state, k.leases, k.reclaim, k.bids, ...args.map(String));
    if (!Array.isArray(reply) || reply.length === 0) throw new Error(`unexpected reply from ${name}: ${String(reply)}`);
    return reply as Reply;
  }

  async grantLease(req: GrantRequest): Promise<GrantOutcome> {
    if (req.bidderId.includes('|')) throw new RangeError('bidderId may not contain |');
    const r = await this.run('grant', req.campaignDay, [
      req.bidderId,
      assertNanos(req.want, 'want'),
      assertNanos(req.minAmount ?? 1, 'minAmount'),
      int(req.ttlMs),
      int(req.graceMs),
      assertNanos(req.releasedNow, 'releasedNow'),
      int(req.now),
      this.reclaimLimit,
    ]);
    switch (r[0]) {
      case 'uninitialised':
        return { status: 'uninitialised' };
      case 'granted':
        return {
          status: 'granted',
          lease: {
            campaignDay: req.campaignDay,
            leaseId: String(r[1]),
            amount: num(r[2]),
            expiresAt: num(r[3]),
            reclaimAt: num(r[4]),
          },
          state: parseState(r, 5),
        };
      case 'exhausted':
      case 'day_closed':
        return { status: r[0], state: parseState(r, 1) };
      default:
        throw new Error(`unexpected grant reply ${JSON.stringify(r)}`);
    }
  }

  async commitSpend(req: CommitRequest): Promise<CommitOutcome> {
    if (!req.bidId) throw new RangeError('bidId is required');
    const r = await this.run('commit', req.campaignDay, [req.leaseId, req.bidId, assertNanos(req.amount, 'amount'), int(req.now), this.reclaimLimit]);
    if (r[0] === 'committed' || r[0] === 'duplicate') {
      // Same connection, right after the write (a duplicate too: the first commit may not have
      // reached the replicas yet).
      if (this.replicasToAck > 0) {
        const acked = await this.redis.wait(this.replicasToAck, this.replicaAckTimeoutMs);
        if (acked < this.replicasToAck) return { status: 'refused', reason: 'not_replicated' };
      }
      return { status: r[0], amount: num(r[1]) };
    }
    if (r[0] === 'refused') return { status: 'refused', reason: String(r[1]) as CommitRefusal };
    throw new Error(`unexpected commit reply ${JSON.stringify(r)}`);
  }

  async returnLease(req: ReturnRequest): Promise<ReturnOutcome> {
    const r = await this.run('return', req.campaignDay, [req.leaseId, assertNanos(req.keep, 'keep'), int(req.now)]);
    if (r[0] === 'returned') return { status: 'returned', returned: num(r[1]), amount: num(r[2]) };
    return { status: 'unknown' };
  }

  async expireLeases(campaignDay: string, now: number): Promise<ExpireOutcome> {
    const r = await this.run('expire', campaignDay, [int(now), this.reclaimLimit]);
    return { leases: num(r[1]), reclaimed: num(r[2]) };
  }

  /** expire.lua in resolve mode (one round trip for all the bid ids of a campaign-day). */
  async resolveBids(req: ResolveRequest): Promise<ResolveOutcome> {
    if (req.bidIds.length === 0) return { status: 'resolved', committed: new Map() };
    const r = await this.run('expire', req.campaignDay, [int(req.now), this.reclaimLimit, ...req.bidIds]);
    if (r[0] === 'uninitialised') return { status: 'uninitialised' };
    if (r[0] !== 'resolved' || r.length !== req.bidIds.length + 1) throw new Error(`unexpected resolve reply ${JSON.stringify(r)}`);
    const committed = new Map<string, number>();
    req.bidIds.forEach((bidId, i) => {
      const v = r[i + 1];
      if (v !== 'void') committed.set(bidId, num(v));
    });
    return { status: 'resolved', committed };
  }

  async initCampaignDay(req: InitRequest): Promise<InitOutcome> {
    const r = await this.run('init', req.campaignDay, [
      assertNanos(req.dailyBudget, 'dailyBudget'),
      assertNanos(req.committed, 'committed'),
      assertNanos(req.outstanding, 'outstanding'),
      int(req.holdUntil),
      int(req.dayEnd),
      // Wall clock, not req.now: an expiry in the past would delete the keys at once.
      int(Math.max(req.dayEnd, Date.now()) + KEY_RETENTION_MS),
      this.newEpoch(),
      int(req.budgetVersion ?? 0),
    ]);
    if (r[0] === 'initialised' || r[0] === 'exists') return { status: r[0], state: parseState(r, 1) };
    throw new Error(`unexpected init reply ${JSON.stringify(r)}`);
  }

  /** init.lua in amend mode (the embedded script list is fixed; amending sets the same `budget` field). */
  async amendBudget(req: AmendRequest): Promise<AmendOutcome> {
    const r = await this.run('init', req.campaignDay, [
      'amend',
      assertNanos(req.dailyBudget, 'dailyBudget'),
      int(req.budgetVersion ?? 0),
      int(req.now),
      this.reclaimLimit,
    ]);
    switch (r[0]) {
      case 'uninitialised':
        return { status: 'uninitialised' };
      case 'amended':
        return { status: 'amended', previousBudget: num(r[1]), withdrawn: num(r[2]), state: parseState(r, 3) };
      case 'unchanged':
      case 'stale':
        return { status: r[0], state: parseState(r, 1) };
      default:
        throw new Error(`unexpected amend reply ${JSON.stringify(r)}`);
    }
  }

  async state(campaignDay: string): Promise<AllocatorState | undefined> {
    const r = await this.run('state', campaignDay, []);
    return r[0] === 'state' ? parseState(r, 1) : undefined;
  }
}

function int(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`expected a non-negative integer, got ${n}`);
  return n;
}

function num(v: string | number | undefined): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer in a budget reply, got ${String(v)}`);
  return n;
}

function parseState(r: Reply, at: number): AllocatorState {
  return {
    dailyBudget: num(r[at]),
    released: num(r[at + 1]),
    granted: num(r[at + 2]),
    committed: num(r[at + 3]),
    epoch: String(r[at + 4]),
    refusedCommits: num(r[at + 5]),
    refusedAmount: num(r[at + 6]),
    openLeases: num(r[at + 7]),
    budgetVersion: num(r[at + 8]),
  };
}
