/**
 * Alarms that say what is wrong and where the runbook tells on-call what to do: one spec per alarm,
 * created as `<name>Alarm` in the given scope, firing above its threshold for `datapoints` of the last
 * `periods` periods, quiet on missing data, its description ending `Runbook: <file>#<anchor>`.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

export interface RunbookAlarmSpec {
  name: string;
  /** Section of the runbook. */
  anchor: string;
  what: string;
  metric: cloudwatch.IMetric;
  /** Fires above this. */
  threshold: number;
  periods: number;
  datapoints: number;
}

export function createRunbookAlarms(scope: Construct, runbook: string, specs: readonly RunbookAlarmSpec[]): Record<string, cloudwatch.Alarm> {
  const alarms: Record<string, cloudwatch.Alarm> = {};
  for (const spec of specs) {
    alarms[spec.name] = new cloudwatch.Alarm(scope, `${spec.name}Alarm`, {
      metric: spec.metric,
      threshold: spec.threshold,
      evaluationPeriods: spec.periods,
      datapointsToAlarm: spec.datapoints,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${spec.what} Runbook: ${runbook}#${spec.anchor}`,
    });
  }
  return alarms;
}
