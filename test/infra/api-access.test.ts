// CDK assertions for what each API function may do: its DynamoDB grants, table by table, and the
// throttling (route settings of the public routes, the per-caller limit's table and variables).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_RATE_LIMIT_ENV_VARS,
  RATE_LIMIT_TABLE_ENV_VAR,
  ROUTES,
  routeKey,
  type TableGrant,
} from '../../infra/api/routes.js';
import { REPO_ROOT } from '../../infra/constructs/project-function.js';
import {
  ApiStack,
  CLIENT_RATE_LIMIT_CONTEXT,
  DEFAULT_CLIENT_RATE_LIMIT,
  PUBLIC_ROUTE_THROTTLE,
} from '../../infra/stacks/api-stack.js';
import { DEALS_INDEXES, DataStack, ENGAGEMENT_INDEXES } from '../../infra/stacks/data-stack.js';
import { CLIENT_RATE_LIMITER_GRANT } from '../../shared/adapters/dynamodb/iam-grants.js';
import {
  SKIP_BUNDLING,
  actionsOf,
  functionOfRoute,
  ofType,
  statementsOf,
  statementsOnTable,
  useSynthesizedApiStack,
  type Resource,
} from './api-stack.fixture.js';

let stubRoot: string;
let data: DataStack;
let resources: Record<string, Resource>;

useSynthesizedApiStack((synth) => ({ stubRoot, data, resources } = synth));

type TableName = 'deals' | 'history' | 'idempotency' | 'rateLimit' | 'engagement';
type Granted = { table: string[]; indexes: string[] };

/** What the function may do on each table, split into actions on the table and on its indexes. */
function grantsOf(fnLogicalId: string): Record<TableName, Granted> {
  const tables: Record<TableName, dynamodb.Table> = {
    deals: data.dealsTable,
    history: data.historyTable,
    idempotency: data.idempotencyTable,
    rateLimit: data.rateLimitTable,
    engagement: data.engagementTable,
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
 * A cell lists actions (`Query (indexes)` for the table's indexes) or `—` for none.
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
    rows.map(([route, deals, history, idempotency, rateLimit, engagement]) => [
      route!.replace(/`/g, ''),
      { deals: cell(deals!), history: cell(history!), idempotency: cell(idempotency!), rateLimit: cell(rateLimit!), engagement: cell(engagement!) },
    ]),
  );
}

describe('least privilege', () => {
  const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];
  const tableKeys = ['deals', 'history', 'idempotency', 'rateLimit', 'engagement'] as const;

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
      for (const key of ['deals', 'history', 'idempotency', 'engagement'] as const) {
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

  it('binds the engagement table to the engagement routes only: GetItem for one score, Query on each named score index for the listing', () => {
    for (const r of ROUTES) {
      // Act
      const { table, indexes } = grantsOf(functionOfRoute(routeKey(r))).engagement;
      // Assess
      const expected =
        routeKey(r) === 'GET /deals/{dealId}/engagement'
          ? { table: ['dynamodb:GetItem'], indexes: [] }
          : routeKey(r) === 'GET /engagement'
            ? { table: [], indexes: ['dynamodb:Query'] }
            : { table: [], indexes: [] };
      expect({ table, indexes }, routeKey(r)).toEqual(expected);
      const env = resources[functionOfRoute(routeKey(r))]!.Properties.Environment.Variables as Record<string, unknown>;
      expect('ENGAGEMENT_TABLE_NAME' in env, routeKey(r)).toBe(routeKey(r).includes('engagement'));
    }
    const listing = JSON.stringify(statementsOnTable(statementsOf(functionOfRoute('GET /engagement')), data.engagementTable));
    for (const index of Object.keys(ENGAGEMENT_INDEXES)) expect(listing).toContain(`/index/${index}"`);
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
      engagementTable: d.engagementTable,
      projectRoot: stubRoot,
    });
    const fn = stack.functions['DealsList']!;
    return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment.Variables;
  }
});

