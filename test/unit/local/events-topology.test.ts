import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONTEXT } from '../../../infra/build-app.js';
import { EventConsumer } from '../../../infra/constructs/event-consumer.js';
import { ProjectFunction } from '../../../infra/constructs/project-function.js';
import { collectExports, IntrinsicResolver, type CfnTemplate, type StackEnv } from '../../../local/apigw/cfn.js';
import { physicalIdsOf, queueArnOf, readEventTopology, type EventTopology, type StackTemplate } from '../../../local/events/topology.js';

const env: StackEnv = { region: 'eu-west-1', accountId: '000000000000', partition: 'aws' };
const HANDLER = 'test/integration/events/fixtures/queue-consumer.ts';
const ENDPOINT = 'http://127.0.0.1:4599';

/**
 * Data: a table with a stream. Flow: a FIFO topic, an EventConsumer (the project's construct), a
 * change processor on the other stack's table stream with a FIFO on-failure queue, a named queue
 * and a function whose mapping has a setting the local stack does not emulate (a filter).
 */
function synthesize(): StackTemplate[] {
  const app = new App({ context: { ...DEFAULT_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const data = new Stack(app, 'Data');
  const table = new dynamodb.Table(data, 'Deals', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });
  const flow = new Stack(app, 'Flow');
  const topic = new sns.Topic(flow, 'DomainEvents', { fifo: true, contentBasedDeduplication: false });
  new EventConsumer(flow, 'Engagement', {
    topic,
    consumerName: 'engagement',
    eventTypes: ['deal.created'],
    function: { entry: HANDLER, timeout: Duration.seconds(10) },
  });
  const deadLetters = new sqs.Queue(flow, 'ChangeDeadLetters', { fifo: true });
  new sqs.Queue(flow, 'Named', { queueName: 'named-queue' });
  const processor = new ProjectFunction(flow, 'Processor', { entry: HANDLER, environment: { DOMAIN_EVENTS_TOPIC_ARN: topic.topicArn } });
  processor.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 50,
      bisectBatchOnError: true,
      retryAttempts: 3,
      maxRecordAge: Duration.minutes(5),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(deadLetters),
    }),
  );
  new ProjectFunction(flow, 'Filtered', { entry: HANDLER }).addEventSource(
    new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT') })],
    }),
  );
  const assembly = app.synth();
  return ['Data', 'Flow'].map((name) => ({ name, template: assembly.getStackByName(name).template as CfnTemplate }));
}

