// CDK assertions for the API stack. Bundling is skipped (context `aws:cdk:bundling-stacks: []`) and
// handler entries point at stub files in a temporary project root, so this suite neither depends on
// the handlers nor pays for esbuild; test/infra/app.test.ts bundles the real app once.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_RATE_LIMIT_ENV_VARS,
  GROUPS,
  RATE_LIMIT_TABLE_ENV_VAR,
  ROUTES,
  TABLE_ENV_VARS,
  routeKey,
  type RouteDefinition,
  type TableGrant,
} from '../../infra/api/routes.js';
import { ProjectFunction, REPO_ROOT, TABLE_ACCESS_ACTIONS } from '../../infra/constructs/project-function.js';
import { DEFAULT_CONTEXT } from '../../infra/build-app.js';
import {
  ApiStack,
  CLIENT_RATE_LIMIT_CONTEXT,
  DEFAULT_CLIENT_RATE_LIMIT,
  PUBLIC_ROUTE_THROTTLE,
} from '../../infra/stacks/api-stack.js';
import { DEALS_INDEXES, DataStack } from '../../infra/stacks/data-stack.js';
import { CLIENT_RATE_LIMITER_GRANT } from '../../shared/adapters/dynamodb/iam-grants.js';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const SKIP_BUNDLING = { ...DEFAULT_CONTEXT, 'aws:cdk:bundling-stacks': [] };

/** The route table as docs/design.md states it (the contract), parsed from the markdown. */
function designRoutes(): { method: string; path: string; entry: string; auth: 'jwt' | 'none'; groups: string[] | 'any' }[] {
  const md = readFileSync(join(REPO_ROOT, 'docs/design.md'), 'utf8');
  const section = md.slice(md.indexOf('## Routes'));
  const rows = section
    .split('\n')
    .filter((l) => /^\|\s*(GET|POST|PATCH|PUT|DELETE|ANY)\s*\|/.test(l))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  return rows.map(([method, path, entry, groups]) => ({
    method: method!,
    path: path!,
    entry: entry!,
    auth: groups!.startsWith('no auth') ? 'none' : 'jwt',
    groups: groups!.startsWith('no auth') ? [] : groups === 'any group' ? 'any' : groups!.split(',').map((g) => g.trim()),
  }));
}

