// CDK assertions for the API stack (test/infra/api-stack.fixture.ts synthesizes it with stub handlers).
// The functions' DynamoDB grants and the throttling are in api-access.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  GROUPS,
  RATE_LIMIT_TABLE_ENV_VAR,
  ROUTES,
  TABLE_ENV_VARS,
  routeKey,
  type RouteDefinition,
  type TableGrant,
} from '../../infra/api/routes.js';
import { ProjectFunction, REPO_ROOT, TABLE_ACCESS_ACTIONS } from '../../infra/constructs/project-function.js';
import {
  SKIP_BUNDLING,
  actionsOf,
  functionOfRoute,
  ofType,
  statementsOf,
  useSynthesizedApiStack,
  type Resource,
  type Statement,
} from './api-stack.fixture.js';

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
let template: Template;
let resources: Record<string, Resource>;

useSynthesizedApiStack((synth) => ({ stubRoot, template, resources } = synth));

describe('route table', () => {
  it('matches docs/design.md: methods, paths, handler modules, auth and groups', () => {
    const expected = designRoutes();
    expect(expected).toHaveLength(20);
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
    expect(ofType('AWS::ApiGatewayV2::Route')).toHaveLength(20);
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
