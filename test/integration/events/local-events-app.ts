/**
 * A small CDK app for the local event source mapping tests, and the local-stack wiring that runs it
 * (the same steps as local/stack.ts: DynamoDB Local with the templates' tables, fauxqs with their
 * topics and queues, resolvers with both kinds of physical ids, then the mappings).
 *
 *   EvData: Changes (stream NEW_AND_OLD_IMAGES), Effects
 *   EvFlow: Events (SNS FIFO) ← Processor (stream-processor.ts) on the Changes stream (batch 10,
 *           bisect, 2 retries, ReportBatchItemFailures, on failure → StreamFailures, standard);
 *           ConsumerQueue (FIFO, visibility 2 s, 2 receives → ConsumerDeadLetters) subscribed raw,
 *           filtered to type ok|poison ← Consumer (queue-consumer.ts, batch 10, ReportBatchItemFailures);
 *           Audit (standard queue the processor writes to).
 * The table stream and the Effects table cross stacks (Fn::ImportValue), as the deals table does.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_CONTEXT } from '../../../infra/build-app.js';
import { ProjectFunction } from '../../../infra/constructs/project-function.js';
import { collectExports, IntrinsicResolver, type CfnTemplate, type StackEnv } from '../../../local/apigw/cfn.js';
import { localClientConfig, startDynamoDbLocal, type DynamoDbLocal } from '../../../local/dynamodb/launch.js';
import { createTablesFromTemplate } from '../../../local/dynamodb/tables.js';
import type { EventFaults } from '../../../local/events/fauxqs.js';
import { LocalEvents, type RunningMappings } from '../../../local/events/stack.js';
import type { EventBus } from '../../../local/events/provision.js';

const FIXTURES = 'test/integration/events/fixtures';

export interface SynthesizedApp {
  assemblyDir: string;
  stacks: { name: string; template: CfnTemplate }[];
}

/** Builds and synthesizes the test app (bundling the two fixture handlers with esbuild). */
export function synthesizeEventsApp(outdir: string, options: { bundle?: boolean } = {}): SynthesizedApp {
  mkdirSync(outdir, { recursive: true });
  const app = new App({
    outdir,
    context: { ...DEFAULT_CONTEXT, ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}) },
  });
  const data = new Stack(app, 'EvData');
  const changes = new dynamodb.Table(data, 'Changes', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const effects = new dynamodb.Table(data, 'Effects', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const flow = new Stack(app, 'EvFlow');
  const topic = new sns.Topic(flow, 'Events', { fifo: true, contentBasedDeduplication: false });
  const streamFailures = new sqs.Queue(flow, 'StreamFailures');
  const audit = new sqs.Queue(flow, 'Audit');
  const processor = new ProjectFunction(flow, 'Processor', {
    entry: `${FIXTURES}/stream-processor.ts`,
    timeout: Duration.seconds(5),
    environment: { TOPIC_ARN: topic.topicArn, AUDIT_QUEUE_URL: audit.queueUrl },
  });
  processor.bind(effects, { envVar: 'EFFECTS_TABLE_NAME', access: 'readWrite' });
  processor.addEventSource(
    new DynamoEventSource(changes, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      bisectBatchOnError: true,
      retryAttempts: 2,
      reportBatchItemFailures: true,
      maxRecordAge: Duration.hours(1),
      onFailure: new SqsDlq(streamFailures),
    }),
  );

  const deadLetters = new sqs.Queue(flow, 'ConsumerDeadLetters', { fifo: true });
  const queue = new sqs.Queue(flow, 'ConsumerQueue', {
    fifo: true,
    visibilityTimeout: Duration.seconds(2),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 2 },
  });
  topic.addSubscription(
    new SqsSubscription(queue, {
      rawMessageDelivery: true,
      filterPolicy: { type: sns.SubscriptionFilter.stringFilter({ allowlist: ['ok', 'poison'] }) },
    }),
  );
  const consumer = new ProjectFunction(flow, 'Consumer', { entry: `${FIXTURES}/queue-consumer.ts`, timeout: Duration.seconds(2) });
  consumer.bind(effects, { envVar: 'EFFECTS_TABLE_NAME', access: 'readWrite' });
  consumer.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));

  const assembly = app.synth();
  // EvData exports what EvFlow imports: deployment order.
  const order = ['EvData', 'EvFlow'];
  return {
    assemblyDir: assembly.directory,
    stacks: order.map((name) => ({ name, template: assembly.getStackByName(name).template as CfnTemplate })),
  };
}

export interface RunningEventsApp {
  ddb: DynamoDbLocal;
  client: DynamoDBClient;
  events: LocalEvents;
  bus: EventBus;
  mappings: RunningMappings;
  /** Table logical id → local name. */
  tables: Record<string, string>;
  /** Everything the mappings and the functions logged. */
  logs: string[];
  stop(): Promise<void>;
}

/** Runs `app` the way the local stack runs the real one. */
export async function runEventsApp(app: SynthesizedApp, workDir: string, options: { faults?: EventFaults } = {}): Promise<RunningEventsApp> {
  const env: StackEnv = { region: 'us-east-1', accountId: '000000000000', partition: 'aws' };
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient(localClientConfig(ddb.endpoint));
  const events = await LocalEvents.start({ stacks: app.stacks, env, log, ...(options.faults ? { faults: options.faults } : {}) });
  const exportsMap: Record<string, string> = {};
  const tables: Record<string, string> = {};
  const resolvers = new Map<string, IntrinsicResolver>();
  for (const s of app.stacks) {
    const tableIds = await createTablesFromTemplate(client, s.template);
    Object.assign(tables, tableIds);
    const resolver = new IntrinsicResolver({
      template: s.template,
      stackName: s.name,
      env,
      physicalIds: { ...tableIds, ...events.physicalIds(s.name) },
      exports: exportsMap,
    });
    collectExports([{ template: s.template, resolver }], exportsMap);
    resolvers.set(s.name, resolver);
  }
  const bus = await events.provision(resolvers);
  const functionLogs = join(workDir, 'lambda.log');
  const sink = createWriteStream(functionLogs);
  const mappings = await events.startMappings({
    assemblyDir: app.assemblyDir,
    dynamodbEndpoint: ddb.endpoint,
    baseEnv: {
      AWS_REGION: env.region,
      AWS_DEFAULT_REGION: env.region,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: '',
    },
    logs: sink,
  });
  return {
    ddb,
    client,
    events,
    bus,
    mappings,
    tables,
    logs,
    async stop() {
      await events.stop();
      await new Promise<void>((resolve) => sink.end(() => resolve()));
      client.destroy();
      await ddb.stop();
    },
  };
}
