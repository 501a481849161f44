// CDK assertions for the change-events stack: the stream mapping's settings, the topic and queues, the
// least-privilege roles of the processor and the redrive, the engagement consumer, and alarms whose
// runbook sections exist. Bundling is skipped; entries are stubs in a temporary project root.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONTEXT } from '../../infra/build-app.js';
import { CONSUMER_MAX_RECEIVES } from '../../infra/constructs/event-consumer.js';
import { REPO_ROOT } from '../../infra/constructs/project-function.js';
import { applyNag, nagFindings } from '../../infra/nag.js';
import { CHANGE_EVENTS_RUNBOOK } from '../../infra/stacks/change-events-alarms.js';
import {
  CHANGE_PROCESSOR_ENTRY,
  CHANGE_REDRIVE_ENTRY,
  ChangeEventsStack,
  ENGAGEMENT_CONSUMER_ENTRY,
} from '../../infra/stacks/change-events-stack.js';
import { DataStack } from '../../infra/stacks/data-stack.js';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let stubRoot: string;
let app: App;
let stack: ChangeEventsStack;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every action a function's role is allowed, except writing its own logs and X-Ray. */
function allowedActions(roleLogicalId: string): string[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
    .flatMap(actionsOf)
    .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))
    .sort();
}

beforeAll(() => {
  stubRoot = mkdtempSync(join(tmpdir(), 'dealdesk-events-stubs-'));
  writeFileSync(join(stubRoot, 'package-lock.json'), '{"lockfileVersion":3}');
  for (const entry of [CHANGE_PROCESSOR_ENTRY, CHANGE_REDRIVE_ENTRY, ENGAGEMENT_CONSUMER_ENTRY]) {
    mkdirSync(dirname(join(stubRoot, entry)), { recursive: true });
    writeFileSync(join(stubRoot, entry), 'export const handler = async () => ({});\n');
  }
  app = new App({ context: { ...DEFAULT_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const data = new DataStack(app, 'DealDesk-Data');
  stack = new ChangeEventsStack(app, 'DealDesk-Events', {
    dealsTable: data.dealsTable,
    changeEventsTable: data.changeEvents,
    engagementTable: data.engagementTable,
    projectRoot: stubRoot,
  });
  applyNag(app);
  resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
}, 120_000);

afterAll(() => rmSync(stubRoot, { recursive: true, force: true }));

describe('ChangeEventsStack', () => {
  it('maps the deals stream to the processor: partial failures, bisect, bounded retries, a maximum age and an on-failure queue', () => {
    // Prepare
    const [, mapping] = ofType('AWS::Lambda::EventSourceMapping').find(([, r]) => r.Properties.FunctionName.Ref === logicalId(stack.processor))!;
    // Assess
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21_600,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.streamFailures), 'Arn'] } } },
    });
    expect(JSON.stringify(mapping.Properties.EventSourceArn)).toMatch(/Deals.*StreamArn/);
  });

  it('routes through one SNS FIFO topic deduplicating by the event id the processor sets, into FIFO queues', () => {
    const topic = resources[logicalId(stack.topic)]!;
    expect(topic.Properties).toMatchObject({ FifoTopic: true, ContentBasedDeduplication: false });
    expect(resources[logicalId(stack.deadLetterQueue)]!.Properties).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 1_209_600 });
    expect(resources[logicalId(stack.streamFailures)]!.Properties.FifoQueue).toBeUndefined();
  });

  it('lets the processor read the stream, hold deals, publish and dead-letter, and nothing more', () => {
    expect(allowedActions(logicalId(stack.processor.role as never))).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:UpdateItem',
        'sns:Publish',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        // the stream-failures destination (Lambda's own on-failure messages)
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('lets the redrive read and remove dead letters, release deals and publish, without stream or table reads', () => {
    expect(allowedActions(logicalId(stack.redrive.role as never))).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:UpdateItem',
        'sns:Publish',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
    );
  });

  it('gives the engagement consumer its own FIFO queue with raw delivery, a FIFO dead-letter queue and partial batch failures', () => {
    // Prepare
    const queue = resources[logicalId(stack.engagement.queue)]!;
    const subscription = ofType('AWS::SNS::Subscription').find(([, r]) => r.Properties.Endpoint['Fn::GetAtt'][0] === logicalId(stack.engagement.queue))![1];
    const [, mapping] = ofType('AWS::Lambda::EventSourceMapping').find(([, r]) => r.Properties.FunctionName.Ref === logicalId(stack.engagement.handler))!;
    // Assess
    expect(queue.Properties).toMatchObject({
      FifoQueue: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.engagement.deadLetterQueue), 'Arn'] }, maxReceiveCount: CONSUMER_MAX_RECEIVES },
    });
    expect(subscription.Properties).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true });
    expect(mapping.Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(resources[logicalId(stack.engagement.handler)]!.Properties.Environment.Variables).toMatchObject({ EVENT_CONSUMER_NAME: 'engagement' });
  });

  it('alarms on dead letters, stream failures, iterator age and each consumer, each naming a runbook section that exists', () => {
    // Prepare
    const runbook = readFileSync(join(REPO_ROOT, CHANGE_EVENTS_RUNBOOK), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9]+/g, '')));
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    // Assess
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(
      ['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'IteratorAge'].sort(),
    );
    for (const alarm of alarms) {
      const [, anchor] = /Runbook: docs\/runbooks\/change-events\.md#(\w+)$/.exec(alarm.AlarmDescription) ?? [];
      expect(anchors, alarm.AlarmDescription).toContain(anchor);
    }
    const deadLetters = alarms.find((a) => a.AlarmDescription.includes('#changedeadletters'))!;
    expect(deadLetters).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
  });

  it('has no unacknowledged cdk-nag finding', () => {
    app.synth();
    expect(nagFindings(stack)).toEqual([]);
  });
});
