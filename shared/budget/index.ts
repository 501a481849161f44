export * from './units.js';
export * from './pacing.js';
export * from './campaign-day.js';
export type * from './ports.js';
export { LocalLease, type LocalLeaseOptions, type HeldLease, type Reservation, type LocalSpend, type LocalCommit, type ReturnOrder, type SettleResult } from './local-lease.js';
export { LeaseManager, type LeaseManagerOptions, type CampaignLeasePlan, type LeaseEvent, type CommitReport } from './lease-manager.js';
export { MemoryBudgetAllocator, BudgetInvariantError } from './memory-allocator.js';
export { InMemoryBudgetSource } from './memory-source.js';
export { budgetSourceFromLedger, type CampaignBudgetLookup } from './ledger-source.js';
