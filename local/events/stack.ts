/**
 * The change-data-capture part of the local stack, read from the synthesized templates: SNS topics,
 * SQS queues and subscriptions in fauxqs on loopback, and every Lambda event source mapping run
 * with Lambda's semantics on the very bundles CDK built (a DynamoDB table's stream through
 * DynamoDB Local's Streams API, or an SQS queue).
 *
 * Three steps, because the rest of the local stack sits between them:
 *  1. `startEventBus` (before the stacks' IntrinsicResolvers are made): fauxqs, the topology, and
 *     the physical ids (queue URLs, topic ARNs) those resolvers must return;
 *  2. `provision(resolvers)`: the topics, queues and subscriptions, wired by resolved ARNs;
 *  3. `startMappings(…)` (after the bidding part, whose Redis a consumer may need): the functions and
 *     their mappings. `stop()` stops the mappings, then the functions, then fauxqs.
 */
import type { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IntrinsicResolver, StackEnv } from '../apigw/cfn.js';
import { LambdaRuntime, type LambdaRuntimeOptions } from '../apigw/lambda-runtime.js';
import type { FunctionDef } from '../apigw/model.js';
import { localClientConfig } from '../dynamodb/launch.js';
import { DynamoDbStreamReader } from '../dynamodb/stream.js';
import { startDynamoDbStreamMapping } from './dynamodb-mapping.js';
import { dynamoDbFailureRecord, failureDestination, type FailureDestination } from './failure-destination.js';
import { emulatorClients, startEventsEmulator, type EventFaults, type EventsEmulator } from './fauxqs.js';
import { eventFunction, type EnvironmentAdjustments } from './functions.js';
import type { SourcePoller } from './pollers.js';
import { provisionTopology, type EventBus } from './provision.js';
import { startSqsMapping } from './sqs-mapping.js';
import { physicalIdsOf, readEventTopology, type EventTopology, type MappingDef, type StackTemplate } from './topology.js';

/** Descriptor fields (.dealdesk/local.json) of this part. */
export interface EventsDescriptor {
  /** fauxqs: SNS and SQS on one endpoint. */
  eventsEndpoint: string;
  /** The topic the change processor publishes to (its DOMAIN_EVENTS_TOPIC_ARN; else the app's only topic). */
  domainEventsTopicArn?: string;
  /** Where the processor puts records it could not publish (its CHANGE_DEAD_LETTER_QUEUE_URL). */
  changeDeadLetterQueueUrl?: string;
  /**
   * Consumer (EVENT_CONSUMER_NAME, else the function's logical id) → its queue, dead-letter queue and
   * function; `running` false when its function cannot run locally (see the start-up warnings).
   */
  eventConsumers: Record<string, { queueUrl: string; deadLetterQueueUrl?: string; functionName: string; running: boolean }>;
  /** Every queue of the app: name → URL. */
  eventQueues: Record<string, string>;
  /** The mappings running: `<stack>/<logicalId>: <source> → <function>`. */
  eventMappings: string[];
}

export interface StartMappingsOptions extends EnvironmentAdjustments {
  /** The cloud assembly directory (cdk.out) the functions' assets are in. */
  assemblyDir: string;
  dynamodbEndpoint: string;
  /** The environment every local function gets (region, credentials, DynamoDB endpoint …); SNS/SQS endpoints are added. */
  baseEnv: Record<string, string>;
  /** Where the functions' output goes (the same place as the API functions'). */
  logs: Writable | 'inherit' | 'ignore';
  concurrency?: LambdaRuntimeOptions['concurrency'];
  /** How often an idle stream shard is polled. @default 100 ms */
  pollIntervalMs?: number;
}

