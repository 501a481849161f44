/**
 * The bidding stack's alarms: one table of what each watches, when it fires and which runbook section
 * tells on-call what to do. Each alarm is created in the stack's own scope (`<Name>Alarm`), beside the
 * resources it watches.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { createRunbookAlarms, type RunbookAlarmSpec } from '../constructs/runbook-alarms.js';
import { REDIS_MEMORY_ALARM_PERCENT } from './bidding-redis.js';

/** EMF namespace and `Service` dimension the bidder's metrics carry (bidder/metrics.ts). */
export const BIDDER_METRICS = { namespace: 'DealDesk/Bidder', service: 'bidder' } as const;
/** Runbook the alarms link to (anchors per alarm). */
export const BIDDING_RUNBOOK = 'docs/runbooks/bidding.md';

export interface WatchedResources {
  loadBalancer: elbv2.IApplicationLoadBalancer;
  /** DatabaseMemoryUsagePercentage of the fullest Redis node. */
  redisMemoryUsagePercent: cloudwatch.IMetric;
  reconcileDlq: sqs.IQueue;
  /** BidLatency p99 above this (ms) fires BidLatencyP99: the tmax budget minus network margin. */
  bidLatencyP99BudgetMs: number;
}

const bidderMetric = (metricName: string, statistic: string) =>
  new cloudwatch.Metric({
    namespace: BIDDER_METRICS.namespace,
    metricName,
    dimensionsMap: { Service: BIDDER_METRICS.service },
    statistic,
    period: Duration.minutes(1),
  });

function alarmSpecs(watched: WatchedResources): RunbookAlarmSpec[] {
  const budgetMs = watched.bidLatencyP99BudgetMs;
  const perMinute = { period: Duration.minutes(1) };
  return [
    { name: 'BidLatencyP99', anchor: 'bidlatency', what: `Bid latency p99 above ${budgetMs} ms (the tmax budget) for 3 of 5 minutes: answers risk arriving after tmax.`, metric: bidderMetric('BidLatency', 'p99'), threshold: budgetMs, periods: 5, datapoints: 3 },
    { name: 'Http5xx', anchor: 'http5xx', what: 'The bidder answered 5xx (it must answer 200/204/4xx) in 2 of 3 minutes.', metric: bidderMetric('Http5xx', 'Sum'), threshold: 5, periods: 3, datapoints: 2 },
    { name: 'AlbTarget5xx', anchor: 'http5xx', what: 'The load balancer saw 5xx from bidder tasks (HTTPCode_Target_5XX_Count) in 2 of 3 minutes.', metric: watched.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, perMinute), threshold: 5, periods: 3, datapoints: 2 },
    { name: 'AlbElb5xx', anchor: 'http5xx', what: 'The load balancer itself answered 5xx (no healthy bidder task, or tasks refusing connections) in 2 of 3 minutes.', metric: watched.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, perMinute), threshold: 5, periods: 3, datapoints: 2 },
    { name: 'DspBreakerOpen', anchor: 'dspbreakeropen', what: 'A DSP circuit breaker has been open for 5 minutes in a row: that DSP gets no traffic.', metric: bidderMetric('DspBreakerOpen', 'Sum'), threshold: 0, periods: 5, datapoints: 5 },
    { name: 'Overspend', anchor: 'overspend', what: 'A budget reservation was refused for overspend: spend must never exceed budget. Page immediately.', metric: bidderMetric('Overspend', 'Sum'), threshold: 0, periods: 1, datapoints: 1 },
    { name: 'EventBufferDrops', anchor: 'eventbufferdrops', what: 'The bidder dropped bid events (Kinesis buffer full or records failed for good): billing and spend reconciliation miss them.', metric: bidderMetric('EventBufferDrops', 'Sum'), threshold: 0, periods: 1, datapoints: 1 },
    { name: 'ForgedNotices', anchor: 'forgednotices', what: 'Notices with a missing or wrong signature reached the bidder in 2 of 5 minutes: a misconfigured exchange, tasks with different signing keys, or someone probing the notice endpoints.', metric: bidderMetric('ForgedNotices', 'Sum'), threshold: 0, periods: 5, datapoints: 2 },
    { name: 'BudgetRebuildWaiting', anchor: 'budgetrebuildwaiting', what: 'After a Redis loss, campaign-day budgets have waited 5 minutes for the spend consumer to catch up (internal line items stay off until it does).', metric: bidderMetric('RebuildWaitingForLedger', 'Sum'), threshold: 0, periods: 5, datapoints: 5 },
    { name: 'RedisMemory', anchor: 'redismemory', what: `Redis memory above ${REDIS_MEMORY_ALARM_PERCENT} % of maxmemory (DatabaseMemoryUsagePercentage, fullest node) for 5 minutes: at 100 % Redis refuses writes (noeviction), budget and frequency-cap state cannot change and internal line items stop bidding.`, metric: watched.redisMemoryUsagePercent, threshold: REDIS_MEMORY_ALARM_PERCENT, periods: 5, datapoints: 5 },
    { name: 'ReconcileDlqDepth', anchor: 'reconciledlq', what: 'Bid-event records failed spend reconciliation after their retries and wait in the DLQ: spend in DynamoDB lags.', metric: watched.reconcileDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), threshold: 0, periods: 1, datapoints: 1 },
  ];
}

/** Creates the bidding alarms in `scope` (the stack) and returns them by name. */
export function addBiddingAlarms(scope: Construct, watched: WatchedResources): Record<string, cloudwatch.Alarm> {
  return createRunbookAlarms(scope, BIDDING_RUNBOOK, alarmSpecs(watched));
}
