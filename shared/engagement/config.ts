/**
 * The one engagement scoring configuration: component weights, tier bounds and the few constants of
 * each component's formula (docs/engagement.md explains every one). Validated with zod: weights must
 * sum to 1 and tier bounds must be ordered, so a score is always a weighted average within 0..100 and
 * every score falls in exactly one tier.
 */
import { z } from 'zod';

export const ENGAGEMENT_COMPONENTS = ['recency', 'frequency', 'monetary', 'behavioral', 'accountHealth'] as const;
export type EngagementComponent = (typeof ENGAGEMENT_COMPONENTS)[number];

/** Highest first: `hot` at or above its bound, `at_risk` below the `cold` bound. */
export const ENGAGEMENT_TIERS = ['hot', 'warm', 'cold', 'at_risk'] as const;
export type EngagementTier = (typeof ENGAGEMENT_TIERS)[number];

/** How far the weights' sum may stray from 1 (decimal weights such as 0.1 are not exact in binary). */
const WEIGHT_SUM_TOLERANCE = 1e-9;

const points = z.number().finite().min(0, 'must be at least 0').max(100, 'must be at most 100');
const positive = z.number().finite().positive('must be greater than 0');
const weight = z.number().finite().min(0, 'must be at least 0').max(1, 'must be at most 1');

const Weights = z
  .strictObject({ recency: weight, frequency: weight, monetary: weight, behavioral: weight, accountHealth: weight })
  .refine((weights) => Math.abs(Object.values(weights).reduce((sum, w) => sum + w, 0) - 1) <= WEIGHT_SUM_TOLERANCE, {
    message: 'weights must sum to 1',
  });

const TierBounds = z
  .strictObject({
    /** Lowest score of a hot deal. */
    hot: points,
    /** Lowest score of a warm deal. */
    warm: points,
    /** Lowest score of a cold deal; below it a deal is at risk. */
    cold: points,
  })
  .refine((tiers) => tiers.cold > 0 && tiers.cold < tiers.warm && tiers.warm < tiers.hot, {
    message: 'tier bounds must be ordered 0 < cold < warm < hot <= 100',
  });

export const EngagementConfigSchema = z.strictObject({
  weights: Weights,
  tiers: TierBounds,
  recency: z.strictObject({
    /** A gap of this many days between two activities halves the recency component. */
    halfLifeDays: positive,
  }),
  frequency: z.strictObject({
    /** The change counter halves over this many days without changes. */
    halfLifeDays: positive,
    /** A counter at or above this many (decayed) changes scores 100. */
    saturationChanges: positive,
  }),
  monetary: z.strictObject({
    /** A deal worth this much (major units, e.g. dollars) or more scores 100; on a log scale below. */
    referenceValue: positive,
    /** The same per ISO-4217 currency where one unit is worth much more or less (there is no FX rate). */
    referenceValueByCurrency: z.record(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code'), positive),
  }),
  behavioral: z.strictObject({
    /** Where every deal starts. */
    baseline: points,
    /** An approval within this many hours of the latest submission counts as fast. */
    fastApprovalHours: positive,
    /** Points a fast approval adds. */
    fastApprovalBonus: points,
    /** Points each amendment of the deal after its first submission takes away. */
    amendmentPenalty: points,
    /** Points each rejection takes away. */
    rejectionPenalty: points,
  }),
  accountHealth: z.strictObject({
    /** How much an open deal (draft, pending approval, paused) counts, between a failed (0) and a healthy one (1). */
    openDealShare: weight,
    /** The component when the account has no deals counted yet. */
    withoutDeals: points,
  }),
});

export type EngagementConfig = z.infer<typeof EngagementConfigSchema>;

export class EngagementConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngagementConfigError';
  }
}

/** A checked configuration, or EngagementConfigError naming every problem with its path. */
export function parseEngagementConfig(input: unknown): EngagementConfig {
  const result = EngagementConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new EngagementConfigError(`invalid engagement configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * The product's default (docs/engagement.md, "Configuration"): recent activity matters most; value,
 * cadence and approval behaviour about equally; the account's track record least, as it is shared by
 * all the account's deals.
 */
export const DEFAULT_ENGAGEMENT_CONFIG: EngagementConfig = parseEngagementConfig({
  weights: { recency: 0.25, frequency: 0.2, monetary: 0.2, behavioral: 0.2, accountHealth: 0.15 },
  tiers: { hot: 75, warm: 50, cold: 25 },
  recency: { halfLifeDays: 7 },
  frequency: { halfLifeDays: 15, saturationChanges: 10 },
  monetary: { referenceValue: 1_000_000, referenceValueByCurrency: { JPY: 150_000_000, KRW: 1_400_000_000 } },
  behavioral: { baseline: 50, fastApprovalHours: 24, fastApprovalBonus: 25, amendmentPenalty: 5, rejectionPenalty: 15 },
  accountHealth: { openDealShare: 0.5, withoutDeals: 50 },
});
