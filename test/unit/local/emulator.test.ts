import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntrinsicResolver, type CfnTemplate } from '../../../local/apigw/cfn.js';
import { startLocalIdp, type LocalIdp } from '../../../local/apigw/idp-server.js';
import { LambdaRuntime } from '../../../local/apigw/lambda-runtime.js';
import { buildApiModel, type ApiModel } from '../../../local/apigw/model.js';
import { PortInUseError, startApiGatewayEmulator, type ApiGatewayEmulator } from '../../../local/apigw/server.js';

// A template shaped like what CDK synthesizes for an HTTP API with a JWT authorizer and Lambda
// integrations; the functions' "assets" are small modules written to a temp directory.
const asset = mkdtempSync(join(tmpdir(), 'dd-emulator-'));
const echoDir = join(asset, 'asset.echo');
const cjsDir = join(asset, 'asset.cjs');
const fnArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const integration = (fn: string) => ({
  Type: 'AWS::ApiGatewayV2::Integration',
  Properties: {
    ApiId: { Ref: 'Api' },
    IntegrationType: 'AWS_PROXY',
    IntegrationUri: fnArn(fn),
    PayloadFormatVersion: '2.0',
  },
});
const route = (key: string, integ: string, auth: boolean) => ({
  Type: 'AWS::ApiGatewayV2::Route',
  Properties: {
    ApiId: { Ref: 'Api' },
    RouteKey: key,
    Target: { 'Fn::Join': ['', ['integrations/', { Ref: integ }]] },
    AuthorizationType: auth ? 'JWT' : 'NONE',
    ...(auth ? { AuthorizerId: { Ref: 'Authz' } } : {}),
  },
});
const template: CfnTemplate = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Pool: { Type: 'AWS::Cognito::UserPool' },
    Client: { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'Pool' } } },
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'test-api', ProtocolType: 'HTTP' } },
    Authz: {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: { Ref: 'Api' },
        AuthorizerType: 'JWT',
        Name: 'jwt',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Audience: [{ Ref: 'Client' }],
          Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: 'Pool' }]] },
        },
      },
    },
    EchoFn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Timeout: 2,
        Environment: { Variables: { TABLE: { Ref: 'Table' }, REGION: { Ref: 'AWS::Region' }, ARN: fnArn('EchoFn') } },
      },
      Metadata: { 'aws:asset:path': 'asset.echo', 'aws:asset:property': 'Code' },
    },
    CjsFn: {
      Type: 'AWS::Lambda::Function',
      Properties: { Handler: 'main.run', Runtime: 'nodejs24.x', Timeout: 3 },
      Metadata: { 'aws:asset:path': 'asset.cjs' },
    },
    EchoInt: integration('EchoFn'),
    CjsInt: integration('CjsFn'),
    R1: route('GET /things/{id}', 'EchoInt', true),
    R2: route('POST /things', 'EchoInt', true),
    R3: route('GET /public', 'EchoInt', false),
    R4: route('GET /plain', 'CjsInt', false),
    R5: route('ANY /{proxy+}', 'CjsInt', false),
  },
};

let idp: LocalIdp;
let runtime: LambdaRuntime;
let api: ApiGatewayEmulator;
let model: ApiModel;

beforeAll(async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(echoDir);
  mkdirSync(cjsDir);
  writeFileSync(
    join(echoDir, 'index.mjs'),
    `export const handler = async (event, context) => {
      if (event.rawPath === '/things/boom') throw new Error('boom');
      if (event.rawPath === '/things/slow') await new Promise((r) => setTimeout(r, 5000));
      if (event.rawPath === '/things/bad') return { statusCode: 'x' };
      if (event.rawPath === '/things/exit') { setTimeout(() => process.exit(3), 10); return new Promise(() => {}); }
      return {
        statusCode: event.requestContext.http.method === 'POST' ? 201 : 200,
        headers: { 'Content-Type': 'application/json', ETag: '"7"' },
        cookies: ['a=1'],
        body: JSON.stringify({ event, env: { TABLE: process.env.TABLE, REGION: process.env.REGION, ARN: process.env.ARN, AWS_REGION: process.env.AWS_REGION, AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME }, ctx: { id: context.awsRequestId, name: context.functionName, remaining: context.getRemainingTimeInMillis() } }),
      };
    };`,
  );
  mkdirSync(join(asset, 'asset.conc'));
  writeFileSync(
    join(asset, 'asset.conc', 'index.mjs'),
    `let inflight = 0; let max = 0; const me = Math.random();
    export const handler = async (event) => {
      inflight++; max = Math.max(max, inflight);
      await new Promise((r) => setTimeout(r, event.sleep ?? 50));
      inflight--;
      return { max, me };
    };`,
  );
  writeFileSync(join(cjsDir, 'main.js'), `exports.run = async (event) => event.rawPath === '/plain' ? { hello: 'world' } : 'just text';`);

  idp = await startLocalIdp();
  const resolver = new IntrinsicResolver({
    template,
    stackName: 'Api',
    env: { region: 'eu-west-1', accountId: '000000000000', partition: 'aws' },
    physicalIds: { Table: 'local-table' },
  });
  model = buildApiModel({ template, resolver, assemblyDir: asset });
  runtime = new LambdaRuntime({ functions: model.functions, baseEnv: { AWS_REGION: 'eu-west-1' }, region: 'eu-west-1', accountId: '000000000000', logs: 'ignore' });
  api = await startApiGatewayEmulator({ model, invoke: (f, e) => runtime.invoke(f, e), issuer: idp.issuer, jwks: idp.idp.jwks, accountId: '000000000000' });
});

