/**
 * The event topology of a synthesized app, read from its templates: SNS topics, SQS queues, SNS→SQS
 * subscriptions and Lambda event source mappings, across all stacks. Nothing here knows which
 * topics or consumers exist; CDK declares them once.
 *
 * Reading happens in two steps because references cross stacks:
 *  1. `readEventTopology` (before the resolvers exist): each resource's local name, and the physical
 *     ids Ref/Fn::GetAtt must return for it (`physicalIdsOf`), so that the IntrinsicResolver of every
 *     stack, and the exports between stacks, point at the local resources;
 *  2. the stack's resolver then turns the raw references kept here (TopicArn, Endpoint,
 *     deadLetterTargetArn, EventSourceArn, …) into ARNs, which is how AWS wires them too.
 *
 * Anything the local stack cannot honour is returned in `warnings`, never dropped silently.
 */
import { IntrinsicResolver, type CfnResource, type CfnTemplate, type StackEnv } from '../apigw/cfn.js';
import { referencedLogicalIds } from '../apigw/model.js';

export interface StackTemplate {
  name: string;
  template: CfnTemplate;
}

interface Located {
  /** Stack name. */
  stack: string;
  logicalId: string;
}

export interface TopicDef extends Located {
  /** TopicName, or `<stack>-<logicalId>` (+ `.fifo`) when the template leaves it to CloudFormation. */
  name: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
}

export interface QueueDef extends Located {
  /** QueueName, or `<stack>-<logicalId>` (+ `.fifo`, at most 80 characters). */
  name: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
  /** Queue attributes as CreateQueue takes them (VisibilityTimeout, MessageRetentionPeriod, …), RedrivePolicy excluded. */
  attributes: Record<string, string>;
  /** RedrivePolicy with its target still a template reference (resolved with the stack's resolver). */
  redrive?: { deadLetterTargetArn: unknown; maxReceiveCount: number };
}

export interface SubscriptionDef extends Located {
  protocol: string;
  /** Raw template values: resolve them with the stack's resolver. */
  topicArn: unknown;
  endpoint: unknown;
  rawMessageDelivery: boolean;
  filterPolicy?: unknown;
  filterPolicyScope?: string;
  redrivePolicy?: unknown;
}

export interface MappingDef extends Located {
  /** The AWS::Lambda::Function (same stack) the mapping invokes, when the template says which. */
  functionLogicalId: string | undefined;
  /** Raw EventSourceArn (a table's StreamArn, a queue's Arn, possibly through Fn::ImportValue). */
  eventSourceArn: unknown;
  /** The type of the resource EventSourceArn references in the same stack (undefined across stacks). */
  eventSourceType: string | undefined;
  enabled: boolean;
  batchSize: number | undefined;
  maximumBatchingWindowInSeconds: number;
  startingPosition: string | undefined;
  bisectBatchOnFunctionError: boolean;
  /** -1 = until the record expires (Lambda's default for streams). */
  maximumRetryAttempts: number;
  /** -1 = no limit. */
  maximumRecordAgeInSeconds: number;
  reportBatchItemFailures: boolean;
  /** Raw DestinationConfig.OnFailure.Destination. */
  onFailureDestination: unknown;
  /** ScalingConfig.MaximumConcurrency (SQS sources). */
  maximumConcurrency: number | undefined;
}

export interface EventTopology {
  topics: TopicDef[];
  queues: QueueDef[];
  subscriptions: SubscriptionDef[];
  mappings: MappingDef[];
  warnings: string[];
}

/** The longest SQS queue name (FIFO suffix included). */
const MAX_QUEUE_NAME = 80;
const MAX_TOPIC_NAME = 256;

/** Queue properties that become CreateQueue attributes as they are. */
const QUEUE_ATTRIBUTES = ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize'] as const;
/** Properties with no local effect (encryption at rest, tags, policies, throughput tiers): accepted without a warning. */
const INERT = new Set([
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'Tags',
  'DisplayName',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'TracingConfig',
  'ArchivePolicy',
  'DataProtectionPolicy',
  'SignatureVersion',
  'DeliveryStatusLogging',
  'MetricsConfig',
  'KmsKeyArn',
  'ProvisionedPollerConfig',
  'Region',
]);

function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

