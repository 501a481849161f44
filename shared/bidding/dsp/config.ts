/**
 * External DSP configuration: which demand partners the bidder fans out to, and how hard.
 *
 * Locally the list comes from a JSON file or an env var (see bidder/dsp/config.ts); in AWS the task
 * definition injects the same JSON (from SSM Parameter Store / AppConfig) into the same env var, so
 * one schema validates both. Pure: no I/O here.
 *
 * Example (a JSON array, or `{ "dsps": [...] }`):
 *   [{ "id": "dsp-a", "endpoint": "https://bid.dsp-a.example/openrtb", "timeoutMs": 80, "maxQps": 500, "seat": "dspa" }]
 */
import { z } from 'zod';

export interface CircuitBreakerSettings {
  /** Consecutive failures (errors or timeouts) that open a closed breaker. */
  failureThreshold: number;
  /** Failure share over `windowMs` that opens the breaker (once `minRequestsInWindow` were seen). */
  errorRateThreshold: number;
  windowMs: number;
  minRequestsInWindow: number;
  /** How long an open breaker rejects everything before letting probes through (half-open). */
  cooldownMs: number;
  /** Probes allowed in flight at once while half-open. */
  halfOpenMaxProbes: number;
  /** Successful probes needed to close again. */
  halfOpenSuccessesToClose: number;
}

export const DEFAULT_BREAKER_SETTINGS: Readonly<CircuitBreakerSettings> = Object.freeze({
  failureThreshold: 5,
  errorRateThreshold: 0.5,
  windowMs: 10_000,
  minRequestsInWindow: 20,
  cooldownMs: 5_000,
  halfOpenMaxProbes: 1,
  halfOpenSuccessesToClose: 2,
});

export interface DspConfig {
  /** Stable id (metrics dimension, notice routing): lower-case letters, digits, '-', '_'. */
  id: string;
  /** OpenRTB 2.6 endpoint (http or https) the BidRequest is POSTed to. */
  endpoint: string;
  /** The DSP's own timeout; the effective one is min(timeoutMs, time left to the fan-out deadline). */
  timeoutMs: number;
  /** Requests per second we send at most; over it the DSP is skipped for that request (counted). */
  maxQps: number;
  /** Token-bucket burst; default max(1, ceil(maxQps / 10)), i.e. 100 ms worth of traffic. */
  burst?: number;
  /** Seat used when the DSP's seatbid has none; default the DSP id. */
  seat?: string;
  /** Kept-alive sockets to this DSP at most (per bidder task); default 64. */
  maxSockets?: number;
  /**
   * Hosts (besides the endpoint's) the DSP's nurl/burl/lurl may point at. Notice URLs elsewhere make the
   * bid invalid: we never let a DSP's response make us call arbitrary hosts (SSRF).
   */
  noticeHosts?: string[];
  /** Largest accepted bid, CPM; default 1000. A higher price is treated as a broken or hostile bid. */
  maxPriceCpm?: number;
  /** Overrides of the breaker defaults for this DSP. */
  breaker?: Partial<CircuitBreakerSettings>;
  /** Extra request headers (e.g. an auth token the DSP asked for). */
  headers?: Record<string, string>;
}

export const DEFAULT_MAX_SOCKETS = 64;
export const DEFAULT_MAX_PRICE_CPM = 1000;

const breakerSchema = z
  .object({
    failureThreshold: z.number().int().min(1).max(1000),
    errorRateThreshold: z.number().gt(0).max(1),
    windowMs: z.number().int().min(100).max(600_000),
    minRequestsInWindow: z.number().int().min(1),
    cooldownMs: z.number().int().min(10).max(600_000),
    halfOpenMaxProbes: z.number().int().min(1).max(100),
    halfOpenSuccessesToClose: z.number().int().min(1).max(100),
  })
  .partial()
  .strict();

export const dspConfigSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63'),
    endpoint: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL'),
    timeoutMs: z.number().int().min(1).max(5_000),
    maxQps: z.number().positive().max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000).optional(),
    seat: z.string().min(1).max(64).optional(),
    maxSockets: z.number().int().min(1).max(4096).optional(),
    noticeHosts: z.array(z.string().min(1).max(253)).max(32).optional(),
    maxPriceCpm: z.number().positive().max(1_000_000).optional(),
    breaker: breakerSchema.optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const dspConfigListSchema = z
  .union([z.array(dspConfigSchema), z.object({ dsps: z.array(dspConfigSchema) }).strict()])
  .transform((v) => (Array.isArray(v) ? v : v.dsps))
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', message: `duplicate DSP id "${d.id}"`, path: [i, 'id'] });
      seen.add(d.id);
    });
  });

export type DspConfigParseResult = { ok: true; dsps: DspConfig[] } | { ok: false; error: string };

/** Validates a parsed JSON value (array of DSPs, or `{ dsps: [...] }`). Errors name the bad field. */
export function parseDspConfigs(value: unknown): DspConfigParseResult {
  const result = dspConfigListSchema.safeParse(value);
  if (result.success) return { ok: true, dsps: result.data as DspConfig[] };
  const error = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
  return { ok: false, error };
}

/** The breaker settings of one DSP: defaults overridden by its config. */
export function breakerSettingsOf(dsp: Pick<DspConfig, 'breaker'>): CircuitBreakerSettings {
  return { ...DEFAULT_BREAKER_SETTINGS, ...(dsp.breaker ?? {}) };
}
