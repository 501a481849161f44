/**
 * The functions event source mappings invoke: read from the template like the API's (the bundle CDK
 * built into cdk.out, handler, timeout, environment with intrinsics resolved to the local resources),
 * then adjusted for what cannot resolve locally, by variable name:
 *  - `envOverrides`: a value for a variable (null: unset it), applied to every function declaring it
 *    (e.g. the bidding Redis: REDIS_HOST=127.0.0.1 instead of the ElastiCache endpoint);
 *  - `unavailable`: variables the local stack cannot provide right now, with the reason; a function
 *    declaring one is not run (e.g. REDIS_HOST when the bidding part, and so Redis, is off).
 */
import { existsSync } from 'node:fs';
import type { CfnTemplate, IntrinsicResolver } from '../apigw/cfn.js';
import { functionDef, type FunctionDef } from '../apigw/model.js';

export interface EnvironmentAdjustments {
  /** Variable name → local value (null: unset), for every function that declares the variable. */
  envOverrides?: Record<string, string | null>;
  /** Variable name → why it cannot be given a working value locally. */
  unavailable?: Record<string, string>;
}

export type EventFunction = { ok: true; def: FunctionDef } | { ok: false; reason: string };

export function eventFunction(
  logicalId: string,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  assemblyDir: string,
  adjustments: EnvironmentAdjustments,
  warn: (message: string) => void,
): EventFunction {
  const def = functionDef(logicalId, template, resolver, assemblyDir, (m) => warn(`${resolver.stackName}/${m}`));
  if (!def.codeDir || !existsSync(def.codeDir)) {
    return { ok: false, reason: `its bundle is not in the cloud assembly (${def.codeDir ?? 'no aws:asset:path metadata'})` };
  }
  const environment = { ...def.environment };
  for (const name of Object.keys(def.environment)) {
    const why = adjustments.unavailable?.[name];
    if (why !== undefined) return { ok: false, reason: `it needs ${name}: ${why}` };
    if (adjustments.envOverrides && name in adjustments.envOverrides) {
      const value = adjustments.envOverrides[name];
      if (value === null || value === undefined) delete environment[name];
      else environment[name] = value;
    }
  }
  return { ok: true, def: { ...def, environment } };
}