function numberOr(value: unknown, fallback: number): number;
function numberOr(value: unknown, fallback: undefined): number | undefined;
function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** A name for an unnamed resource: `<stack>-<logicalId>`, cut to fit `max` with the FIFO suffix. */
export function generatedName(stack: string, logicalId: string, fifo: boolean, max: number): string {
  const suffix = fifo ? '.fifo' : '';
  return `${stack}-${logicalId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, max - suffix.length) + suffix;
}

function unknownProperties(props: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(props).filter((k) => !known.includes(k) && !INERT.has(k));
}

/** The Lambda function a FunctionName points at (Ref, Fn::GetAtt Arn, or through an alias/version). */
function functionOf(template: CfnTemplate, value: unknown, depth = 0): string | undefined {
  const resources = template.Resources ?? {};
  for (const id of referencedLogicalIds(value)) {
    const type = resources[id]?.Type;
    if (type === 'AWS::Lambda::Function') return id;
    if ((type === 'AWS::Lambda::Alias' || type === 'AWS::Lambda::Version') && depth < 3) {
      const fn = functionOf(template, resources[id]?.Properties?.FunctionName, depth + 1);
      if (fn) return fn;
    }
  }
  return undefined;
}

/**
 * Every topic, queue, subscription and event source mapping of the app. `env` is only used to
 * resolve names given as intrinsics (e.g. a Fn::Join with AWS::StackName).
 */
export function readEventTopology(stacks: StackTemplate[], env: StackEnv): EventTopology {
  const topology: EventTopology = { topics: [], queues: [], subscriptions: [], mappings: [], warnings: [] };
  const warn = (m: string): void => {
    topology.warnings.push(m);
  };
  for (const { name: stack, template } of stacks) {
    const names = new IntrinsicResolver({ template, stackName: stack, env });
    const nameOf = (logicalId: string, raw: unknown): string | undefined => {
      if (raw === undefined) return undefined;
      try {
        return String(names.resolve(raw));
      } catch (err) {
        warn(`${stack}/${logicalId}: its name cannot be resolved locally (${(err as Error).message}); a generated one is used`);
        return undefined;
      }
    };

    for (const [logicalId, r] of resourcesOfType(template, 'AWS::SNS::Topic')) {
      const p = r.Properties ?? {};
      const fifo = flag(p.FifoTopic);
      const given = nameOf(logicalId, p.TopicName);
      if (given && fifo !== given.endsWith('.fifo')) warn(`${stack}/${logicalId}: topic name ${given} ${fifo ? 'lacks' : 'has'} the .fifo suffix (CloudFormation refuses this)`);
      for (const k of unknownProperties(p, ['FifoTopic', 'TopicName', 'ContentBasedDeduplication', 'Subscription'])) {
        warn(`${stack}/${logicalId}: topic property ${k} is not emulated`);
      }
      if (p.Subscription !== undefined) warn(`${stack}/${logicalId}: inline topic Subscription is not emulated (use AWS::SNS::Subscription)`);
      topology.topics.push({
        stack,
        logicalId,
        name: given ?? generatedName(stack, logicalId, fifo, MAX_TOPIC_NAME),
        fifo,
        contentBasedDeduplication: flag(p.ContentBasedDeduplication),
      });
    }

    for (const [logicalId, r] of resourcesOfType(template, 'AWS::SQS::Queue')) {
      const p = r.Properties ?? {};
      const fifo = flag(p.FifoQueue);
      const given = nameOf(logicalId, p.QueueName);
      if (given && fifo !== given.endsWith('.fifo')) warn(`${stack}/${logicalId}: queue name ${given} ${fifo ? 'lacks' : 'has'} the .fifo suffix (CloudFormation refuses this)`);
      const attributes: Record<string, string> = {};
      for (const k of QUEUE_ATTRIBUTES) if (p[k] !== undefined) attributes[k] = String(names.resolve(p[k]));
      let redrive: QueueDef['redrive'];
      if (p.RedrivePolicy !== undefined) {
        const policy = p.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
        const maxReceiveCount = numberOr(policy.maxReceiveCount, undefined);
        if (policy.deadLetterTargetArn === undefined || maxReceiveCount === undefined) {
          warn(`${stack}/${logicalId}: RedrivePolicy without deadLetterTargetArn and maxReceiveCount is ignored`);
        } else redrive = { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount };
      }
      for (const k of unknownProperties(p, ['FifoQueue', 'QueueName', 'ContentBasedDeduplication', 'RedrivePolicy', ...QUEUE_ATTRIBUTES])) {
        warn(`${stack}/${logicalId}: queue property ${k} is not emulated`);
      }
      topology.queues.push({
        stack,
        logicalId,
        name: given ?? generatedName(stack, logicalId, fifo, MAX_QUEUE_NAME),
        fifo,
        contentBasedDeduplication: flag(p.ContentBasedDeduplication),
        attributes,
        ...(redrive ? { redrive } : {}),
      });
    }

    for (const [logicalId, r] of resourcesOfType(template, 'AWS::SNS::Subscription')) {
      const p = r.Properties ?? {};
      for (const k of unknownProperties(p, ['Protocol', 'TopicArn', 'Endpoint', 'RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy'])) {
        warn(`${stack}/${logicalId}: subscription property ${k} is not emulated`);
      }
      topology.subscriptions.push({
        stack,
        logicalId,
        protocol: String(p.Protocol ?? ''),
        topicArn: p.TopicArn,
        endpoint: p.Endpoint,
        rawMessageDelivery: flag(p.RawMessageDelivery),
        ...(p.FilterPolicy !== undefined ? { filterPolicy: p.FilterPolicy } : {}),
        ...(p.FilterPolicyScope !== undefined ? { filterPolicyScope: String(p.FilterPolicyScope) } : {}),
        ...(p.RedrivePolicy !== undefined ? { redrivePolicy: p.RedrivePolicy } : {}),
      });
    }

    for (const [logicalId, r] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const p = r.Properties ?? {};
      const functionLogicalId = functionOf(template, p.FunctionName);
      if (!functionLogicalId) warn(`${stack}/${logicalId}: FunctionName ${JSON.stringify(p.FunctionName)} names no function of this stack; the mapping is not run`);
      // One batch per shard at a time (ParallelizationFactor 1) is Lambda's default and what runs here.
      const notHonoured = unknownProperties(p, [
        ...(numberOr(p.ParallelizationFactor, 1) === 1 ? ['ParallelizationFactor'] : []),
        'FunctionName',
        'EventSourceArn',
        'Enabled',
        'BatchSize',
        'MaximumBatchingWindowInSeconds',
        'StartingPosition',
        'BisectBatchOnFunctionError',
        'MaximumRetryAttempts',
        'MaximumRecordAgeInSeconds',
        'FunctionResponseTypes',
        'DestinationConfig',
        'ScalingConfig',
      ]);
      for (const k of notHonoured) warn(`${stack}/${logicalId}: event source mapping property ${k} (${JSON.stringify(p[k])}) is not emulated`);
      const responseTypes = Array.isArray(p.FunctionResponseTypes) ? p.FunctionResponseTypes.map(String) : [];
      const destination = (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
      topology.mappings.push({
        stack,
        logicalId,
        functionLogicalId,
        eventSourceArn: p.EventSourceArn,
        eventSourceType: referencedLogicalIds(p.EventSourceArn)
          .map((id) => template.Resources?.[id]?.Type)
          .find(Boolean),
        enabled: p.Enabled === undefined ? true : flag(p.Enabled),
        batchSize: numberOr(p.BatchSize, undefined),
        maximumBatchingWindowInSeconds: numberOr(p.MaximumBatchingWindowInSeconds, 0),
        startingPosition: p.StartingPosition === undefined ? undefined : String(p.StartingPosition),
        bisectBatchOnFunctionError: flag(p.BisectBatchOnFunctionError),
        maximumRetryAttempts: numberOr(p.MaximumRetryAttempts, -1),
        maximumRecordAgeInSeconds: numberOr(p.MaximumRecordAgeInSeconds, -1),
        reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
        onFailureDestination: destination,
        maximumConcurrency: numberOr((p.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency, undefined),
      });
    }
  }
  return topology;
}

/** The account id fauxqs puts in every ARN and queue URL. */
export const EMULATOR_ACCOUNT_ID = '000000000000';

export function queueUrlOf(endpoint: string, name: string): string {
  return `${endpoint.replace(/\/$/, '')}/${EMULATOR_ACCOUNT_ID}/${name}`;
}

export function topicArnOf(env: StackEnv, name: string): string {
  return `arn:${env.partition}:sns:${env.region}:${EMULATOR_ACCOUNT_ID}:${name}`;
}

export function queueArnOf(env: StackEnv, name: string): string {
  return `arn:${env.partition}:sqs:${env.region}:${EMULATOR_ACCOUNT_ID}:${name}`;
}

/**
 * Physical ids for the IntrinsicResolver of each stack: a queue's Ref is its URL, a topic's Ref its
 * ARN (CloudFormation's return values). Queue URLs are on the emulator's own endpoint
 * (`<endpoint>/000000000000/<name>`), not fauxqs's `sqs.<region>.localhost` host: the SQS client
 * sends a request to the QueueUrl's host unless an endpoint is configured explicitly in code
 * (AWS_ENDPOINT_URL_SQS alone does not stop that), and `*.localhost` does not resolve everywhere.
 * fauxqs finds a queue by the URL's last path segment, whatever the host.
 */
export function physicalIdsOf(topology: EventTopology, endpoint: string, env: StackEnv): Record<string, Record<string, string>> {
  const byStack: Record<string, Record<string, string>> = {};
  const of = (stack: string) => (byStack[stack] ??= {});
  for (const q of topology.queues) of(q.stack)[q.logicalId] = queueUrlOf(endpoint, q.name);
  for (const t of topology.topics) of(t.stack)[t.logicalId] = topicArnOf(env, t.name);
  return byStack;
}
