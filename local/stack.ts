/**
 * The local stack: synthesizes the CDK app in-process, starts DynamoDB Local, creates the tables the
 * templates declare, and serves the HTTP API from the synthesized template with the very handler
 * bundles CDK built into cdk.out; then (unless `bidding: false`) the bidding part from
 * local/bidding/stack.ts: Redis, kinesalite with the bid-events stream and the spend consumer,
 * simulated DSPs and the bidder as a child process; then change data capture (local/events/): the
 * templates' SNS topics and SQS queues in fauxqs, and every event source mapping (the deals stream →
 * change processor, consumer queues → consumers) on the bundled functions. No Docker, no AWS.
 *
 * Order: synth → DynamoDB Local + tables, fauxqs + topics/queues → API → seed (demo data, bidding demo
 * deal) → bidding part → event source mappings → descriptor. stop() undoes it in reverse: mappings and
 * their functions, bidder, spend consumer, DSPs, kinesalite, Redis, API side, fauxqs, DynamoDB Local.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { collectExports, IntrinsicResolver, type CfnTemplate, type StackEnv } from './apigw/cfn.js';
import { synthesize } from './synth.js';
import { startLocalIdp } from './apigw/idp-server.js';
import { LambdaRuntime } from './apigw/lambda-runtime.js';
import { buildApiModel, type ApiModel } from './apigw/model.js';
import { PortInUseError, startApiGatewayEmulator } from './apigw/server.js';
import type { DspFleetOptions } from './bidding/stack.js';
import type { EventFaults } from './events/fauxqs.js';
import type { EnvironmentAdjustments } from './events/functions.js';
import { DEMO_ACCOUNT_ID, OTHER_ACCOUNT_ID, signDevTokens, TOKEN_LIFETIME_SECONDS, type TokenName } from './tokens.js';

import { DEFAULT_DESCRIPTOR_PATH, STATE_DIR, type LocalStackDescriptor } from './descriptor.js';

export { DEFAULT_DESCRIPTOR_PATH, REPO_ROOT, STATE_DIR, type LocalStackDescriptor } from './descriptor.js';

export interface StartLocalStackOptions {
  /** API port on 127.0.0.1; 0 = a free one. @default 0 */
  port?: number;
  /** Create demo data through the API after start. */
  seed?: boolean;
  /** Cloud assembly directory. @default .dealdesk/cdk.out */
  outdir?: string;
  /** Where to write the descriptor; false = do not write. @default .dealdesk/local.json */
  descriptorPath?: string | false;
  /** Lambda logs: a file path, 'inherit' (this process's stdout) or 'ignore'. @default .dealdesk/logs/lambda.log */
  lambdaLogs?: string | 'inherit' | 'ignore';
  /** DynamoDB Local port; 0 = a free one. @default 0 */
  dynamodbPort?: number;
  /** Progress messages. @default silent */
  log?: (line: string) => void;
  /** One line per API request. */
  accessLog?: (line: string) => void;
  /**
   * Lambda concurrency: 0/undefined = one environment per function serving concurrent invocations;
   * N > 0 = Lambda-like isolation, one invocation per environment, up to N environments per function.
   */
  lambdaInstances?: number;
  /**
   * The bidding part (Redis, kinesalite + bid-events stream + spend consumer, simulated DSPs, the
   * bidder); false skips it. @default on
   */
  bidding?: false | BiddingPartOptions;
  /** Create only the bidding demo data (an approved, active deal bidding on 300x250); `seed` implies it. */
  seedBidding?: boolean;
  /** Faults the local SNS/SQS emulator injects, for tests and benchmarks (e.g. a topic refusing some messages). */
  eventFaults?: EventFaults;
}

export interface BiddingPartOptions {
  /** Bidder port on 127.0.0.1; 0 = a free one. @default 0 */
  bidderPort?: number;
  /** Simulated DSPs: count, latency spread, bid, error and timeout rates. @default the 5-DSP fleet, 10-90 ms */
  dsps?: DspFleetOptions;
  /** Bidder output: a file path, 'inherit' or 'ignore'. @default .dealdesk/logs/bidder.log */
  bidderLogs?: string | 'inherit' | 'ignore';
  /** Line-item refresh interval of the bidder, ms. @default 5000 */
  lineItemRefreshMs?: number;
}


