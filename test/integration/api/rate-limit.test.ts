import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_RATE_LIMIT_ENV_VARS } from '../../../infra/api/routes.js';
import { apiClient, type ApiRequest } from '../../../local/client.js';
import { collectExports, IntrinsicResolver, type CfnTemplate } from '../../../local/apigw/cfn.js';
import { startLocalIdp, type LocalIdp } from '../../../local/apigw/idp-server.js';
import { LambdaRuntime } from '../../../local/apigw/lambda-runtime.js';
import { buildApiModel } from '../../../local/apigw/model.js';
import { startApiGatewayEmulator, type ApiGatewayEmulator } from '../../../local/apigw/server.js';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import type { LocalStackDescriptor } from '../../../local/stack.js';
import { useLocalStack } from '../../support/local-stack.js';

const stack = useLocalStack();

/**
 * The local stack's own API, as synthesized (the very bundles, routes, JWT authorizer and tables), served
 * a second time with a low per-client limit, the way a deployment would set it, and with an identity
 * provider of its own, so the test can sign tokens for callers nobody else uses. The local stack itself
 * runs with a limit no test reaches (its dev tokens are shared by every test file).
 */
interface LimitedApi {
  api: ApiRequest;
  tokenFor(sub: string): Promise<string>;
  close(): Promise<void>;
}

async function serveWithLimit(d: LocalStackDescriptor, limit: { requests: number; windowSeconds: number }): Promise<LimitedApi> {
  const assembly = new CloudAssembly(d.cloudAssembly);
  const env = { region: d.region, accountId: d.awsAccountId, partition: 'aws' };
  const exports: Record<string, string> = {};
  const pending = [...assembly.stacks];
  let apiStack: { template: CfnTemplate; resolver: IntrinsicResolver } | undefined;
  // Exporting stacks first, as the local stack deploys them.
  while (pending.length > 0) {
    const index = pending.findIndex((s) => s.dependencies.every((dep) => !pending.some((p) => p.id === dep.id)));
    const [artifact] = pending.splice(index === -1 ? 0 : index, 1);
    const template = artifact!.template as CfnTemplate;
    const resolver = new IntrinsicResolver({ template, stackName: artifact!.stackName, env, physicalIds: d.tables, exports });
    collectExports([{ template, resolver }], exports);
    if (Object.values(template.Resources ?? {}).some((r) => r.Type === 'AWS::ApiGatewayV2::Api')) apiStack = { template, resolver };
  }
  if (!apiStack) throw new Error('the local stack has no HTTP API');
  const model = buildApiModel({ ...apiStack, assemblyDir: d.cloudAssembly });
  for (const fn of Object.values(model.functions)) {
    if (CLIENT_RATE_LIMIT_ENV_VARS.requests in fn.environment) {
      fn.environment[CLIENT_RATE_LIMIT_ENV_VARS.requests] = String(limit.requests);
      fn.environment[CLIENT_RATE_LIMIT_ENV_VARS.windowSeconds] = String(limit.windowSeconds);
    }
  }
  const idp: LocalIdp = await startLocalIdp();
  const runtime = new LambdaRuntime({
    functions: model.functions,
    region: d.region,
    accountId: d.awsAccountId,
    logs: 'ignore',
    baseEnv: {
      AWS_REGION: d.region,
      AWS_DEFAULT_REGION: d.region,
      AWS_ENDPOINT_URL_DYNAMODB: d.dynamodbEndpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: '',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_XRAY_SDK_ENABLED: 'false',
    },
  });
  const emulator: ApiGatewayEmulator = await startApiGatewayEmulator({
    model,
    invoke: (fn, event) => runtime.invoke(fn, event),
    issuer: idp.issuer,
    jwks: idp.idp.jwks,
    accountId: d.awsAccountId,
  });
  return {
    api: apiClient(emulator.url),
    tokenFor: (sub) =>
      idp.idp.sign(
        { sub, aud: d.audience, token_use: 'id', 'cognito:groups': ['deal_manager'], 'custom:account_ids': d.accountId },
        { expiresInSeconds: 600 },
      ),
    close: async () => {
      await emulator.close();
      await runtime.stop();
      await idp.close();
    },
  };
}

describe('per-client rate limit through the local HTTP API and DynamoDB Local', () => {
  const WINDOW_SECONDS = 3600;
  let limited: LimitedApi;

  beforeAll(async () => {
    limited = await serveWithLimit(stack.d, { requests: 3, windowSeconds: WINDOW_SECONDS });
  }, 60_000);

  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 rate_limited with Retry-After after the limit for one caller, while another caller still passes', async () => {
    const list = (token: string) => limited.api('GET', `/deals?accountId=${stack.d.accountId}`, { token });
    const windowNow = () => Math.floor(Date.now() / 1000 / WINDOW_SECONDS);
    // The four requests must fall in one window; if an hour boundary fell between them, run again (once).
    for (let attempt = 1; ; attempt++) {
      // Prepare
      const [alice, bob] = [await limited.tokenFor(`it-${randomUUID()}`), await limited.tokenFor(`it-${randomUUID()}`)];
      const window = windowNow();
      // Act
      const within = [await list(alice), await list(alice), await list(alice)];
      const over = await list(alice);
      const other = await list(bob);
      if (windowNow() !== window && attempt === 1) continue;
      // Assess
      expect(within.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS);
      expect(over.body.error).toMatchObject({ code: 'rate_limited', limit: 3, windowSeconds: WINDOW_SECONDS });
      expect(over.body.error.retryAfterSeconds).toBe(Number(over.headers.get('retry-after')));
      expect(over.headers.get('x-correlation-id')).toBeTruthy();
      expect(other.status).toBe(200);
      return;
    }
  });

  it('never limits public routes: a caller over its limit still gets /health', async () => {
    // Prepare
    const token = await limited.tokenFor(`it-${randomUUID()}`);
    for (let i = 0; i < 4; i++) await limited.api('GET', `/deals?accountId=${stack.d.accountId}`, { token });
    // Act
    const health = await limited.api('GET', '/health', { token });
    // Assess
    expect(health.status).toBe(200);
  });
});

describe('the local stack as synthesized', () => {
  it('counts each signed-in caller in the rate-limit table of DynamoDB Local', async () => {
    // Prepare
    const table = Object.entries(stack.d.tables).find(([logicalId]) => logicalId.startsWith('RateLimit'))?.[1];
    expect(table, JSON.stringify(stack.d.tables)).toBeDefined();
    const sub = stack.d.users.finance.sub;
    // Act
    const answer = await stack.api('GET', `/deals?accountId=${stack.d.accountId}`, { token: stack.d.tokens.finance });
    // Assess
    expect(answer.status).toBe(200);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(stack.d.dynamodbEndpoint)));
    try {
      const counters = await doc.send(
        new ScanCommand({ TableName: table, FilterExpression: 'contains(pk, :sub)', ExpressionAttributeValues: { ':sub': `#CLIENT#${sub}` }, ConsistentRead: true }),
      );
      expect(counters.Items?.length).toBeGreaterThanOrEqual(1);
      for (const item of counters.Items ?? []) {
        expect(item.requests).toBeGreaterThanOrEqual(1);
        expect(item.expiresAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      }
    } finally {
      doc.destroy();
    }
  });
});