afterAll(async () => {
  await api?.close();
  await runtime?.stop();
  await idp?.close();
  rmSync(asset, { recursive: true, force: true });
});

const token = (claims: Record<string, unknown> = {}) =>
  idp.idp.sign({ sub: 'u1', aud: model.authorizers.Authz!.audience[0], 'cognito:groups': ['deal_manager', 'admin'], ...claims });

describe('template model', () => {
  it('reads routes, integrations, the authorizer and functions from the template', () => {
    expect(model.routes.map((r) => r.routeKey).sort()).toEqual(['ANY /{proxy+}', 'GET /plain', 'GET /public', 'GET /things/{id}', 'POST /things']);
    expect(model.routes.find((r) => r.routeKey === 'POST /things')).toMatchObject({ authorizationType: 'JWT', authorizerId: 'Authz', functionLogicalId: 'EchoFn' });
    expect(model.authorizers.Authz!.audience).toEqual(['local-client-client']);
    expect(model.authorizers.Authz!.templateIssuer).toMatch(/^https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\//);
    expect(model.functions.EchoFn).toMatchObject({ handler: 'index.handler', timeoutSeconds: 2, codeDir: echoDir });
    expect(model.functions.EchoFn!.environment).toEqual({
      TABLE: 'local-table',
      REGION: 'eu-west-1',
      ARN: 'arn:aws:lambda:eu-west-1:000000000000:function:Api-EchoFn',
    });
  });
});

describe('template model: integration URIs', () => {
  it('finds the function behind an ARN-shaped Fn::Join and behind an alias', () => {
    // Prepare
    const t: CfnTemplate = {
      Resources: {
        Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
        Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live' } },
        I1: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: {
            ApiId: { Ref: 'Api' },
            IntegrationUri: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, ':lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '/invocations']] },
          },
        },
        I2: { Type: 'AWS::ApiGatewayV2::Integration', Properties: { ApiId: { Ref: 'Api' }, IntegrationUri: { Ref: 'Alias' } } },
        R1: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'GET /a', Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'I1' }]] } } },
        R2: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'Api' }, RouteKey: '$default', Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'I2' }]] } } },
      },
    };
    const resolver = new IntrinsicResolver({ template: t, stackName: 'S', env: { region: 'us-east-1', accountId: '0', partition: 'aws' } });
    // Act
    const m = buildApiModel({ template: t, resolver, assemblyDir: '/nowhere' });
    // Assess
    expect(m.routes.map((r) => [r.routeKey, r.functionLogicalId, r.authorizationType, r.payloadFormatVersion])).toEqual([
      ['GET /a', 'Fn', 'NONE', '2.0'],
      ['$default', 'Fn', 'NONE', '2.0'],
    ]);
    expect(m.functions.Fn!.codeDir).toBeUndefined();
  });
});

