/**
 * A Redis loss while the spend consumer lags: the rebuild must not trust a ledger that has not yet
 * recorded every commit the lost state accepted (docs/budget-leases.md, "Restart").
 */
import { describe, expect, it } from 'vitest';
import { campaignDayId, type CampaignDay } from '../../../shared/budget/campaign-day.js';
import { budgetSourceFromLedger } from '../../../shared/budget/ledger-source.js';
import { LeaseManager, type LeaseEvent } from '../../../shared/budget/lease-manager.js';
import { MemoryBudgetAllocator } from '../../../shared/budget/memory-allocator.js';
import type { BudgetSource } from '../../../shared/budget/ports.js';
import type { CampaignDaySpend, RecordSpendResult, SpendEntry, SpendLedger } from '../../../shared/ports/spend-ledger.js';

const NOON = Date.UTC(2026, 10, 22, 12);
const DAY = '2026-11-22';
const CD = campaignDayId({ campaignId: 'c1', day: DAY });
const BUDGET = 10_000;

/** A spend ledger whose consumer lags: it has recorded only the entries up to `covered` (its watermark). */
class LaggingLedger implements SpendLedger {
  readonly entries: { entry: SpendEntry; at: number }[] = [];
  covered = 0;
  constructor(private readonly clock: { now: number }) {}
  async recordSpend(entries: readonly SpendEntry[]): Promise<RecordSpendResult> {
    for (const entry of entries) this.entries.push({ entry, at: this.clock.now });
    return { recorded: entries.length, duplicates: 0 };
  }
  async getSpend(campaignId: string, day: string): Promise<CampaignDaySpend> {
    const visible = this.entries.filter((e) => e.at <= this.covered && e.entry.campaignId === campaignId && e.entry.day === day);
    return { campaignId, day, amountNanos: visible.reduce((s, e) => s + e.entry.amountNanos, 0), events: visible.length };
  }
  async coveredUntil(): Promise<number | undefined> {
    return this.covered;
  }
}

const lookup = () => ({ dailyBudget: BUDGET, pacing: 'asap' as const });

/** What production had before the watermark: committed spend straight from the ledger. */
function naiveSource(ledger: SpendLedger): BudgetSource {
  return {
    async load(cd: CampaignDay) {
      return { ...lookup(), committed: (await ledger.getSpend(cd.campaignId, cd.day)).amountNanos };
    },
  };
}

async function scenario(sourceOf: (ledger: LaggingLedger) => BudgetSource) {
  const clock = { now: NOON };
  const allocator = new MemoryBudgetAllocator();
  const ledger = new LaggingLedger(clock);
  const events: LeaseEvent[] = [];
  const m = new LeaseManager({
    allocator,
    source: sourceOf(ledger),
    bidderId: 'b1',
    campaigns: () => [{ campaignId: 'c1', leaseAmount: 2_000, lowWaterMark: 500 }],
    clock: () => clock.now,
    leaseTtlMs: 5_000,
    reservationTtlMs: 2_000,
    clockSkewMs: 100,
    commitAttempts: 1,
    onEvent: (e) => events.push(e),
  });
  await allocator.initCampaignDay({ campaignDay: CD, dailyBudget: BUDGET, committed: 0, outstanding: 0, holdUntil: 0, dayEnd: Date.UTC(2026, 10, 23), now: 0 });
  let billable = 0;
  let n = 0;
  /** Serves excess demand for `ms`: every billable commit goes to the (lagging) ledger. */
  const serve = async (ms: number) => {
    const end = clock.now + ms;
    for (; clock.now < end; clock.now += 250) {
      await m.refresh();
      while (m.tryReserve('c1', 100, `bid${n}`)) {
        const bidId = `bid${n++}`;
        const report = await m.commit(bidId);
        if (report.billable) {
          billable += 100;
          await ledger.recordSpend([{ campaignId: 'c1', day: DAY, amountNanos: 100, eventId: `bill:${bidId}` }]);
        }
      }
    }
  };
  // The consumer keeps up, then Redis loses its state while the consumer lags 30 s.
  ledger.covered = Number.MAX_SAFE_INTEGER;
  await serve(20_000);
  const before = billable;
  ledger.covered = clock.now - 30_000;
  allocator.lose();
  // The consumer stays 30 s behind for two minutes, then catches up.
  for (let t = 0; t < 120_000; t += 1_000) {
    await serve(1_000);
    ledger.covered = Math.max(ledger.covered, clock.now - 30_000);
  }
  ledger.covered = Number.MAX_SAFE_INTEGER;
  await serve(30_000);
  return { before, billable, state: await allocator.state(CD), events };
}

describe('rebuild after a Redis loss while the spend consumer lags', () => {
  it('without waiting for the consumer, the rebuilt allocator over-grants by the lag', async () => {
    const r = await scenario(naiveSource);
    expect(r.before).toBe(BUDGET); // the whole budget was spent before the loss
    expect(r.billable).toBeGreaterThan(BUDGET);
  });

  it('waiting for the watermark: no grant until the ledger covers the loss, and spend never exceeds the budget', async () => {
    const r = await scenario((ledger) => budgetSourceFromLedger(ledger, lookup, { marginMs: 1_000 }));
    expect(r.before).toBe(BUDGET);
    expect(r.billable).toBe(BUDGET);
    expect(r.events.some((e) => e.type === 'ledger_behind')).toBe(true);
    expect(r.state?.committed ?? 0).toBeLessThanOrEqual(BUDGET);
  });

  it('rebuilds from the ledger once the watermark passes the loss, so the campaign spends the rest of its budget', async () => {
    const clock = { now: NOON };
    const ledger = new LaggingLedger(clock);
    const source = budgetSourceFromLedger(ledger, lookup, { marginMs: 1_000 });
    await ledger.recordSpend([{ campaignId: 'c1', day: DAY, amountNanos: 4_000, eventId: 'bill:x' }]);
    ledger.covered = NOON + 500;
    await expect(source.load({ campaignId: 'c1', day: DAY }, { stateLostBy: NOON })).rejects.toThrow(/covers until/);
    ledger.covered = NOON + 1_000;
    await expect(source.load({ campaignId: 'c1', day: DAY }, { stateLostBy: NOON })).resolves.toMatchObject({ committed: 4_000 });
    // Budget lookups that are not rebuilds do not wait.
    ledger.covered = 0;
    await expect(source.load({ campaignId: 'c1', day: DAY })).resolves.toMatchObject({ dailyBudget: BUDGET });
  });
});