export interface LocalStack {
  apiUrl: string;
  accountId: string;
  tokens: Record<TokenName, string>;
  descriptor: LocalStackDescriptor;
  model: ApiModel;
  /** Resolves once the spend consumer has read the bid-events stream to its end (no-op without bidding). */
  spendCaughtUp(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every table stream with a mapping has been read to its end and every consumer queue
   * is empty, with no invocation in flight (change processor and consumers done). Default 30 s.
   */
  changesCaughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export class LocalStackError extends Error {}

function checkJava(): void {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new LocalStackError(
      'Java is not installed (or not on PATH): DynamoDB Local needs a Java runtime (17+). ' +
        'Install it with `apt-get install -y openjdk-17-jre-headless`, or run `./dev start`, which does.',
    );
  }
}

async function checkPortFree(port: number): Promise<void> {
  if (!port) return;
  await new Promise<void>((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolvePort()));
  });
}

/**
 * Event functions whose environment points at the bidding Redis (ElastiCache in AWS; the line-item
 * consumer, functions/events/line-items-config.ts) get the bidding part's Redis instead: loopback,
 * plain TCP, no AUTH, no replica to wait for. Without the bidding part there is no Redis: a function
 * declaring REDIS_HOST is not run.
 */
function localRedisEnvironment(redisUrl: string | undefined): EnvironmentAdjustments {
  if (!redisUrl) return { unavailable: { REDIS_HOST: 'there is no local Redis (the bidding part is off)' } };
  const url = new URL(redisUrl);
  return {
    envOverrides: {
      REDIS_HOST: url.hostname,
      REDIS_PORT: url.port || '6379',
      REDIS_TLS: 'false',
      REDIS_AUTH: null,
      REDIS_AUTH_SECRET_ARN: null,
      REDIS_REPLICAS_TO_ACK: '0',
    },
  };
}