let stubRoot: string;
let app: App;
let data: DataStack;
let api: ApiStack;
let template: Template;
let resources: Record<string, Resource>;

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** Logical id of the function behind a route key, following Route → Integration → function. */
function functionOfRoute(key: string): string {
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
function statementsOf(fnLogicalId: string): Statement[] {
  const roleId = resources[fnLogicalId]!.Properties.Role['Fn::GetAtt'][0] as string;
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Statements whose resources reference `table` (imported from the data stack). */
function statementsOnTable(statements: Statement[], table: dynamodb.Table): Statement[] {
  const logicalId = data.getLogicalId(table.node.defaultChild as CfnElement);
  return statements.filter((s) => JSON.stringify(s.Resource).includes(`FnGetAtt${logicalId}Arn`));
}

type TableName = 'deals' | 'history' | 'idempotency' | 'rateLimit';
type Granted = { table: string[]; indexes: string[] };

/** What the function may do on each table, split into actions on the table and on its indexes. */
function grantsOf(fnLogicalId: string): Record<TableName, Granted> {
  const tables: Record<TableName, dynamodb.Table> = {
    deals: data.dealsTable,
    history: data.historyTable,
    idempotency: data.idempotencyTable,
    rateLimit: data.rateLimitTable,
  };
  const statements = statementsOf(fnLogicalId);
  const out = {} as Record<TableName, Granted>;
  for (const [name, table] of Object.entries(tables) as [TableName, dynamodb.Table][]) {
    const marker = `FnGetAtt${data.getLogicalId(table.node.defaultChild as CfnElement)}Arn`;
    const onTable = new Set<string>();
    const onIndexes = new Set<string>();
    for (const statement of statements) {
      for (const resource of [statement.Resource].flat()) {
        const text = JSON.stringify(resource);
        if (!text.includes(marker)) continue;
        for (const action of actionsOf(statement)) (text.includes('/index/') ? onIndexes : onTable).add(action);
      }
    }
    out[name] = { table: [...onTable].sort(), indexes: [...onIndexes].sort() };
  }
  return out;
}

/**
 * The "DynamoDB actions per route" table of docs/design.md: route key → table → granted actions.
 * A cell lists actions (`Query (indexes)` for the deals indexes) or `—` for none.
 */
function documentedGrants(): Record<string, Record<TableName, Granted>> {
  const md = readFileSync(join(REPO_ROOT, 'docs/design.md'), 'utf8');
  const section = md.slice(md.indexOf('### DynamoDB actions per route'));
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  const cell = (text: string): Granted => {
    const items = text === '—' ? [] : text.split(',').map((item) => item.trim());
    const table = items.filter((item) => !item.endsWith(' (indexes)')).map((item) => `dynamodb:${item}`);
    const indexes = items.filter((item) => item.endsWith(' (indexes)')).map((item) => `dynamodb:${item.replace(' (indexes)', '')}`);
    return { table: table.sort(), indexes: indexes.sort() };
  };
  return Object.fromEntries(
    rows.map(([route, deals, history, idempotency, rateLimit]) => [
      route!.replace(/`/g, ''),
      { deals: cell(deals!), history: cell(history!), idempotency: cell(idempotency!), rateLimit: cell(rateLimit!) },
    ]),
  );
}

beforeAll(() => {
  stubRoot = mkdtempSync(join(tmpdir(), 'dealdesk-api-stubs-'));
  writeFileSync(join(stubRoot, 'package-lock.json'), '{"lockfileVersion":3}');
  for (const r of ROUTES) {
    mkdirSync(dirname(join(stubRoot, r.entry)), { recursive: true });
    writeFileSync(join(stubRoot, r.entry), 'export const handler = async () => ({ statusCode: 204 });\n');
  }
  app = new App({ context: SKIP_BUNDLING });
  data = new DataStack(app, 'DealDesk-Data');
  api = new ApiStack(app, 'DealDesk-Api', {
    dealsTable: data.dealsTable,
    historyTable: data.historyTable,
    idempotencyTable: data.idempotencyTable,
    rateLimitTable: data.rateLimitTable,
    projectRoot: stubRoot,
  });
  template = Template.fromStack(api);
  resources = template.toJSON().Resources as Record<string, Resource>;
  // Synthesis takes seconds on a loaded machine: more than the default hook timeout.
}, 120_000);

afterAll(() => {
  rmSync(stubRoot, { recursive: true, force: true });
});

describe('route table', () => {
  it('matches docs/design.md: methods, paths, handler modules, auth and groups', () => {
    const expected = designRoutes();
    expect(expected).toHaveLength(18);
    const actual = ROUTES.map((r) => ({ method: r.method, path: r.path, entry: r.entry, auth: r.auth, groups: r.groups === 'any' ? 'any' : [...r.groups] }));
    expect(new Set(actual.map((r) => routeKey(r))).size).toBe(actual.length);
    expect(actual).toEqual(expect.arrayContaining(expected.map((e) => expect.objectContaining(e))));
    expect(actual).toHaveLength(expected.length);
  });

  it('points every route at a handler module that exists in the repository', () => {
    for (const r of ROUTES) expect(existsSync(join(REPO_ROOT, r.entry)), `${routeKey(r)} → ${r.entry}`).toBe(true);
  });

  it('gives every route its own function', () => {
    const ids = new Set(ROUTES.map((r) => functionOfRoute(routeKey(r))));
    expect(ids.size).toBe(ROUTES.length);
    expect(ofType('AWS::Lambda::Function')).toHaveLength(ROUTES.length);
  });
});

describe('HTTP API', () => {
  it('creates every route of design.md with the JWT authorizer, except health, openapi and the fallback', () => {
    const [authorizerId] = ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    for (const r of designRoutes()) {
      const [, route] = ofType('AWS::ApiGatewayV2::Route').find(([, x]) => x.Properties.RouteKey === `${r.method} ${r.path}`) ?? [];
      expect(route, `${r.method} ${r.path}`).toBeDefined();
      if (r.auth === 'jwt') {
        expect(route!.Properties.AuthorizationType, `${r.method} ${r.path}`).toBe('JWT');
        expect(route!.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      } else {
        expect(route!.Properties.AuthorizationType, `${r.method} ${r.path}`).toBe('NONE');
        expect(route!.Properties.AuthorizerId).toBeUndefined();
      }
    }
    expect(ofType('AWS::ApiGatewayV2::Route')).toHaveLength(18);
    const publicRoutes = ofType('AWS::ApiGatewayV2::Route').filter(([, x]) => x.Properties.AuthorizationType !== 'JWT');
    expect(publicRoutes.map(([, x]) => x.Properties.RouteKey).sort()).toEqual(['ANY /{proxy+}', 'GET /health', 'GET /openapi.json']);
  });

  it('wires each route to the function of its handler module', () => {
    for (const r of ROUTES) {
      const fn = resources[functionOfRoute(routeKey(r))]!;
      expect(fn.Properties.Description).toContain(r.entry);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
  });

  it('uses a JWT authorizer whose issuer is the user pool and audience the app client', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [, authorizer] = authorizers[0]!;
    const [poolId] = ofType('AWS::Cognito::UserPool').map(([id]) => id);
    const [clientId] = ofType('AWS::Cognito::UserPoolClient').map(([id]) => id);
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: clientId }],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: poolId }]] },
      },
    });
  });

  it('has a throttled, auto-deployed $default stage with JSON access logs', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const [, stage] = stages[0]!;
    expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true });
    expect(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.Properties.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
    const logGroupId = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    expect(resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
    expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
  });

  it('does not enable CORS', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.absent() });
  });

  it('outputs the API URL, user pool id and client id', () => {
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId']));
  });
});

describe('functions', () => {
  it('are nodejs24.x on arm64 with active tracing, source maps and an explicit log group kept one month', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.length).toBe(ROUTES.length);
    for (const [id, fn] of fns) {
      expect(fn.Properties.Runtime, id).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(env, id).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'dealdesk-api',
        POWERTOOLS_METRICS_NAMESPACE: 'DealDesk',
        LOG_LEVEL: 'INFO',
      });
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId]!.Properties.RetentionInDays, id).toBe(30);
      expect(fn.Metadata?.['aws:asset:property']).toBe('Code');
    }
  });

  it('have no wildcard resource except X-Ray (the only acknowledged IAM5 finding)', () => {
    for (const r of ROUTES) {
      for (const st of statementsOf(functionOfRoute(routeKey(r)))) {
        if (JSON.stringify(st.Resource).includes('*')) {
          expect(st.Resource, routeKey(r)).toBe('*');
          expect(actionsOf(st).sort(), routeKey(r)).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    }
  });

  it('use their own roles, with no AWS managed policies', () => {
    for (const [, role] of ofType('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('get exactly the table variables their route binds (idempotency only on POSTs, the rate limit on signed-in routes)', () => {
    for (const r of ROUTES) {
      const fn = resources[functionOfRoute(routeKey(r))]!;
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      const tableVars = Object.keys(env).filter((k) => k.endsWith('_TABLE_NAME')).sort();
      const expected: string[] = Object.keys(r.tables).map((k) => TABLE_ENV_VARS[k as keyof typeof TABLE_ENV_VARS]);
      if (r.auth === 'jwt') expected.push(RATE_LIMIT_TABLE_ENV_VAR);
      expect(tableVars, routeKey(r)).toEqual(expected.sort());
      expect('IDEMPOTENCY_TABLE_NAME' in env, routeKey(r)).toBe(r.method === 'POST');
      for (const [key, value] of Object.entries(env).filter(([k]) => k.endsWith('_TABLE_NAME'))) {
        expect(JSON.stringify(value), key).toContain('Fn::ImportValue');
      }
    }
  });

  it('give the fallback the other routes as API_ROUTES', () => {
    const fallback = ROUTES.find((r) => r.method === 'ANY') as RouteDefinition;
    const fn = resources[functionOfRoute(routeKey(fallback))]!;
    const routes = JSON.parse(fn.Properties.Environment.Variables.API_ROUTES as string) as string[];
    expect(routes.sort()).toEqual(ROUTES.filter((r) => r !== fallback).map(routeKey).sort());
  });

});

describe('least privilege', () => {
  const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];
  const tableKeys = ['deals', 'history', 'idempotency', 'rateLimit'] as const;

  it('gives every route exactly the actions docs/design.md lists for it, table by table', () => {
    // Prepare
    const documented = documentedGrants();
    // Act
    const actual = Object.fromEntries(ROUTES.map((r) => [routeKey(r), grantsOf(functionOfRoute(routeKey(r)))]));
    // Assess
    expect(Object.keys(documented).sort()).toEqual(ROUTES.map(routeKey).sort());
    for (const r of ROUTES) expect(actual[routeKey(r)], routeKey(r)).toEqual(documented[routeKey(r)]);
  });

  it('grants what the route table declares (derived from the calls each handler makes), and the rate limit to signed-in routes', () => {
    for (const r of ROUTES) {
      // Prepare
      const declared: Record<string, TableGrant | undefined> = { ...r.tables, rateLimit: r.auth === 'jwt' ? CLIENT_RATE_LIMITER_GRANT : undefined };
      // Act
      const actual = grantsOf(functionOfRoute(routeKey(r)));
      // Assess
      for (const key of tableKeys) {
        const grant = declared[key];
        expect(actual[key], `${routeKey(r)} on ${key}`).toEqual({
          table: [...(grant?.actions ?? [])].map((a) => `dynamodb:${a}`).sort(),
          indexes: [...(grant?.indexActions ?? [])].map((a) => `dynamodb:${a}`).sort(),
        });
      }
    }
  });

  it('never grants Scan, BatchGetItem, BatchWriteItem, DescribeTable or PartiQL: the API calls none of them', () => {
    const unused = /^dynamodb:(Scan|BatchGetItem|BatchWriteItem|DescribeTable|PartiQL.*|\*)$/;
    for (const r of ROUTES) {
      const actions = statementsOf(functionOfRoute(routeKey(r))).flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
      expect(actions.filter((a) => unused.test(a)), routeKey(r)).toEqual([]);
    }
  });

  it('lets write routes put and check items of the deals table, never delete, batch-write or scan them', () => {
    const writers = ROUTES.filter((r) => r.method === 'POST' || r.method === 'PATCH');
    expect(writers.length).toBeGreaterThanOrEqual(6);
    for (const r of writers) {
      const { table, indexes } = grantsOf(functionOfRoute(routeKey(r))).deals;
      expect(table, routeKey(r)).toContain('dynamodb:PutItem');
      expect(table.filter((a) => /DeleteItem|BatchWriteItem|Scan|BatchGetItem/.test(a)), routeKey(r)).toEqual([]);
      expect(indexes, `${routeKey(r)} writes need no index`).toEqual([]);
    }
  });

  it('lets read routes write nothing but their own request count', () => {
    for (const r of ROUTES.filter((x) => x.method === 'GET')) {
      const grants = grantsOf(functionOfRoute(routeKey(r)));
      for (const key of ['deals', 'history', 'idempotency'] as const) {
        const actions = [...grants[key].table, ...grants[key].indexes];
        expect(actions.filter((a) => WRITES.includes(a)), `${routeKey(r)} on ${key}`).toEqual([]);
      }
      expect(grants.rateLimit.table, routeKey(r)).toEqual(r.auth === 'jwt' ? ['dynamodb:UpdateItem'] : []);
    }
  });

  it('can only append to the history table: PutItem, never UpdateItem/DeleteItem/BatchWriteItem', () => {
    let writers = 0;
    for (const r of ROUTES) {
      const { table, indexes } = grantsOf(functionOfRoute(routeKey(r))).history;
      expect([...table, ...indexes].filter((a) => WRITES.includes(a) && a !== 'dynamodb:PutItem'), routeKey(r)).toEqual([]);
      if (table.includes('dynamodb:PutItem')) writers += 1;
    }
    expect(writers).toBeGreaterThanOrEqual(6);
  });

  it('queries the deals indexes only where deals are listed, naming each index (never index/*)', () => {
    for (const r of ROUTES) {
      const { indexes } = grantsOf(functionOfRoute(routeKey(r))).deals;
      expect(indexes, routeKey(r)).toEqual(routeKey(r) === 'GET /deals' ? ['dynamodb:Query'] : []);
    }
    const listing = JSON.stringify(statementsOnTable(statementsOf(functionOfRoute('GET /deals')), data.dealsTable));
    expect(Object.keys(DEALS_INDEXES).length).toBeGreaterThan(0);
    for (const index of Object.keys(DEALS_INDEXES)) expect(listing).toContain(`/index/${index}"`);
    for (const [, p] of ofType('AWS::IAM::Policy')) expect(JSON.stringify(p.Properties)).not.toContain('/index/*');
  });

  it('uses Powertools idempotency records only on the POST routes', () => {
    for (const r of ROUTES) {
      const { table } = grantsOf(functionOfRoute(routeKey(r))).idempotency;
      expect(table, routeKey(r)).toEqual(
        r.method === 'POST' ? ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] : [],
      );
    }
  });
});

describe('throttling', () => {
  const publicKeys = ROUTES.filter((r) => r.auth === 'none').map(routeKey).sort();

  it('gives each public route its own low route-level throttle in the stage, below the default', () => {
    // Prepare
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    const defaults = stage.Properties.DefaultRouteSettings as { ThrottlingRateLimit: number; ThrottlingBurstLimit: number };
    // Act
    const settings = stage.Properties.RouteSettings as Record<string, Record<string, unknown>>;
    // Assess
    expect(publicKeys).toEqual(['ANY /{proxy+}', 'GET /health', 'GET /openapi.json']);
    expect(Object.keys(settings ?? {}).sort()).toEqual(publicKeys);
    for (const key of publicKeys) {
      expect(settings[key], key).toEqual({
        ThrottlingRateLimit: PUBLIC_ROUTE_THROTTLE.rateLimit,
        ThrottlingBurstLimit: PUBLIC_ROUTE_THROTTLE.burstLimit,
        DetailedMetricsEnabled: true,
      });
    }
    expect(PUBLIC_ROUTE_THROTTLE.rateLimit * 5).toBeLessThanOrEqual(defaults.ThrottlingRateLimit);
    expect(PUBLIC_ROUTE_THROTTLE.burstLimit * 5).toBeLessThanOrEqual(defaults.ThrottlingBurstLimit);
  });

  it('creates the stage after the routes its settings name (API Gateway refuses unknown route keys)', () => {
    // Prepare
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]! as [string, Resource & { DependsOn?: string[] }];
    const routeIds = ofType('AWS::ApiGatewayV2::Route')
      .filter(([, r]) => publicKeys.includes(r.Properties.RouteKey as string))
      .map(([id]) => id);
    // Assess
    expect(routeIds).toHaveLength(publicKeys.length);
    expect(stage.DependsOn ?? []).toEqual(expect.arrayContaining(routeIds));
  });

  it('binds the rate-limit table and sets the per-client limit on every signed-in route, and on no public one', () => {
    for (const r of ROUTES) {
      const env = resources[functionOfRoute(routeKey(r))]!.Properties.Environment.Variables as Record<string, unknown>;
      if (r.auth === 'jwt') {
        expect(env, routeKey(r)).toMatchObject({
          [CLIENT_RATE_LIMIT_ENV_VARS.requests]: String(DEFAULT_CLIENT_RATE_LIMIT.requests),
          [CLIENT_RATE_LIMIT_ENV_VARS.windowSeconds]: String(DEFAULT_CLIENT_RATE_LIMIT.windowSeconds),
        });
        expect(JSON.stringify(env[RATE_LIMIT_TABLE_ENV_VAR]), routeKey(r)).toContain(`ExportsOutputRef${data.getLogicalId(data.rateLimitTable.node.defaultChild as CfnElement)}`);
      } else {
        expect(Object.keys(env).filter((k) => k.startsWith('CLIENT_RATE_LIMIT') || k === RATE_LIMIT_TABLE_ENV_VAR), routeKey(r)).toEqual([]);
      }
    }
    expect(DEFAULT_CLIENT_RATE_LIMIT.requests / DEFAULT_CLIENT_RATE_LIMIT.windowSeconds).toBeLessThan(100);
  });

  it('takes the per-client limit from the apiClientRateLimit context', () => {
    // Prepare
    const env = synthWithContext({ [CLIENT_RATE_LIMIT_CONTEXT]: '50/10' });
    // Assess
    expect(env).toMatchObject({ CLIENT_RATE_LIMIT_REQUESTS: '50', CLIENT_RATE_LIMIT_WINDOW_SECONDS: '10' });
  });

  it.each(['20', '0/1', '20/0', '20/7200', 'many/1', 20])('refuses apiClientRateLimit=%j at synthesis, naming the key', (value) => {
    expect(() => synthWithContext({ [CLIENT_RATE_LIMIT_CONTEXT]: value })).toThrow(/context apiClientRateLimit=.* is invalid/);
  });

  /** The environment of the signed-in GET /deals function of an API stack synthesized with `context`. */
  function synthWithContext(context: Record<string, unknown>): Record<string, unknown> {
    const a = new App({ context: { ...SKIP_BUNDLING, ...context } });
    const d = new DataStack(a, 'Data');
    const stack = new ApiStack(a, 'Api', {
      dealsTable: d.dealsTable,
      historyTable: d.historyTable,
      idempotencyTable: d.idempotencyTable,
      rateLimitTable: d.rateLimitTable,
      projectRoot: stubRoot,
    });
    const fn = stack.functions['DealsList']!;
    return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment.Variables;
  }
});

describe('Cognito', () => {
  it('has the six groups', () => {
    const groups = ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName as string);
    expect(groups.sort()).toEqual([...GROUPS].sort());
    expect(groups).toEqual(expect.arrayContaining(['deal_manager', 'campaign_manager', 'sales_manager', 'finance', 'legal', 'admin']));
  });

  it('is admin-provisioned with a strong password policy, optional TOTP MFA and account_ids', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({ RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true }),
      },
      Schema: Match.arrayWith([Match.objectLike({ Name: 'account_ids', AttributeDataType: 'String', Mutable: true })]),
    });
  });

  it('has a public SRP client that cannot write custom:account_ids', () => {
    const clients = ofType('AWS::Cognito::UserPoolClient');
    expect(clients).toHaveLength(1);
    const [, client] = clients[0]!;
    expect(client.Properties.GenerateSecret).toBe(false);
    expect(client.Properties.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(client.Properties.ExplicitAuthFlows).not.toContain('ALLOW_USER_PASSWORD_AUTH');
    expect(client.Properties.WriteAttributes).toBeDefined();
    expect(client.Properties.WriteAttributes).not.toContain('custom:account_ids');
  });
});

