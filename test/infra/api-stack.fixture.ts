// The API stack synthesized for CDK assertions, shared by api-stack.test.ts and api-access.test.ts.
// Bundling is skipped (context `aws:cdk:bundling-stacks: []`) and handler entries point at stub files in
// a temporary project root, so the suites neither depend on the handlers nor pay for esbuild;
// test/infra/app.test.ts bundles the real app once.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, beforeAll, expect } from 'vitest';
import { ROUTES } from '../../infra/api/routes.js';
import { DEFAULT_CONTEXT } from '../../infra/build-app.js';
import { ApiStack } from '../../infra/stacks/api-stack.js';
import { DataStack } from '../../infra/stacks/data-stack.js';

export type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown>; DependsOn?: string[] };
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

export const SKIP_BUNDLING = { ...DEFAULT_CONTEXT, 'aws:cdk:bundling-stacks': [] };

export interface SynthesizedApi {
  /** Project root holding a stub module for every route entry (and a lock file). */
  stubRoot: string;
  app: App;
  data: DataStack;
  api: ApiStack;
  template: Template;
  resources: Record<string, Resource>;
}

let synthesized: SynthesizedApi | undefined;

const current = (): SynthesizedApi => {
  if (!synthesized) throw new Error('the API stack is not synthesized yet (use it inside tests or hooks)');
  return synthesized;
};

/** Synthesizes the data and API stacks once for the calling test file; `use` receives them. */
export function useSynthesizedApiStack(use: (synth: SynthesizedApi) => void): void {
  beforeAll(() => {
    const stubRoot = mkdtempSync(join(tmpdir(), 'dealdesk-api-stubs-'));
    writeFileSync(join(stubRoot, 'package-lock.json'), '{"lockfileVersion":3}');
    for (const r of ROUTES) {
      mkdirSync(dirname(join(stubRoot, r.entry)), { recursive: true });
      writeFileSync(join(stubRoot, r.entry), 'export const handler = async () => ({ statusCode: 204 });\n');
    }
    const app = new App({ context: SKIP_BUNDLING });
    const data = new DataStack(app, 'DealDesk-Data');
    const api = new ApiStack(app, 'DealDesk-Api', {
      dealsTable: data.dealsTable,
      historyTable: data.historyTable,
      idempotencyTable: data.idempotencyTable,
      rateLimitTable: data.rateLimitTable,
      engagementTable: data.engagementTable,
      projectRoot: stubRoot,
    });
    const template = Template.fromStack(api);
    synthesized = { stubRoot, app, data, api, template, resources: template.toJSON().Resources as Record<string, Resource> };
    use(synthesized);
    // Synthesis takes seconds on a loaded machine: more than the default hook timeout.
  }, 120_000);

  afterAll(() => {
    if (synthesized) rmSync(synthesized.stubRoot, { recursive: true, force: true });
    synthesized = undefined;
  });
}

export function ofType(type: string): [string, Resource][] {
  return Object.entries(current().resources).filter(([, r]) => r.Type === type);
}

/** Logical id of the function behind a route key, following Route → Integration → function. */
export function functionOfRoute(key: string): string {
  const resources = current().resources;
  const route = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === key);
  expect(route, `route ${key}`).toBeDefined();
  const target = route![1].Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  expect(target['Fn::Join'][1][0]).toBe('integrations/');
  const integration = resources[target['Fn::Join'][1][1].Ref]!;
  expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
  expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
  expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
  return integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string;
}

/** Statements of the policies attached to the role of `fnLogicalId`. */
export function statementsOf(fnLogicalId: string): Statement[] {
  const roleId = current().resources[fnLogicalId]!.Properties.Role['Fn::GetAtt'][0] as string;
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Statements whose resources reference `table` (imported from the data stack). */
export function statementsOnTable(statements: Statement[], table: dynamodb.Table): Statement[] {
  const logicalId = current().data.getLogicalId(table.node.defaultChild as CfnElement);
  return statements.filter((s) => JSON.stringify(s.Resource).includes(`FnGetAtt${logicalId}Arn`));
}
