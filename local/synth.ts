/**
 * Synthesizes the dealdesk app in-process (infra/build-app.ts) for the local stack: the cloud assembly
 * directory and every stack's template, in deployment order (exporters before importers).
 */
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { CfnTemplate } from './apigw/cfn.js';

export interface SynthResult {
  assemblyDir: string;
  stacks: { name: string; template: CfnTemplate }[];
}

/** Synthesizes the app with infra/build-app.ts (in-process), stacks in deployment order. */
export async function synthesize(outdir: string): Promise<SynthResult> {
  const { buildApp } = (await import('../infra/build-app.js')) as typeof import('../infra/build-app.js');
  const { CLIENT_RATE_LIMIT_CONTEXT } = (await import('../infra/stacks/api-stack.js')) as typeof import('../infra/stacks/api-stack.js');
  const { INSECURE_LOCAL_HTTP_CONTEXT } = (await import('../infra/bidder-endpoint.js')) as typeof import('../infra/bidder-endpoint.js');
  // Read offline, never deployed: the bidder's load balancer needs no certificate here.
  // The few dev tokens are shared by the seed, the integration tests running in parallel and the
  // benchmarks, which send far more than one person would: locally each caller gets 100,000 per second.
  const { app } = buildApp({ outdir, context: { ...INSECURE_LOCAL_HTTP_CONTEXT, [CLIENT_RATE_LIMIT_CONTEXT]: '100000/1' } });
  const assembly = app.synth();
  const artifacts: CloudFormationStackArtifact[] = assembly.stacks;
  // Topological order over stack dependencies (exporters before importers).
  const byId = new Map(artifacts.map((a) => [a.id, a]));
  const ordered: CloudFormationStackArtifact[] = [];
  const seen = new Set<string>();
  const visit = (a: CloudFormationStackArtifact): void => {
    if (seen.has(a.id)) return;
    seen.add(a.id);
    for (const dep of a.dependencies) {
      const d = byId.get(dep.id);
      if (d) visit(d);
    }
    ordered.push(a);
  };
  artifacts.forEach(visit);
  return {
    assemblyDir: assembly.directory,
    stacks: ordered.map((a) => ({ name: a.stackName, template: a.template as CfnTemplate })),
  };
}
