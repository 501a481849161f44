/**
 * Redrive, as a Lambda (invoked by hand or by a runbook step once a dead letter's cause is fixed): replays
 * the change processor's dead-lettered records (shared/change-capture/redrive.ts) until the queue is
 * empty or the function's time runs low, and answers what it did. `./dev redrive` runs the same code
 * against the local stack.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { redriveChanges, type RedriveDeps, type RedriveReport } from '../../shared/change-capture/redrive.js';
import { productionChangeCaptureDeps } from './change-capture-deps.js';

/** Leave this much of the invocation for returning letters to the queue and answering. */
const RESERVE_MS = 15_000;

export interface RedriveRequest {
  /** Stop after this many letters. */
  maxLetters?: number;
}

export function makeHandler(deps: Omit<RedriveDeps, 'shouldStop' | 'maxLetters'> & { logger?: Logger; metrics?: Metrics }) {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'dealdesk-change-redrive';
  const logger = deps.logger ?? new Logger({ serviceName });
  const metrics = deps.metrics ?? new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'DealDesk', serviceName });

  const core = async (request: RedriveRequest | undefined, context: Context): Promise<RedriveReport> => {
    const maxLetters = request?.maxLetters;
    if (maxLetters !== undefined && (!Number.isInteger(maxLetters) || maxLetters < 1)) {
      throw new Error(`maxLetters must be a positive integer, got ${JSON.stringify(maxLetters)}`);
    }
    const report = await redriveChanges({
      ...deps,
      ...(maxLetters !== undefined ? { maxLetters } : {}),
      shouldStop: () => context.getRemainingTimeInMillis() < RESERVE_MS,
    });
    metrics.addMetric('ChangeLettersReplayed', MetricUnit.Count, report.replayed);
    metrics.addMetric('ChangeLettersStillFailing', MetricUnit.Count, report.stillFailing.length);
    logger.info('redrive finished', { ...report });
    return report;
  };

  return middy<RedriveRequest | undefined, RedriveReport>(core)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics));
}

let deployed: ReturnType<typeof makeHandler> | undefined;

/** The deployed handler: adapters from the environment, built on the first invocation (config errors name the variable). */
export const handler: ReturnType<typeof makeHandler> = ((event: never, context: never) =>
  (deployed ??= makeHandler(productionChangeCaptureDeps()))(event, context)) as never;
