/**
 * A LeaseManager on a fake clock with short, fixed timings, for the example-based budget tests: one
 * campaign `c1`, bidder `b1`, lease TTL 5 s, reservation TTL 2 s, 100 ms clock skew, one commit attempt.
 */
import { LeaseManager, type CampaignLeasePlan, type LeaseEvent, type LeaseManagerOptions } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import type { BudgetSource } from '../../../shared/budget/ports.js';

export function testLeaseManager(args: {
  source: BudgetSource;
  clock: { now: number };
  plan: Omit<CampaignLeasePlan, 'campaignId'>;
  allocator?: MemoryBudgetAllocator;
  /** Where lease events go (default: a new array, returned). */
  events?: LeaseEvent[];
  over?: Partial<LeaseManagerOptions>;
}) {
  const allocator = args.allocator ?? new MemoryBudgetAllocator();
  const events = args.events ?? [];
  const m = new LeaseManager({
    allocator,
    source: args.source,
    bidderId: 'b1',
    campaigns: () => [{ campaignId: 'c1', ...args.plan }],
    clock: () => args.clock.now,
    leaseTtlMs: 5_000,
    reservationTtlMs: 2_000,
    clockSkewMs: 100,
    commitAttempts: 1,
    onEvent: (e) => events.push(e),
    ...args.over,
  });
  return { m, allocator, events };
}
