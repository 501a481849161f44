import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENGAGEMENT_CONFIG,
  EngagementConfigError,
  type EngagementConfig,
  parseEngagementConfig,
} from '../../../shared/engagement/config.js';

/** The default with `patch` merged one level deep (a section replaced field by field). */
function withDefault(patch: Record<string, Record<string, unknown>>): unknown {
  const config = structuredClone(DEFAULT_ENGAGEMENT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, fields] of Object.entries(patch)) config[section] = { ...config[section], ...fields };
  return config;
}

/** The message of the error parsing `input` throws (fails the test when it parses). */
function problemOf(input: unknown): string {
  try {
    parseEngagementConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(EngagementConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('engagement configuration', () => {
  it('has a valid default: weights summing to 1, tiers at 75 / 50 / 25', () => {
    // Act
    const parsed = parseEngagementConfig(DEFAULT_ENGAGEMENT_CONFIG);
    // Assess
    expect(parsed).toEqual(DEFAULT_ENGAGEMENT_CONFIG);
    expect(Object.values(parsed.weights).reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1, 12);
    expect(parsed.tiers).toEqual({ hot: 75, warm: 50, cold: 25 });
  });

  it('accepts weights whose decimal sum is 1 but not exactly in binary', () => {
    // Prepare: 0.1 + 0.2 + 0.3 + 0.3 + 0.1 is 1.0000000000000002 in floating point
    const input = withDefault({ weights: { recency: 0.1, frequency: 0.2, monetary: 0.3, behavioral: 0.3, accountHealth: 0.1 } });
    // Act
    const parsed = parseEngagementConfig(input);
    // Assess
    expect(parsed.weights.monetary).toBe(0.3);
  });

  it('refuses weights that do not sum to 1', () => {
    // Prepare
    const input = withDefault({ weights: { recency: 0.5 } });
    // Act
    const problem = problemOf(input);
    // Assess
    expect(problem).toMatch(/weights: weights must sum to 1/);
  });

  it('refuses a negative weight, naming it', () => {
    expect(problemOf(withDefault({ weights: { recency: -0.25, frequency: 0.7 } }))).toMatch(/weights\.recency: must be at least 0/);
  });

  it.each([
    [{ hot: 50, warm: 75, cold: 25 }],
    [{ hot: 75, warm: 50, cold: 50 }],
    [{ hot: 75, warm: 50, cold: 0 }],
    [{ hot: 101, warm: 50, cold: 25 }],
  ])('refuses tier bounds out of order or range: %j', (tiers) => {
    expect(problemOf(withDefault({ tiers }))).toMatch(/tiers/);
  });

  it('refuses unknown fields and missing sections', () => {
    // Prepare
    const { recency: _dropped, ...withoutRecency } = DEFAULT_ENGAGEMENT_CONFIG;
    // Act
    const unknown = problemOf({ ...DEFAULT_ENGAGEMENT_CONFIG, extra: 1 });
    const missing = problemOf(withoutRecency as Partial<EngagementConfig>);
    // Assess
    expect(unknown).toMatch(/extra/);
    expect(missing).toMatch(/recency/);
  });

  it('refuses a reference value that is not positive, and a currency that is not an ISO-4217 code', () => {
    expect(problemOf(withDefault({ monetary: { referenceValue: 0 } }))).toMatch(/monetary\.referenceValue: must be greater than 0/);
    expect(problemOf(withDefault({ monetary: { referenceValueByCurrency: { yen: 1 } } }))).toMatch(/monetary\.referenceValueByCurrency/);
  });
});