export interface RunningMappings {
  /** Resolves once every stream was read to its end and every mapped queue is empty, with nothing in flight (twice in a row). */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface Plan {
  mapping: MappingDef;
  name: string;
  functionKey: string;
  def: FunctionDef;
  source: { kind: 'dynamodb'; tableName: string } | { kind: 'sqs'; url: string; arn: string };
  destination: FailureDestination | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LocalEvents {
  private bus: EventBus | undefined;
  private resolvers: ReadonlyMap<string, IntrinsicResolver> | undefined;
  private running: RunningMappings | undefined;
  private readonly clients;
  private readonly mappingsRun: string[] = [];
  /** `<stack>/<logicalId>` of the mappings running. */
  private readonly runningIds = new Set<string>();
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly emulator: EventsEmulator,
    readonly topology: EventTopology,
    private readonly stacks: StackTemplate[],
    private readonly env: StackEnv,
    private readonly log: (line: string) => void,
  ) {
    this.clients = emulatorClients(emulator.endpoint, env.region);
  }

  /** Step 1: fauxqs on 127.0.0.1 and the topology of `stacks`; warnings are logged. */
  static async start(options: {
    stacks: StackTemplate[];
    env: StackEnv;
    port?: number;
    /** Faults the emulator injects (tests, benchmarks). */
    faults?: EventFaults;
    log?: (line: string) => void;
  }): Promise<LocalEvents> {
    const log = options.log ?? (() => {});
    const topology = readEventTopology(options.stacks, options.env);
    for (const w of topology.warnings) log(`warning: ${w}`);
    const emulator = await startEventsEmulator({ port: options.port ?? 0, region: options.env.region, ...(options.faults ? { faults: options.faults } : {}) });
    return new LocalEvents(emulator, topology, options.stacks, options.env, log);
  }

  get endpoint(): string {
    return this.emulator.endpoint;
  }

  /** Physical ids of one stack's topics and queues, for its IntrinsicResolver. */
  physicalIds(stack: string): Record<string, string> {
    return physicalIdsOf(this.topology, this.emulator.endpoint, this.env)[stack] ?? {};
  }

  /** Step 2: the topics, queues and subscriptions, in fauxqs. `resolvers`: stack name → resolver. */
  async provision(resolvers: ReadonlyMap<string, IntrinsicResolver>): Promise<EventBus> {
    this.resolvers = resolvers;
    this.bus = await provisionTopology({
      topology: this.topology,
      resolvers,
      endpoint: this.emulator.endpoint,
      env: this.env,
      sns: this.clients.sns,
      sqs: this.clients.sqs,
      warn: (m) => this.log(`warning: ${m}`),
    });
    return this.bus;
  }

  /** Step 3: the functions of the event source mappings, and the mappings. */
  async startMappings(options: StartMappingsOptions): Promise<RunningMappings> {
    const { bus, resolvers } = this.provisioned();
    const warn = (m: string) => this.log(`warning: ${m}`);
    const plans: Plan[] = [];
    const functions: Record<string, FunctionDef> = {};
    for (const mapping of this.topology.mappings) {
      const plan = this.plan(mapping, options, bus, resolvers, warn);
      if (!plan) continue;
      functions[plan.functionKey] = plan.def;
      plans.push(plan);
    }
    const runtime = new LambdaRuntime({
      functions,
      region: this.env.region,
      accountId: this.env.accountId,
      logs: options.logs,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      baseEnv: { ...options.baseEnv, AWS_ENDPOINT_URL_SNS: this.emulator.endpoint, AWS_ENDPOINT_URL_SQS: this.emulator.endpoint },
    });
    const dynamodb = new DynamoDBClient(localClientConfig(options.dynamodbEndpoint));
    const pollers: SourcePoller[] = [];
    const stopAll = async () => {
      await Promise.all(pollers.map((p) => p.stop()));
      await runtime.stop();
      dynamodb.destroy();
    };
    try {
      for (const plan of plans) {
        pollers.push(await this.startPoller(plan, runtime, dynamodb, options));
        this.runningIds.add(plan.name);
        this.mappingsRun.push(`${plan.name}: ${plan.source.kind === 'sqs' ? plan.source.url : `table ${plan.source.tableName} stream`} → ${plan.def.functionName}`);
      }
    } catch (err) {
      await stopAll();
      throw err;
    }
    this.log(`event source mappings: ${this.mappingsRun.length ? this.mappingsRun.join('; ') : '(none)'}`);
    let stopping: Promise<void> | undefined;
    this.running = {
      caughtUp: (timeoutMs = 30_000) => caughtUp(pollers, timeoutMs),
      stop: () => (stopping ??= stopAll()),
    };
    return this.running;
  }

  /** This part's descriptor fields (after `provision`). */
  descriptor(): EventsDescriptor {
    const { bus, resolvers } = this.provisioned();
    const envOf = (stack: string, logicalId: string, name: string): string | undefined => {
      const raw = (this.templateOf(stack).Resources?.[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables?.[name];
      if (raw === undefined) return undefined;
      try {
        return String(resolvers.get(stack)?.resolve(raw));
      } catch {
        return undefined;
      }
    };
    const everyFunctionEnv = (name: string): string | undefined => {
      for (const { name: stack, template } of this.stacks) {
        for (const [id, r] of Object.entries(template.Resources ?? {})) {
          if (r.Type !== 'AWS::Lambda::Function') continue;
          const value = envOf(stack, id, name);
          if (value) return value;
        }
      }
      return undefined;
    };
    const consumers: EventsDescriptor['eventConsumers'] = {};
    for (const m of this.topology.mappings) {
      const source = this.resolve(m.stack, m.eventSourceArn);
      const queue = source ? bus.queueByArn(source) : undefined;
      if (!queue || !m.functionLogicalId) continue;
      const dlq = queue.deadLetterQueueArn ? bus.queueByArn(queue.deadLetterQueueArn) : undefined;
      consumers[envOf(m.stack, m.functionLogicalId, 'EVENT_CONSUMER_NAME') ?? m.functionLogicalId] = {
        queueUrl: queue.url,
        ...(dlq ? { deadLetterQueueUrl: dlq.url } : {}),
        functionName: resolvers.get(m.stack)?.physicalId(m.functionLogicalId) ?? m.functionLogicalId,
        running: this.runningIds.has(`${m.stack}/${m.logicalId}`),
      };
    }
    const topicArn = everyFunctionEnv('DOMAIN_EVENTS_TOPIC_ARN') ?? (bus.topics.length === 1 ? bus.topics[0]!.arn : undefined);
    const changeDeadLetterQueueUrl = everyFunctionEnv('CHANGE_DEAD_LETTER_QUEUE_URL');
    return {
      eventsEndpoint: this.emulator.endpoint,
      ...(topicArn ? { domainEventsTopicArn: topicArn } : {}),
      ...(changeDeadLetterQueueUrl ? { changeDeadLetterQueueUrl } : {}),
      eventConsumers: consumers,
      eventQueues: Object.fromEntries(bus.queues.map((q) => [q.name, q.url])),
      eventMappings: [...this.mappingsRun],
    };
  }

  /** Stops the mappings (if started), then fauxqs. */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      await this.running?.stop();
      this.clients.destroy();
      await this.emulator.stop();
    })());
  }

  private provisioned(): { bus: EventBus; resolvers: ReadonlyMap<string, IntrinsicResolver> } {
    if (!this.bus || !this.resolvers) throw new Error('provision() the event topology first');
    return { bus: this.bus, resolvers: this.resolvers };
  }

  private templateOf(stack: string) {
    const found = this.stacks.find((s) => s.name === stack);
    if (!found) throw new Error(`no stack ${stack}`);
    return found.template;
  }

  private resolve(stack: string, value: unknown): string | undefined {
    try {
      const v = this.resolvers?.get(stack)?.resolve(value);
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** What one mapping needs to run, or undefined (with a warning saying why not). */
  private plan(
    mapping: MappingDef,
    options: StartMappingsOptions,
    bus: EventBus,
    resolvers: ReadonlyMap<string, IntrinsicResolver>,
    warn: (m: string) => void,
  ): Plan | undefined {
    const name = `${mapping.stack}/${mapping.logicalId}`;
    if (!mapping.enabled) {
      this.log(`${name}: disabled in the template; not run`);
      return undefined;
    }
    if (!mapping.functionLogicalId) return undefined;
    if (mapping.eventSourceType === 'AWS::Kinesis::Stream') {
      this.log(`${name}: a Kinesis stream mapping; the bidding part runs it (local/bidding/stack.ts), not this one`);
      return undefined;
    }
    const sourceArn = this.resolve(mapping.stack, mapping.eventSourceArn);
    let source: Plan['source'];
    const table = sourceArn && /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\//.exec(sourceArn)?.[1];
    const queue = sourceArn ? bus.queueByArn(sourceArn) : undefined;
    if (table) source = { kind: 'dynamodb', tableName: table };
    else if (queue) source = { kind: 'sqs', url: queue.url, arn: queue.arn };
    else {
      warn(`${name}: event source ${sourceArn ?? JSON.stringify(mapping.eventSourceArn)} is neither a table stream nor a queue of the app; not run`);
      return undefined;
    }
    const resolver = resolvers.get(mapping.stack)!;
    const fn = eventFunction(mapping.functionLogicalId, this.templateOf(mapping.stack), resolver, options.assemblyDir, options, warn);
    if (!fn.ok) {
      warn(`${name}: function ${mapping.functionLogicalId} is not run, so neither is its mapping: ${fn.reason}`);
      return undefined;
    }
    let destination: FailureDestination | undefined;
    if (mapping.onFailureDestination !== undefined) {
      const arn = this.resolve(mapping.stack, mapping.onFailureDestination);
      const q = arn ? bus.queueByArn(arn) : undefined;
      const t = arn ? bus.topicByArn(arn) : undefined;
      if (source.kind === 'sqs') {
        warn(`${name}: an on-failure destination applies to stream sources only; an SQS source uses its queue's redrive policy`);
      } else if (q) destination = failureDestination({ kind: 'sqs', arn: q.arn, url: q.url, fifo: q.fifo }, this.clients);
      else if (t) destination = failureDestination({ kind: 'sns', arn: t.arn, fifo: t.fifo }, this.clients);
      else warn(`${name}: on-failure destination ${arn ?? JSON.stringify(mapping.onFailureDestination)} is no queue or topic of the app; discarded batches are only logged`);
      if (destination && !destination.deliverable) {
        warn(
          `${name}: on-failure destination ${destination.arn} is FIFO; Lambda delivers discarded-batch records only to standard queues and topics ` +
            '(it counts DestinationDeliveryFailures instead), so they are not delivered here either',
        );
      }
    }
    return { mapping, name, functionKey: `${mapping.stack}/${mapping.functionLogicalId}`, def: fn.def, source, destination };
  }

  private async startPoller(plan: Plan, runtime: LambdaRuntime, dynamodb: DynamoDBClient, options: StartMappingsOptions): Promise<SourcePoller> {
    const { mapping, name, def } = plan;
    const invoke = (event: unknown) => runtime.invoke(plan.functionKey, event);
    const windowMs = mapping.maximumBatchingWindowInSeconds * 1000;
    if (plan.source.kind === 'sqs') {
      return startSqsMapping({
        name,
        client: this.clients.sqs,
        queueUrl: plan.source.url,
        queueArn: plan.source.arn,
        region: this.env.region,
        batchSize: mapping.batchSize ?? 10,
        batchingWindowMs: windowMs,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        ...(mapping.maximumConcurrency ? { pollers: Math.min(5, mapping.maximumConcurrency) } : {}),
        invoke,
        log: this.log,
      });
    }
    const reader = await DynamoDbStreamReader.forTable(dynamodb, plan.source.tableName, { endpoint: options.dynamodbEndpoint, region: this.env.region });
    const functionArn = `arn:${this.env.partition}:lambda:${this.env.region}:${this.env.accountId}:function:${def.functionName}`;
    return startDynamoDbStreamMapping({
      name,
      reader,
      batchSize: mapping.batchSize ?? 100,
      batchingWindowMs: windowMs,
      settings: {
        maxRetryAttempts: mapping.maximumRetryAttempts,
        maxRecordAgeSeconds: mapping.maximumRecordAgeInSeconds,
        bisectOnFunctionError: mapping.bisectBatchOnFunctionError,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
      },
      invoke,
      discard: async (discarded, shardId) => {
        const record = dynamoDbFailureRecord(discarded, { functionArn, streamArn: reader.streamArn, shardId });
        const info = record.DDBStreamBatchInfo as { startSequenceNumber: string; endSequenceNumber: string };
        const where = plan.destination?.deliverable ? `sent to ${plan.destination.arn}` : 'not delivered anywhere';
        this.log(`${name}: discarded ${discarded.entries.length} record(s) of ${shardId} (${info.startSequenceNumber}…${info.endSequenceNumber}, ${discarded.condition}); ${where}`);
        await plan.destination?.send(record).catch((err: Error) => this.log(`${name}: on-failure destination: ${err.message}`));
      },
      log: this.log,
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    });
  }
}

/**
 * Waits until every poller is quiet at once and nothing was taken meanwhile, twice in a row: a
 * consumer's write may reach a stream just after that stream's last empty read, and only the next
 * round sees it.
 */
async function caughtUp(pollers: SourcePoller[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const taken = () => pollers.reduce((n, p) => n + p.taken, 0);
  let quietRounds = 0;
  while (quietRounds < 2) {
    const since = Date.now();
    const before = taken();
    for (;;) {
      const quiet = await Promise.all(pollers.map((p) => p.quietSince(since)));
      if (quiet.every(Boolean)) break;
      if (Date.now() > deadline) {
        const busy = pollers.filter((_, i) => !quiet[i]).map((p) => p.name);
        throw new Error(`changes not caught up within ${timeoutMs} ms (still busy: ${busy.join(', ')})`);
      }
      await sleep(25);
    }
    quietRounds = taken() === before ? quietRounds + 1 : 0;
  }
}
