import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { ClientRateLimiter } from '../../../shared/ports/client-rate-limiter.js';
import { RateLimitedError } from './errors.js';
import type { ApiEvent, ApiResponse } from './types.js';

export interface ClientRateLimitOptions {
  limiter: ClientRateLimiter;
  /** When the request arrived (read once per request). */
  requestTime: (event: ApiEvent) => Date;
  metrics: Metrics;
  logger: Logger;
  /** The authenticated caller's id (JWT `sub`), set by the authenticate middleware. */
  callerOf: (event: ApiEvent) => string | undefined;
}

/**
 * Per-client throttling, right after authentication: counts the request against the caller's window
 * and refuses it with RateLimitedError (429, `Retry-After`) once the window is full. HTTP APIs have no
 * usage plans, so this is where one caller is kept from using up the stage throttle of everyone.
 *
 * Fails open: when the limiter cannot answer, the request goes on (logged, and counted as
 * `RateLimiterUnavailable`). The limiter protects fairness, not data; the stage throttle still caps
 * the total, and refusing every request because a counter table is unreachable would turn its outage
 * into an outage of the whole API (docs/design.md, "Throttling").
 */
export function clientRateLimit(options: ClientRateLimitOptions): MiddlewareObj<ApiEvent, ApiResponse> {
  const { limiter, metrics, logger } = options;
  return {
    name: 'client-rate-limit',
    before: async (request) => {
      const caller = options.callerOf(request.event);
      if (caller === undefined) return;
      let decision;
      try {
        decision = await limiter.admit(caller, options.requestTime(request.event));
      } catch (error) {
        metrics.addMetric('RateLimiterUnavailable', MetricUnit.Count, 1);
        logger.warn('client rate limiter unavailable; request admitted', { error: error as Error });
        return;
      }
      if (!decision.admitted) {
        metrics.addMetric('RateLimited', MetricUnit.Count, 1);
        throw new RateLimitedError(decision.retryAfterSeconds, limiter.limit);
      }
    },
  };
}