describe('API Gateway emulator', () => {
  it('invokes the function with a 2.0 event, stringified claims, its env and a Lambda context', async () => {
    // Prepare
    const t = await token();
    // Act
    const res = await fetch(`${api.url}/things/t%201?x=1&x=2`, { headers: { authorization: `Bearer ${t}`, 'user-agent': 'ua/1', 'x-dup': 'a' } });
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"7"');
    expect(res.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{14,}=*$/);
    expect(res.headers.getSetCookie()).toEqual(['a=1']);
    const { event, env, ctx } = (await res.json()) as any;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /things/{id}',
      rawPath: '/things/t%201',
      rawQueryString: 'x=1&x=2',
      queryStringParameters: { x: '1,2' },
      pathParameters: { id: 't 1' },
      isBase64Encoded: false,
    });
    expect(event.requestContext.authorizer.jwt.claims).toMatchObject({ sub: 'u1', 'cognito:groups': '[deal_manager admin]' });
    expect(event.requestContext.http).toMatchObject({ method: 'GET', path: '/things/t%201', sourceIp: '127.0.0.1', userAgent: 'ua/1' });
    expect(event.requestContext.requestId).toBe(res.headers.get('apigw-requestid'));
    expect(event.headers['x-dup']).toBe('a');
    expect(env).toEqual({
      TABLE: 'local-table',
      REGION: 'eu-west-1',
      ARN: 'arn:aws:lambda:eu-west-1:000000000000:function:Api-EchoFn',
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'Api-EchoFn',
    });
    expect(ctx.name).toBe('Api-EchoFn');
    expect(ctx.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.remaining).toBeGreaterThan(1000);
    expect(ctx.remaining).toBeLessThanOrEqual(2000);
  });

  it('passes POST bodies and answers the function status', async () => {
    const res = await fetch(`${api.url}/things`, { method: 'POST', headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).event.body).toBe('{"a":1}');
  });

  it.each([
    ['no token', undefined],
    ['wrong audience', 'aud'],
    ['expired', 'exp'],
  ])('answers 401 {"message":"Unauthorized"} without invoking (%s)', async (_n, kind) => {
    const headers: Record<string, string> = {};
    if (kind === 'aud') headers.authorization = `Bearer ${await token({ aud: 'other' })}`;
    if (kind === 'exp') headers.authorization = `Bearer ${await idp.idp.sign({ sub: 'u', aud: model.authorizers.Authz!.audience[0] }, { expiresInSeconds: -5 })}`;
    const res = await fetch(`${api.url}/things/1`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('runs public routes without a token, CommonJS bundles, and wraps plain results', async () => {
    const pub = await fetch(`${api.url}/public`);
    expect(pub.status).toBe(200);
    expect(((await pub.json()) as any).event.requestContext.authorizer).toBeUndefined();
    const plain = await fetch(`${api.url}/plain`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ hello: 'world' });
    const text = await fetch(`${api.url}/anything/else`, { method: 'DELETE' });
    expect(await text.text()).toBe('just text');
  });

  it('answers 404 {"message":"Not Found"} when no route matches', async () => {
    const res = await fetch(`${api.url}/`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });

  it('answers 500 {"message":"Internal Server Error"} when the handler throws or answers nonsense', async () => {
    const t = await token();
    for (const p of ['/things/boom', '/things/bad']) {
      const res = await fetch(`${api.url}${p}`, { headers: { authorization: `Bearer ${t}` } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    }
  });

  it('answers 500 when the runtime exits mid-invocation, and starts a fresh one for the next request', async () => {
    const t = await token();
    const crashed = await fetch(`${api.url}/things/exit`, { headers: { authorization: `Bearer ${t}` } });
    expect(crashed.status).toBe(500);
    const next = await fetch(`${api.url}/things/after`, { headers: { authorization: `Bearer ${t}` } });
    expect(next.status).toBe(200);
  });

  it('fails an invocation that exceeds the function timeout with 500', async () => {
    const res = await fetch(`${api.url}/things/slow`, { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(500);
  }, 10_000);

  it('handles concurrent invocations of one function', async () => {
    const t = await token();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${api.url}/things/${i}`, { headers: { authorization: `Bearer ${t}` } })));
    const ids = await Promise.all(rs.map(async (r) => ((await r.json()) as any).event.pathParameters.id));
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('isolated mode: one invocation per environment, scaling out up to maxInstances, discarding timed-out ones', async () => {
    // Prepare
    const def = { ...model.functions.EchoFn!, logicalId: 'Conc', functionName: 'conc', codeDir: join(asset, 'asset.conc'), timeoutSeconds: 1 };
    const isolated = new LambdaRuntime({ functions: { Conc: def }, baseEnv: {}, region: 'eu-west-1', accountId: '0', logs: 'ignore', concurrency: { mode: 'isolated', maxInstances: 3 } });
    const shared = new LambdaRuntime({ functions: { Conc: def }, baseEnv: {}, region: 'eu-west-1', accountId: '0', logs: 'ignore' });
    try {
      // Act
      const iso = await Promise.all(Array.from({ length: 9 }, () => isolated.invoke('Conc', {})));
      const sh = await Promise.all(Array.from({ length: 9 }, () => shared.invoke('Conc', {})));
      // Assess
      expect(iso.every((o) => o.ok && (o.result as { max: number }).max === 1)).toBe(true);
      expect(new Set(iso.map((o) => (o.ok ? (o.result as { me: number }).me : 0))).size).toBe(3);
      expect(isolated.instanceCount('Conc')).toBe(3);
      expect(sh.every((o) => o.ok)).toBe(true);
      expect(Math.max(...sh.map((o) => (o.ok ? (o.result as { max: number }).max : 0)))).toBeGreaterThan(1);
      expect(shared.instanceCount('Conc')).toBe(1);
      const slow = await isolated.invoke('Conc', { sleep: 1500 });
      expect(slow).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
      expect(isolated.instanceCount('Conc')).toBe(2);
    } finally {
      await isolated.stop();
      await shared.stop();
    }
  });

  it('refuses a taken port with a clear error', async () => {
    await expect(startApiGatewayEmulator({ model, invoke: (f, e) => runtime.invoke(f, e), issuer: idp.issuer, jwks: idp.idp.jwks, accountId: '0', port: api.port })).rejects.toBeInstanceOf(PortInUseError);
  });
});
