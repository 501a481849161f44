import { Validations } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The one place that turns cdk-nag on: the AwsSolutions pack over the whole app.
 *
 * With cdk-nag 3 the pack is a policy-validation plugin: it runs during synthesis, an unacknowledged
 * error fails `cdk synth`, warnings are printed. Acknowledgements (`Validations.of(c).acknowledge`)
 * live next to the resources they concern, each with a reason, and are also written into the
 * template metadata (`cdk_nag.rules_to_suppress`) as an audit trail.
 */
export function applyNag(app: App, props: NagPackProps = {}): AwsSolutionsChecks {
  const pack = new AwsSolutionsChecks(app, {
    verbose: true,
    writeSuppressionsToCloudFormation: true,
    ...props,
  });
  Validations.of(app).addPlugins(pack);
  return pack;
}

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly paths: readonly string[];
}

/** Every unacknowledged AwsSolutions finding (errors and warnings) under `scope`. */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity ?? 'unknown',
    description: v.description,
    paths: v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId ?? '?'),
  }));
}

export interface NagAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded under `scope` (for review and tests). */
export function nagAcknowledgements(scope: IConstruct): NagAcknowledgement[] {
  const out: NagAcknowledgement[] = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason: String(reason ?? '') });
      }
    }
  }
  return out;
}
