/**
 * The local stack's event source mappings with real parts: a small CDK app (local-events-app.ts)
 * synthesized and bundled like the real one, DynamoDB Local's stream, fauxqs's SNS FIFO topic and
 * SQS queues, and the bundled handlers running in the local Lambda runtime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, PublishCommand } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_DIR } from '../../../local/stack.js';
import { emulatorClients } from '../../../local/events/fauxqs.js';
import { runEventsApp, synthesizeEventsApp, type RunningEventsApp } from './local-events-app.js';

let run: RunningEventsApp;
let clients: ReturnType<typeof emulatorClients>;
let workDir: string;
/** Messages containing one of these, the local topic refuses. */
const refused = new Set<string>();

beforeAll(async () => {
  workDir = mkdtempSync(join(STATE_DIR, 'test-events-'));
  const faults = { refusePublication: (message: string) => [...refused].some((marker) => message.includes(marker)) };
  run = await runEventsApp(synthesizeEventsApp(join(workDir, 'cdk.out')), workDir, { faults });
  clients = emulatorClients(run.events.endpoint, 'us-east-1');
}, 240_000);

afterAll(async () => {
  clients?.destroy();
  await run?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, 60_000);

const tableOf = (prefix: string) => Object.entries(run.tables).find(([id]) => id.startsWith(prefix))![1];
const queueUrl = (prefix: string) => Object.entries(run.events.descriptor().eventQueues).find(([name]) => name.startsWith(`EvFlow-${prefix}`))![1];

async function change(key: string, fields: { group: string; seq: number; mode?: string; type?: string }): Promise<void> {
  await run.client.send(
    new PutItemCommand({
      TableName: tableOf('Changes'),
      Item: {
        pk: { S: key },
        group: { S: fields.group },
        seq: { N: String(fields.seq) },
        mode: { S: fields.mode ?? 'ok' },
        type: { S: fields.type ?? 'ok' },
      },
    }),
  );
}

async function itemsOf(pk: string): Promise<Record<string, string>[]> {
  const out = await run.client.send(
    new QueryCommand({ TableName: tableOf('Effects'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }),
  );
  return (out.Items ?? []).map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.S ?? v.N ?? ''])));
}

