/**
 * Redis keys of one campaign-day's allocator. The `{campaignId/day}` hash tag puts all four keys in
 * one cluster slot, so each Lua script touches a single slot (ElastiCache cluster mode safe).
 */
export interface BudgetKeys {
  state: string;
  leases: string;
  reclaim: string;
  bids: string;
}

export function budgetKeys(campaignDay: string, prefix = 'budget'): BudgetKeys {
  if (!campaignDay || /[{}\s]/.test(campaignDay)) throw new RangeError(`invalid campaign-day id ${campaignDay}`);
  const base = `${prefix}:{${campaignDay}}`;
  return { state: base, leases: `${base}:leases`, reclaim: `${base}:reclaim`, bids: `${base}:bids` };
}