export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const port = options.port ?? 0;
  const outdir = resolve(options.outdir ?? join(STATE_DIR, 'cdk.out'));
  const region = process.env.AWS_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1';
  const awsAccountId = '000000000000';
  const env: StackEnv = { region, accountId: awsAccountId, partition: 'aws' };

  checkJava();
  await checkPortFree(port);

  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        log(`cleanup failed: ${(err as Error).message}`);
      }
    }
  };

  try {
    const t0 = Date.now();
    log(`synthesizing the CDK app into ${outdir} …`);
    mkdirSync(outdir, { recursive: true });
    const synth = await synthesize(outdir);
    log(`synthesized ${synth.stacks.map((s) => s.name).join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const { startDynamoDbLocal, localClientConfig } = await import('./dynamodb/launch.js');
    const { createTablesFromTemplate } = await import('./dynamodb/tables.js');
    const t1 = Date.now();
    const ddb = await startDynamoDbLocal({ port: options.dynamodbPort ?? 0 });
    cleanups.push(() => ddb.stop());
    log(`DynamoDB Local at ${ddb.endpoint} (${Date.now() - t1} ms)`);

    const client = new DynamoDBClient(localClientConfig(ddb.endpoint));
    cleanups.push(() => client.destroy());

    // Topics and queues get their local physical ids before the resolvers are made, so functions'
    // environments and the exports between stacks point at fauxqs.
    const { LocalEvents } = await import('./events/stack.js');
    const events = await LocalEvents.start({ stacks: synth.stacks, env, log, ...(options.eventFaults ? { faults: options.eventFaults } : {}) });
    cleanups.push(() => events.stop());

    const exportsMap: Record<string, string> = {};
    const tables: Record<string, string> = {};
    const resolvers: { name: string; template: CfnTemplate; resolver: IntrinsicResolver }[] = [];
    for (const s of synth.stacks) {
      const hasTables = Object.values(s.template.Resources ?? {}).some((r) => r.Type === 'AWS::DynamoDB::Table');
      const tableIds = hasTables ? await createTablesFromTemplate(client, s.template) : {};
      Object.assign(tables, tableIds);
      const physicalIds = { ...tableIds, ...events.physicalIds(s.name) };
      const resolver = new IntrinsicResolver({ template: s.template, stackName: s.name, env, physicalIds, exports: exportsMap });
      collectExports([{ template: s.template, resolver }], exportsMap);
      resolvers.push({ ...s, resolver });
    }
    log(`tables: ${Object.values(tables).join(', ') || '(none)'}`);
    const bus = await events.provision(new Map(resolvers.map((r) => [r.name, r.resolver])));
    log(`SNS/SQS (fauxqs) at ${events.endpoint}: ${bus.topics.length} topic(s), ${bus.queues.length} queue(s), ${bus.subscriptions.length} subscription(s)`);

    const apiStack = resolvers.find((r) => Object.values(r.template.Resources ?? {}).some((x) => x.Type === 'AWS::ApiGatewayV2::Api'));
    if (!apiStack) throw new LocalStackError('no stack of the app defines an AWS::ApiGatewayV2::Api');
    const model = buildApiModel({
      template: apiStack.template,
      resolver: apiStack.resolver,
      assemblyDir: synth.assemblyDir,
      warn: (m) => log(`warning: ${m}`),
    });
    const authorizer = Object.values(model.authorizers)[0];
    const audience = authorizer?.audience[0];
    if (!authorizer || !audience) throw new LocalStackError('the HTTP API has no JWT authorizer with an audience');

    const idp = await startLocalIdp();
    cleanups.push(() => idp.close());

    let lambdaLogs: WriteStream | 'inherit' | 'ignore';
    let lambdaLogsLabel: string;
    if (options.lambdaLogs === 'inherit' || options.lambdaLogs === 'ignore') {
      lambdaLogs = options.lambdaLogs;
      lambdaLogsLabel = options.lambdaLogs;
    } else {
      const file = resolve(options.lambdaLogs ?? join(STATE_DIR, 'logs', 'lambda.log'));
      mkdirSync(dirname(file), { recursive: true });
      const stream = createWriteStream(file, { flags: 'w' });
      cleanups.push(() => new Promise<void>((r) => stream.end(() => r())));
      lambdaLogs = stream;
      lambdaLogsLabel = file;
    }
    const lambdaConcurrency = options.lambdaInstances
      ? ({ mode: 'isolated', maxInstances: options.lambdaInstances } as const)
      : ({ mode: 'shared' } as const);
    const lambdaBaseEnv: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: '',
      // No X-Ray daemon locally; Powertools metrics still print EMF lines to the log.
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_XRAY_SDK_ENABLED: 'false',
    };
    const runtime = new LambdaRuntime({
      functions: model.functions,
      region,
      accountId: awsAccountId,
      logs: lambdaLogs,
      concurrency: lambdaConcurrency,
      baseEnv: lambdaBaseEnv,
    });
    cleanups.push(() => runtime.stop());

    const emulator = await startApiGatewayEmulator({
      model,
      invoke: (fn, event) => runtime.invoke(fn, event),
      issuer: idp.issuer,
      jwks: idp.idp.jwks,
      accountId: awsAccountId,
      port,
      accessLog: options.accessLog,
      debugLog: (m) => log(`apigw: ${m}`),
    });
    cleanups.push(() => emulator.close());

    const signed = await signDevTokens(idp.idp, audience);
    const descriptor: LocalStackDescriptor = {
      apiUrl: emulator.url,
      accountId: DEMO_ACCOUNT_ID,
      otherAccountId: OTHER_ACCOUNT_ID,
      region,
      awsAccountId,
      tokens: signed.tokens,
      users: signed.users,
      invalidTokens: signed.invalidTokens,
      tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      tokensExpireAt: new Date(Date.now() + TOKEN_LIFETIME_SECONDS * 1000).toISOString(),
      issuer: idp.issuer,
      jwksUrl: idp.jwksUrl,
      audience,
      templateIssuer: authorizer.templateIssuer,
      dynamodbEndpoint: ddb.endpoint,
      tables,
      routes: model.routes.map((r) => r.routeKey),
      functions: Object.fromEntries(
        Object.values(model.functions).map((f) => [f.logicalId, { functionName: f.functionName, codeDir: f.codeDir }]),
      ),
      cloudAssembly: synth.assemblyDir,
      stacks: synth.stacks.map((s) => s.name),
      lambdaLogs: lambdaLogsLabel,
      lambdaConcurrency: options.lambdaInstances ? `isolated:${options.lambdaInstances}` : 'shared',
      pid: process.pid,
      startedAt: new Date().toISOString(),
      eventsEndpoint: events.endpoint,
      eventConsumers: {},
      eventQueues: {},
      eventMappings: [],
    };
    log(`API at ${emulator.url} (${model.routes.length} routes, ${Object.keys(model.functions).length} functions)`);

    // Seed before the bidder starts, so its first line-item load already has the demo campaigns.
    if (options.seed) {
      const { seedDemoData } = await import('./seed.js');
      await seedDemoData(descriptor, { log });
    }
    if (options.seed || options.seedBidding) {
      const { seedBiddingDemoData } = await import('./bidding/seed.js');
      descriptor.biddingDemo = await seedBiddingDemoData(descriptor, { log });
    }

    let spendCaughtUp: LocalStack['spendCaughtUp'] = async () => {};
    if (options.bidding !== false) {
      const b = options.bidding ?? {};
      const { startBidding } = await import('./bidding/stack.js');
      let bidderLogs = b.bidderLogs ?? join(STATE_DIR, 'logs', 'bidder.log');
      if (bidderLogs !== 'inherit' && bidderLogs !== 'ignore') bidderLogs = resolve(bidderLogs);
      const bidding = await startBidding({
        templates: synth.stacks,
        tables,
        dynamodbEndpoint: ddb.endpoint,
        region,
        bidderPort: b.bidderPort ?? 0,
        ...(b.dsps ? { dsps: b.dsps } : {}),
        bidderLogs,
        ...(b.lineItemRefreshMs ? { lineItemRefreshMs: b.lineItemRefreshMs } : {}),
        log,
      });
      // Stopped first (cleanups run last-in first-out): bidder, poller, DSPs, kinesalite, Redis.
      cleanups.push(() => bidding.stop());
      Object.assign(descriptor, bidding.descriptor);
      spendCaughtUp = (timeoutMs) => bidding.spendCaughtUp(timeoutMs);
    }

    // After the bidding part: a consumer in the bidding stack needs its Redis. Stopped first.
    const mappings = await events.startMappings({
      assemblyDir: synth.assemblyDir,
      dynamodbEndpoint: ddb.endpoint,
      baseEnv: lambdaBaseEnv,
      logs: lambdaLogs,
      concurrency: lambdaConcurrency,
      ...localRedisEnvironment(descriptor.redisUrl),
    });
    cleanups.push(() => mappings.stop());
    Object.assign(descriptor, events.descriptor());

    const descriptorPath = options.descriptorPath === undefined ? DEFAULT_DESCRIPTOR_PATH : options.descriptorPath;
    if (descriptorPath) {
      mkdirSync(dirname(descriptorPath), { recursive: true });
      writeFileSync(descriptorPath, `${JSON.stringify(descriptor, null, 2)}\n`, { mode: 0o600 });
    }

    let stopped: Promise<void> | undefined;
    const stack: LocalStack = {
      apiUrl: emulator.url,
      accountId: DEMO_ACCOUNT_ID,
      tokens: signed.tokens,
      descriptor,
      model,
      spendCaughtUp,
      changesCaughtUp: (timeoutMs) => mappings.caughtUp(timeoutMs),
      stop: () => (stopped ??= stopAll()),
    };
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