describe('ProjectFunction.bind', () => {
  function bindOnce(access: 'read' | 'readWrite' | 'append'): string[] {
    const a = new App({ context: SKIP_BUNDLING });
    const s = new Stack(a, 'S');
    const table = new dynamodb.Table(s, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const fn = new ProjectFunction(s, 'Fn', { entry: ROUTES[0]!.entry, projectRoot: stubRoot });
    fn.bind(table, { envVar: 'T_TABLE_NAME', access });
    expect(() => fn.bind(table, { envVar: 'T_TABLE_NAME', access: 'read' })).toThrow(/already bound/);
    const t = Template.fromStack(s).toJSON().Resources as Record<string, Resource>;
    const fnRes = Object.values(t).find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(fnRes.Properties.Environment.Variables.T_TABLE_NAME).toEqual({ Ref: s.getLogicalId(table.node.defaultChild as CfnElement) });
    return Object.values(t)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => JSON.stringify(st.Resource).includes('"T'))
      .flatMap(actionsOf);
  }

  it('grants exactly the actions of the access level and sets the variable', () => {
    expect(bindOnce('append').sort()).toEqual([...TABLE_ACCESS_ACTIONS.append].sort());
    expect(bindOnce('read').sort()).toEqual([...TABLE_ACCESS_ACTIONS.read].sort());
    expect(bindOnce('readWrite')).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
    expect(TABLE_ACCESS_ACTIONS.append).not.toContain('dynamodb:UpdateItem');
    expect(TABLE_ACCESS_ACTIONS.append).not.toContain('dynamodb:DeleteItem');
    expect(TABLE_ACCESS_ACTIONS.append).not.toContain('dynamodb:BatchWriteItem');
  });

  function bindGrant(grant: TableGrant): { statements: Statement[]; env: Record<string, unknown> } {
    const a = new App({ context: SKIP_BUNDLING });
    const s = new Stack(a, 'S');
    const table = new dynamodb.Table(s, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    table.addGlobalSecondaryIndex({ indexName: 'byOwner', partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING } });
    const fn = new ProjectFunction(s, 'Fn', { entry: ROUTES[0]!.entry, projectRoot: stubRoot });
    fn.bind(table, { envVar: 'T_TABLE_NAME', access: grant });
    const t = Template.fromStack(s).toJSON().Resources as Record<string, Resource>;
    return {
      statements: Object.values(t)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((st) => JSON.stringify(st.Resource).includes('"T')),
      env: Object.values(t).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties.Environment.Variables,
    };
  }

  it('grants a TableGrant\'s actions on the table alone and its index actions on each index alone', () => {
    // Act
    const { statements } = bindGrant({ actions: ['GetItem', 'PutItem'], indexActions: ['Query'] });
    // Assess
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^T/), 'Arn'] } },
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^T/), 'Arn'] }, '/index/byOwner']] },
      },
    ]);
  });

  it('binds the name alone for a TableGrant without actions', () => {
    // Act
    const { statements, env } = bindGrant({ actions: [] });
    // Assess
    expect(statements).toEqual([]);
    expect(env.T_TABLE_NAME).toEqual({ Ref: expect.stringMatching(/^T/) });
  });
});
