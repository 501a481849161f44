/** Cognito groups; each gates a set of actions. */
export const GROUPS = ['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin'] as const;
export type Group = (typeof GROUPS)[number];

/** Who is acting, taken from the verified JWT. */
export interface Actor {
  userId: string;
  groups: Group[];
  /** Accounts the caller may see and change. Admins see every account regardless. */
  accountIds: string[];
}

/** Where a change came from; every audit entry records it. */
export interface ChangeContext {
  actor: Actor;
  correlationId: string;
  sourceIp: string;
  userAgent: string;
  /** ISO-8601 timestamp of the change. */
  at: string;
}