describe('the event topology of a synthesized app', () => {
  let stacks: StackTemplate[];
  let topology: EventTopology;
  let resolvers: Map<string, IntrinsicResolver>;

  beforeAll(() => {
    stacks = synthesize();
    topology = readEventTopology(stacks, env);
    // What the local stack does next: resolvers with the local physical ids, exports across stacks.
    const ids = physicalIdsOf(topology, ENDPOINT, env);
    const tableId = Object.keys(stacks[0]!.template.Resources ?? {}).find((id) => id.startsWith('Deals'))!;
    const exportsMap: Record<string, string> = {};
    resolvers = new Map();
    for (const s of stacks) {
      const resolver = new IntrinsicResolver({ template: s.template, stackName: s.name, env, physicalIds: { [tableId]: 'local-deals', ...ids[s.name] }, exports: exportsMap });
      collectExports([{ template: s.template, resolver }], exportsMap);
      resolvers.set(s.name, resolver);
    }
  }, 120_000);

  it('reads the FIFO topic with the name CDK gave it', () => {
    // Assess
    expect(topology.topics).toEqual([
      { stack: 'Flow', logicalId: expect.stringMatching(/^DomainEvents/), name: expect.stringMatching(/^Flow-DomainEvents-.*\.fifo$/), fifo: true, contentBasedDeduplication: false },
    ]);
  });

  it('names unnamed queues <stack>-<logicalId>(.fifo), keeps given names, and reads the consumer queue\'s settings and redrive', () => {
    // Prepare
    const byPrefix = (prefix: string) => topology.queues.find((q) => q.logicalId.startsWith(prefix))!;
    // Act
    const queue = byPrefix('EngagementQueue');
    // Assess
    expect(queue.name).toBe(`Flow-${queue.logicalId}.fifo`);
    expect(queue).toMatchObject({ fifo: true, contentBasedDeduplication: false, attributes: { VisibilityTimeout: '60', MessageRetentionPeriod: '345600' } });
    expect(queue.redrive?.maxReceiveCount).toBe(5);
    const target = resolvers.get('Flow')!.resolve(queue.redrive!.deadLetterTargetArn);
    expect(target).toBe(queueArnOf(env, byPrefix('EngagementDeadLetters').name));
    expect(byPrefix('Named').name).toBe('named-queue');
    expect(topology.queues.every((q) => q.name.length <= 80)).toBe(true);
  });

  it('gives resolvers the local queue URL as a queue\'s Ref and the topic ARN as the topic\'s', () => {
    // Prepare
    const flow = resolvers.get('Flow')!;
    const topic = topology.topics[0]!;
    const named = topology.queues.find((q) => q.name === 'named-queue')!;
    // Act / Assess
    expect(flow.resolve({ Ref: named.logicalId })).toBe(`${ENDPOINT}/000000000000/named-queue`);
    expect(flow.resolve({ 'Fn::GetAtt': [named.logicalId, 'Arn'] })).toBe('arn:aws:sqs:eu-west-1:000000000000:named-queue');
    expect(flow.resolve({ Ref: topic.logicalId })).toBe(`arn:aws:sns:eu-west-1:000000000000:${topic.name}`);
  });

  it('reads the consumer\'s subscription: raw delivery, filter on type, topic and queue by ARN', () => {
    // Prepare
    const sub = topology.subscriptions[0]!;
    const flow = resolvers.get('Flow')!;
    // Assess
    expect(topology.subscriptions).toHaveLength(1);
    expect(sub).toMatchObject({ protocol: 'sqs', rawMessageDelivery: true });
    expect(flow.resolve(sub.filterPolicy)).toEqual({ type: ['deal.created'] });
    expect(flow.resolve(sub.topicArn)).toBe(`arn:aws:sns:eu-west-1:000000000000:${topology.topics[0]!.name}`);
    expect(flow.resolve(sub.endpoint)).toMatch(/^arn:aws:sqs:eu-west-1:000000000000:Flow-EngagementQueue.*\.fifo$/);
  });

  it('reads both kinds of mapping with their settings, the stream through the other stack\'s export', () => {
    // Prepare
    const flow = resolvers.get('Flow')!;
    const stream = topology.mappings.find((m) => m.batchSize === 50)!;
    const queue = topology.mappings.find((m) => m.functionLogicalId?.startsWith('EngagementFunction'))!;
    // Assess
    expect(stream).toMatchObject({
      functionLogicalId: expect.stringMatching(/^Processor/),
      enabled: true,
      startingPosition: 'LATEST',
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 300,
      reportBatchItemFailures: true,
    });
    expect(JSON.stringify(stream.eventSourceArn)).toContain('Fn::ImportValue');
    expect(stream.eventSourceType).toBeUndefined();
    expect(queue.eventSourceType).toBe('AWS::SQS::Queue');
    expect(flow.resolve(stream.eventSourceArn)).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/local-deals/stream/local');
    expect(flow.resolve(stream.onFailureDestination)).toMatch(/^arn:aws:sqs:eu-west-1:000000000000:Flow-ChangeDeadLetters.*\.fifo$/);
    expect(queue).toMatchObject({ batchSize: 10, reportBatchItemFailures: true, maximumRetryAttempts: -1, maximumRecordAgeInSeconds: -1 });
    expect(flow.resolve(queue.eventSourceArn)).toBe(flow.resolve(topology.subscriptions[0]!.endpoint));
  });

  it('warns about what it cannot honour instead of dropping it', () => {
    // Assess: the filtered mapping's FilterCriteria; nothing about encryption or a ParallelizationFactor of 1
    expect(topology.warnings).toEqual([expect.stringMatching(/^Flow\/FilteredDynamoDBEventSource.*: event source mapping property FilterCriteria .* is not emulated$/)]);
  });
});
