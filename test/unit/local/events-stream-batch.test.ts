import { describe, expect, it } from 'vitest';
import type { InvokeOutcome } from '../../../local/apigw/lambda-runtime.js';
import { dynamoDbFailureRecord, failureDestination } from '../../../local/events/failure-destination.js';
import { messagesToDelete } from '../../../local/events/sqs-mapping.js';
import { deliverStreamBatch, type DiscardedRecords, type StreamBatchSettings, type StreamEntry } from '../../../local/events/stream-batch.js';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const settings = (overrides: Partial<StreamBatchSettings> = {}): StreamBatchSettings => ({
  maxRetryAttempts: 2,
  maxRecordAgeSeconds: -1,
  bisectOnFunctionError: false,
  reportBatchItemFailures: true,
  ...overrides,
});

const entries = (...names: string[]): StreamEntry<string>[] =>
  names.map((name, i) => ({ record: name, sequenceNumber: String(100 + i), arrivalMs: NOW - 1_000 }));

const ok = (result: unknown = null): InvokeOutcome => ({ ok: true, result, requestId: 'req' });
const thrown: InvokeOutcome = { ok: false, error: { errorType: 'Error', errorMessage: 'boom' }, requestId: 'req-failed' };

/** A fake function: `respond` decides each invocation's outcome; every batch it got is kept. */
function harness(batch: StreamEntry<string>[], s: StreamBatchSettings, respond: (records: string[]) => InvokeOutcome) {
  const calls: string[][] = [];
  const discarded: DiscardedRecords<string>[] = [];
  const run = deliverStreamBatch(batch, {
    settings: s,
    invoke: async (records) => {
      calls.push(records);
      return respond(records);
    },
    discard: async (d) => {
      discarded.push(d);
    },
    running: () => calls.length < 50,
    now: () => NOW,
    sleep: async () => {},
  });
  return { run, calls, discarded };
}

const failuresFor = (batch: StreamEntry<string>[], names: string[]) =>
  ok({ batchItemFailures: batch.filter((e) => names.includes(e.record)).map((e) => ({ itemIdentifier: e.sequenceNumber })) });

describe('a stream batch, the way Lambda hands it to a function', () => {
  it('is done after one successful invocation; an empty or null failure list is success', async () => {
    // Prepare
    const batch = entries('a', 'b');
    for (const result of [null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      const h = harness(batch, settings(), () => ok(result));
      // Act
      const outcome = await h.run;
      // Assess
      expect(outcome).toBe('done');
      expect(h.calls).toEqual([['a', 'b']]);
      expect(h.discarded).toEqual([]);
    }
  });

  it('retries from the lowest reported failure, MaximumRetryAttempts times, then discards what still fails', async () => {
    // Prepare
    const batch = entries('a', 'b', 'c', 'd');
    const h = harness(batch, settings(), () => failuresFor(batch, ['d', 'b']));
    // Act
    await h.run;
    // Assess
    expect(h.calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'c', 'd'], ['b', 'c', 'd']]);
    expect(h.discarded).toHaveLength(1);
    expect(h.discarded[0]).toMatchObject({ condition: 'RetryAttemptsExhausted', invokeCount: 3 });
    expect(h.discarded[0]!.entries.map((e) => e.record)).toEqual(['b', 'c', 'd']);
  });

  it('fails the whole batch when a reported item has no identifier or one not in the batch', async () => {
    // Prepare
    const batch = entries('a', 'b');
    for (const failures of [[{ itemIdentifier: '' }], [{ itemIdentifier: '999' }], [{}], 'nonsense']) {
      const h = harness(batch, settings({ maxRetryAttempts: 1 }), () => ok({ batchItemFailures: failures }));
      // Act
      await h.run;
      // Assess
      expect(h.calls).toEqual([['a', 'b'], ['a', 'b']]);
      expect(h.discarded[0]!.entries.map((e) => e.record)).toEqual(['a', 'b']);
    }
  });

  it('ignores the response without ReportBatchItemFailures', async () => {
    // Prepare
    const batch = entries('a', 'b');
    const h = harness(batch, settings({ reportBatchItemFailures: false }), () => failuresFor(batch, ['a']));
    // Act
    await h.run;
    // Assess
    expect(h.calls).toHaveLength(1);
    expect(h.discarded).toEqual([]);
  });

  it('retries a throwing batch whole without bisect, then discards all of it with the function error', async () => {
    // Prepare
    const h = harness(entries('a', 'b', 'c'), settings(), () => thrown);
    // Act
    await h.run;
    // Assess
    expect(h.calls).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    expect(h.discarded[0]).toMatchObject({ condition: 'RetryAttemptsExhausted', invokeCount: 3, lastInvocation: thrown });
    expect(h.discarded[0]!.entries).toHaveLength(3);
  });

  it('bisects a throwing batch until the poison record is alone; splitting uses no retry', async () => {
    // Prepare
    const h = harness(entries('a', 'b', 'P', 'c', 'd'), settings({ bisectOnFunctionError: true }), (records) =>
      records.includes('P') ? thrown : ok(),
    );
    // Act
    await h.run;
    // Assess
    expect(h.calls).toEqual([['a', 'b', 'P', 'c', 'd'], ['a', 'b', 'P'], ['a', 'b'], ['P'], ['P'], ['P'], ['c', 'd']]);
    expect(h.discarded).toHaveLength(1);
    expect(h.discarded[0]!.entries.map((e) => e.record)).toEqual(['P']);
    expect(h.discarded[0]!.invokeCount).toBe(5);
  });

  it('discards records older than MaximumRecordAgeInSeconds before invoking, and delivers the others', async () => {
    // Prepare
    const batch = entries('old', 'fresh');
    batch[0]!.arrivalMs = NOW - 120_000;
    const h = harness(batch, settings({ maxRecordAgeSeconds: 60 }), () => ok());
    // Act
    await h.run;
    // Assess
    expect(h.discarded).toEqual([{ entries: [batch[0]], condition: 'RecordAgeExceeded', invokeCount: 0, lastInvocation: undefined }]);
    expect(h.calls).toEqual([['fresh']]);
  });

  it('with MaximumRetryAttempts -1 retries until the mapping stops', async () => {
    // Prepare
    const h = harness(entries('a'), settings({ maxRetryAttempts: -1 }), () => thrown);
    // Act
    const outcome = await h.run;
    // Assess
    expect(outcome).toBe('stopped');
    expect(h.calls).toHaveLength(50);
    expect(h.discarded).toEqual([]);
  });
});