/** Sequence numbers the consumer applied for a message group, in the order it applied them. */
async function appliedSeqs(group: string): Promise<number[]> {
  return (await itemsOf(`EFFECT#${group}`)).map((e) => Number(e.seq));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function receiveOne(url: string): Promise<Message | undefined> {
  const out = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
  return out.Messages?.[0];
}

interface FailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  version: string;
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

describe('local event source mappings, read from a synthesized app', () => {
  it('describes the consumer queue, its dead-letter queue and the topic from the template', () => {
    // Act
    const d = run.events.descriptor();
    // Assess
    expect(d.domainEventsTopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:EvFlow-Events.*\.fifo$/);
    const consumer = Object.values(d.eventConsumers)[0]!;
    expect(consumer.queueUrl).toBe(queueUrl('ConsumerQueue'));
    expect(consumer.deadLetterQueueUrl).toBe(queueUrl('ConsumerDeadLetters'));
    expect(consumer.functionName).toMatch(/^EvFlow-Consumer/);
    expect(d.eventMappings).toHaveLength(2);
  });

  it('reads a stream whose first record follows writes to other tables (DynamoDB Local numbers all tables\' records in one sequence)', async () => {
    // Prepare: the table without a stream written first, while the stream is still empty
    await run.client.send(new PutItemCommand({ TableName: tableOf('Effects'), Item: { pk: { S: 'unrelated' }, sk: { S: '1' } } }));
    // Act
    await change('first-1', { group: 'first', seq: 1 });
    await run.mappings.caughtUp(30_000);
    // Assess
    expect(await appliedSeqs('first')).toEqual([1]);
    expect(run.logs.filter((l) => /Trimmed/.test(l))).toEqual([]);
  });

  it('hands each item\'s changes to the processor in order, and the FIFO consumer applies each group in order', async () => {
    // Prepare: three items, each changed six times, the changes interleaved
    const groups = ['order-a', 'order-b', 'order-c'];
    // Act
    for (let seq = 1; seq <= 6; seq += 1) {
      for (const group of groups) await change(group, { group, seq });
    }
    await run.mappings.caughtUp(30_000);
    // Assess: every change once, in order, with its message attribute, received once
    for (const group of groups) expect(await appliedSeqs(group)).toEqual([1, 2, 3, 4, 5, 6]);
    const effects = await itemsOf('EFFECT#order-a');
    expect(effects.every((e) => e.typeAttribute === 'ok' && e.receiveCount === '1')).toBe(true);
  });

  it('retries a record reported as failed MaximumRetryAttempts times, sends Lambda\'s record of it to the on-failure queue, then moves on', async () => {
    // Act
    await change('partial-1', { group: 'partial', seq: 1, mode: 'fail' });
    const message = await until('the on-failure record', () => receiveOne(queueUrl('StreamFailures')));
    await change('partial-2', { group: 'partial', seq: 2 });
    // Assess: one invocation and two retries, then the record is given up and later ones proceed
    await until('the later change', async () => ((await appliedSeqs('partial')).length ? true : undefined));
    expect(await appliedSeqs('partial')).toEqual([2]);
    const attempts = await itemsOf('ATTEMPT#partial-1');
    expect(attempts).toHaveLength(3);
    const failure = JSON.parse(message.Body!) as FailureRecord;
    expect(failure.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    expect(failure.requestContext.functionArn).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:EvFlow-Processor/);
    expect(failure.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(failure.version).toBe('1.0');
    expect(failure.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: attempts[0]!.sequenceNumber,
      endSequenceNumber: attempts[0]!.sequenceNumber,
      batchSize: 1,
    });
    expect(failure.DDBStreamBatchInfo.streamArn).toMatch(/:table\/Changes[^/]*\/stream\//);
    expect(failure.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('bisects a batch whose invocation throws until the poison record is alone, discards it after its retries and delivers the rest once', async () => {
    // Prepare: the poison change among four good ones of the same group
    const plan = [1, 2, 3, 4, 5].map((seq) => ({ key: `bisect-${seq}`, seq, mode: seq === 3 ? 'throw' : 'ok' }));
    // Act
    for (const p of plan) await change(p.key, { group: 'bisect', seq: p.seq, mode: p.mode });
    const message = await until('the on-failure record', () => receiveOne(queueUrl('StreamFailures')));
    await run.mappings.caughtUp(30_000);
    // Assess: the good changes applied once each (duplicates from re-invoked halves are deduplicated by event id)
    expect(await appliedSeqs('bisect')).toEqual([1, 2, 4, 5]);
    const alone = (await itemsOf('ATTEMPT#bisect-3')).filter((a) => a.batchSize === '1');
    expect(alone).toHaveLength(3);
    const failure = JSON.parse(message.Body!) as FailureRecord;
    expect(failure.responseContext?.functionError).toBe('Unhandled');
    expect(failure.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(failure.DDBStreamBatchInfo).toMatchObject({ batchSize: 1, startSequenceNumber: alone[0]!.sequenceNumber });
  });

  it('leaves only the failed message of an SQS batch, which returns after the visibility timeout and then goes to the dead-letter queue', async () => {
    // Prepare: a poison event between good ones, and a later event of the poisoned group
    await change('sqs-1', { group: 'sqs-ok-1', seq: 1 });
    await change('sqs-2', { group: 'sqs-poisoned', seq: 1, type: 'poison' });
    await change('sqs-3', { group: 'sqs-ok-2', seq: 1 });
    await change('sqs-4', { group: 'sqs-poisoned', seq: 2 });
    // Act
    const dead = await until('the dead letter', () => receiveOne(queueUrl('ConsumerDeadLetters')), 30_000);
    await run.mappings.caughtUp(30_000);
    // Assess: the good messages were applied on their first receive; the group waited for its poison
    for (const group of ['sqs-ok-1', 'sqs-ok-2']) {
      expect((await itemsOf(`EFFECT#${group}`)).map((e) => e.receiveCount)).toEqual(['1']);
    }
    expect(JSON.parse(dead.Body!)).toMatchObject({ key: 'sqs-2', type: 'poison' });
    expect(Number(dead.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(2);
    expect(await appliedSeqs('sqs-poisoned')).toEqual([2]);
  });

  it('keeps each message group in order across concurrent pollers, and the filter policy keeps other types out', async () => {
    // Prepare
    const topicArn = run.events.descriptor().domainEventsTopicArn!;
    const groups = ['fifo-a', 'fifo-b', 'fifo-c', 'fifo-d'];
    // Act: published as the processor would, interleaved, with one event of a filtered-out type
    for (let seq = 1; seq <= 15; seq += 1) {
      for (const group of groups) {
        const type = group === 'fifo-a' && seq === 7 ? 'ignored' : 'ok';
        await clients.sns.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: JSON.stringify({ key: `${group}-${seq}`, group, seq, type }),
            MessageGroupId: group,
            MessageDeduplicationId: `${group}-${seq}`,
            MessageAttributes: { type: { DataType: 'String', StringValue: type } },
          }),
        );
      }
    }
    await run.mappings.caughtUp(30_000);
    // Assess
    const all = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(await appliedSeqs('fifo-a')).toEqual(all.filter((seq) => seq !== 7));
    for (const group of groups.slice(1)) expect(await appliedSeqs(group)).toEqual(all);
  });

  it('lets a function reach SQS through AWS_ENDPOINT_URL_SQS and the queue URL of its template environment', async () => {
    // Act
    await change('audit-1', { group: 'audit', seq: 1, mode: 'audit' });
    const message = await until('the audit message', () => receiveOne(queueUrl('Audit')));
    // Assess
    expect(message.Body).toBe('audit-1');
  });

  it('refuses publications the fault predicate names, with SNS\'s InvalidParameter, single or batched', async () => {
    // Prepare
    const topicArn = run.events.descriptor().domainEventsTopicArn!;
    const entry = (key: string) => ({ Message: JSON.stringify({ key, group: 'faults', seq: 1, type: 'ok' }), MessageGroupId: 'faults', MessageDeduplicationId: key });
    refused.add('"key":"refused-');
    try {
      // Act / Assess
      await expect(clients.sns.send(new PublishCommand({ TopicArn: topicArn, ...entry('refused-1') }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
      await expect(
        clients.sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: 'a', ...entry('accepted-1') }, { Id: 'b', ...entry('refused-2') }] })),
      ).rejects.toMatchObject({ name: 'InvalidParameterException' });
      await expect(clients.sns.send(new PublishCommand({ TopicArn: topicArn, ...entry('accepted-2') }))).resolves.toMatchObject({ MessageId: expect.any(String) });
    } finally {
      refused.clear();
    }
  });
});
