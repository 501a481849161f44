/**
 * Creates the template's topics, queues and subscriptions in the local SNS/SQS emulator, with the
 * settings that change behaviour (FIFO, content-based deduplication, visibility timeout, retention,
 * redrive to a dead-letter queue after maxReceiveCount, raw delivery, filter policies). References
 * between them (a redrive target, a subscription's topic and queue) are resolved by each stack's
 * IntrinsicResolver into ARNs and looked up by ARN, as AWS does.
 */
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { IntrinsicResolver, StackEnv } from '../apigw/cfn.js';
import { queueArnOf, queueUrlOf, topicArnOf, type EventTopology, type QueueDef, type TopicDef } from './topology.js';

export interface LocalQueue extends QueueDef {
  url: string;
  arn: string;
  /** ARN of the queue's redrive target, when it has one the emulator knows. */
  deadLetterQueueArn?: string;
}

export interface LocalTopic extends TopicDef {
  arn: string;
}

export interface LocalSubscription {
  stack: string;
  logicalId: string;
  topicArn: string;
  queueArn: string;
}

export interface EventBus {
  queues: LocalQueue[];
  topics: LocalTopic[];
  subscriptions: LocalSubscription[];
  queueByArn(arn: string): LocalQueue | undefined;
  topicByArn(arn: string): LocalTopic | undefined;
}

export interface ProvisionOptions {
  topology: EventTopology;
  /** Stack name → its resolver (physical ids from `physicalIdsOf` included). */
  resolvers: ReadonlyMap<string, IntrinsicResolver>;
  endpoint: string;
  env: StackEnv;
  sns: SNSClient;
  sqs: SQSClient;
  warn: (message: string) => void;
}

function resolverOf(resolvers: ReadonlyMap<string, IntrinsicResolver>, stack: string): IntrinsicResolver {
  const resolver = resolvers.get(stack);
  if (!resolver) throw new Error(`no resolver for stack ${stack}`);
  return resolver;
}

/** Resolves `value` with the stack's resolver to a string, or warns and returns undefined. */
function resolveString(resolver: IntrinsicResolver, value: unknown, what: string, warn: (m: string) => void): string | undefined {
  try {
    const resolved = resolver.resolve(value);
    if (typeof resolved === 'string') return resolved;
    warn(`${what}: ${JSON.stringify(value)} is not a string once resolved (${JSON.stringify(resolved)})`);
  } catch (err) {
    warn(`${what}: ${JSON.stringify(value)} cannot be resolved locally (${(err as Error).message})`);
  }
  return undefined;
}

export async function provisionTopology(options: ProvisionOptions): Promise<EventBus> {
  const { topology, resolvers, endpoint, env, sns, sqs, warn } = options;

  const topics: LocalTopic[] = [];
  for (const topic of topology.topics) {
    const out = await sns.send(
      new CreateTopicCommand({
        Name: topic.name,
        Attributes: topic.fifo ? { FifoTopic: 'true', ContentBasedDeduplication: String(topic.contentBasedDeduplication) } : {},
      }),
    );
    const expected = topicArnOf(env, topic.name);
    if (out.TopicArn !== expected) {
      throw new Error(`${topic.stack}/${topic.logicalId}: the emulator made topic ${out.TopicArn}, the templates were resolved with ${expected}`);
    }
    topics.push({ ...topic, arn: expected });
  }

  const queueArns = new Map(topology.queues.map((q) => [queueArnOf(env, q.name), q]));
  const queues: LocalQueue[] = [];
  // Dead-letter queues first: a redrive policy names its target by ARN.
  const ordered = [...topology.queues].sort((a, b) => Number(Boolean(a.redrive)) - Number(Boolean(b.redrive)));
  for (const queue of ordered) {
    const what = `${queue.stack}/${queue.logicalId}`;
    const attributes: Record<string, string> = { ...queue.attributes };
    if (queue.fifo) {
      attributes.FifoQueue = 'true';
      attributes.ContentBasedDeduplication = String(queue.contentBasedDeduplication);
    }
    let deadLetterQueueArn: string | undefined;
    if (queue.redrive) {
      const target = resolveString(resolverOf(resolvers, queue.stack), queue.redrive.deadLetterTargetArn, `${what} RedrivePolicy.deadLetterTargetArn`, warn);
      const targetQueue = target ? queueArns.get(target) : undefined;
      if (target && !targetQueue) warn(`${what}: dead-letter target ${target} is no queue of the app; messages past maxReceiveCount stay in the queue`);
      if (targetQueue && targetQueue.fifo !== queue.fifo) warn(`${what}: a ${queue.fifo ? 'FIFO' : 'standard'} queue's dead-letter queue must be of the same type (SQS refuses ${targetQueue.name})`);
      if (target && targetQueue) {
        deadLetterQueueArn = target;
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: queue.redrive.maxReceiveCount });
      }
    }
    await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }));
    const url = queueUrlOf(endpoint, queue.name);
    const made = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = queueArnOf(env, queue.name);
    if (made.Attributes?.QueueArn !== arn) {
      throw new Error(`${what}: the emulator made queue ${made.Attributes?.QueueArn}, the templates were resolved with ${arn}`);
    }
    queues.push({ ...queue, url, arn, ...(deadLetterQueueArn ? { deadLetterQueueArn } : {}) });
  }

  const queueByArn = (arn: string) => queues.find((q) => q.arn === arn);
  const topicByArn = (arn: string) => topics.find((t) => t.arn === arn);

  const subscriptions: LocalSubscription[] = [];
  for (const sub of topology.subscriptions) {
    const what = `${sub.stack}/${sub.logicalId}`;
    if (sub.protocol !== 'sqs') {
      warn(`${what}: ${sub.protocol || 'no'} protocol subscriptions are not emulated (only sqs)`);
      continue;
    }
    const resolver = resolverOf(resolvers, sub.stack);
    const topicArn = resolveString(resolver, sub.topicArn, `${what} TopicArn`, warn);
    const queueArn = resolveString(resolver, sub.endpoint, `${what} Endpoint`, warn);
    if (!topicArn || !queueArn) continue;
    if (!topicByArn(topicArn) || !queueByArn(queueArn)) {
      warn(`${what}: ${topicArn} → ${queueArn} joins no topic and queue of the app; not subscribed`);
      continue;
    }
    const attributes: Record<string, string> = { RawMessageDelivery: String(sub.rawMessageDelivery) };
    try {
      if (sub.filterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(resolver.resolve(sub.filterPolicy));
      if (sub.filterPolicyScope !== undefined) attributes.FilterPolicyScope = sub.filterPolicyScope;
      if (sub.redrivePolicy !== undefined) attributes.RedrivePolicy = JSON.stringify(resolver.resolve(sub.redrivePolicy));
    } catch (err) {
      warn(`${what}: its filter or redrive policy cannot be resolved locally (${(err as Error).message}); subscribed without them`);
      delete attributes.FilterPolicy;
      delete attributes.RedrivePolicy;
    }
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }));
    subscriptions.push({ stack: sub.stack, logicalId: sub.logicalId, topicArn, queueArn });
  }

  return { queues, topics, subscriptions, queueByArn, topicByArn };
}