describe('the on-failure destination', () => {
  it('gets Lambda\'s invocation record of a discarded DynamoDB batch: metadata, not the records', () => {
    // Prepare
    const batch = entries('a', 'b');
    batch[1]!.arrivalMs = NOW + 2_500;
    // Act
    const record = dynamoDbFailureRecord(
      { entries: batch, condition: 'RetryAttemptsExhausted', invokeCount: 3, lastInvocation: thrown },
      { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x', shardId: 'shardId-1' },
      NOW,
    );
    // Assess
    expect(record).toEqual({
      requestContext: { requestId: 'req-failed', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date(NOW).toISOString(),
      DDBStreamBatchInfo: {
        shardId: 'shardId-1',
        startSequenceNumber: '100',
        endSequenceNumber: '101',
        approximateArrivalOfFirstRecord: '2030-01-01T11:59:59Z',
        approximateArrivalOfLastRecord: '2030-01-01T12:00:02Z',
        batchSize: 2,
        streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x',
      },
    });
  });

  it('has no response context for records that aged out before any invocation', () => {
    // Act
    const record = dynamoDbFailureRecord(
      { entries: entries('a'), condition: 'RecordAgeExceeded', invokeCount: 0, lastInvocation: undefined },
      { functionArn: 'fn', streamArn: 's', shardId: 'shard' },
    );
    // Assess
    expect(record.responseContext).toBeUndefined();
    expect(record.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
  });

  it('is never delivered to a FIFO queue or topic, as Lambda does not', async () => {
    // Prepare
    const sent: unknown[] = [];
    const clients = { sqs: { send: async (c: unknown) => sent.push(c) } as unknown as SQSClient, sns: { send: async (c: unknown) => sent.push(c) } as unknown as SNSClient };
    const fifo = failureDestination({ kind: 'sqs', arn: 'arn:q.fifo', url: 'http://q.fifo', fifo: true }, clients);
    const standard = failureDestination({ kind: 'sns', arn: 'arn:t', fifo: false }, clients);
    // Act
    await fifo.send({ a: 1 });
    await standard.send({ a: 1 });
    // Assess
    expect(fifo.deliverable).toBe(false);
    expect(standard.deliverable).toBe(true);
    expect(sent).toHaveLength(1);
  });
});

describe('an SQS batch after the invocation', () => {
  const batch = ['m1', 'm2', 'm3'].map((messageId) => ({ messageId }) as SQSRecord);
  const ids = (records: SQSRecord[]) => records.map((r) => r.messageId);

  it('deletes everything on success, nothing on a function error, all but the reported failures otherwise', () => {
    expect(ids(messagesToDelete(ok(), batch, true))).toEqual(['m1', 'm2', 'm3']);
    expect(ids(messagesToDelete(ok({ batchItemFailures: [] }), batch, true))).toEqual(['m1', 'm2', 'm3']);
    expect(messagesToDelete(thrown, batch, true)).toEqual([]);
    expect(ids(messagesToDelete(ok({ batchItemFailures: [{ itemIdentifier: 'm2' }] }), batch, true))).toEqual(['m1', 'm3']);
  });

  it('deletes nothing when a reported failure names no message of the batch, and ignores the response without ReportBatchItemFailures', () => {
    expect(messagesToDelete(ok({ batchItemFailures: [{ itemIdentifier: 'other' }] }), batch, true)).toEqual([]);
    expect(messagesToDelete(ok({ batchItemFailures: [{ itemIdentifier: '' }] }), batch, true)).toEqual([]);
    expect(ids(messagesToDelete(ok({ batchItemFailures: [{ itemIdentifier: 'm2' }] }), batch, false))).toEqual(['m1', 'm2', 'm3']);
  });
});
