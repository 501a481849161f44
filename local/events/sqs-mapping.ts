/**
 * An SQS queue → Lambda event source mapping, the way Lambda runs one: pollers long-poll the queue
 * (WaitTimeSeconds 1, so a message is picked up as soon as it arrives), hand the function a batch
 * of at most BatchSize messages (receiving more, up to MaximumBatchingWindowInSeconds, when the
 * batch size is above SQS's 10 per receive), and then
 *  - on success delete the batch;
 *  - with ReportBatchItemFailures delete all but the messages named as failed (an empty or null
 *    list is success; an item without an identifier, or one not in the batch, fails the batch);
 *  - on a function error (or timeout) delete nothing.
 * What is not deleted reappears after the queue's visibility timeout and, past the redrive policy's
 * maxReceiveCount, moves to the dead-letter queue: that part, and FIFO ordering (a message group is
 * locked while one of its messages is in flight), is the SQS emulator's.
 *
 * Several pollers per queue (Lambda starts with five; ScalingConfig.MaximumConcurrency caps them).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord, SQSMessageAttributes } from 'aws-lambda';
import type { InvokeOutcome } from '../apigw/lambda-runtime.js';
import { Sleeper, type SourcePoller } from './pollers.js';

export interface SqsMappingOptions {
  name: string;
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  /** BatchSize (Lambda's default for SQS: 10). */
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, in ms. */
  batchingWindowMs: number;
  reportBatchItemFailures: boolean;
  /** Concurrent pollers. @default 5 */
  pollers?: number;
  invoke(event: SQSEvent): Promise<InvokeOutcome>;
  log(line: string): void;
  /** Long-poll wait per receive, seconds. @default 1 */
  waitTimeSeconds?: number;
}

/** One received message as Lambda hands it to the function. */
export function toLambdaSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The messages to delete after an invocation: all on success, none on error, the others on partial failure. */
export function messagesToDelete(outcome: InvokeOutcome, batch: SQSRecord[], reportBatchItemFailures: boolean): SQSRecord[] {
  if (!outcome.ok) return [];
  if (!reportBatchItemFailures) return batch;
  const result = outcome.result as { batchItemFailures?: unknown } | null | undefined;
  const failures = result && typeof result === 'object' ? result.batchItemFailures : undefined;
  if (failures === undefined || failures === null) return batch;
  if (!Array.isArray(failures)) return [];
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batch.some((r) => r.messageId === id)) return [];
    failed.add(id);
  }
  return batch.filter((r) => !failed.has(r.messageId));
}

export function startSqsMapping(options: SqsMappingOptions): SourcePoller {
  const { client, queueUrl, log } = options;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const sleeper = new Sleeper();
  const abort = new AbortController();
  let running = true;
  let taken = 0;
  let inFlight = 0;

  const receive = async (max: number, wait: number): Promise<Message[]> => {
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        WaitTimeSeconds: wait,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return out.Messages ?? [];
  };

  const poll = async (): Promise<void> => {
    while (running) {
      try {
        const first = await receive(options.batchSize, waitTimeSeconds);
        if (first.length === 0) continue;
        inFlight += 1;
        try {
          taken += first.length;
          const messages = [...first];
          const windowEnds = Date.now() + options.batchingWindowMs;
          while (running && messages.length < options.batchSize && Date.now() < windowEnds) {
            const more = await receive(options.batchSize - messages.length, 0);
            taken += more.length;
            messages.push(...more);
            if (more.length === 0) await sleeper.sleep(Math.min(50, windowEnds - Date.now()));
          }
          const batch = messages.map((m) => toLambdaSqsRecord(m, options.queueArn, options.region));
          const outcome = await options.invoke({ Records: batch });
          const done = messagesToDelete(outcome, batch, options.reportBatchItemFailures);
          for (let i = 0; i < done.length; i += 10) {
            const chunk = done.slice(i, i + 10);
            const out = await client.send(
              new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })) }),
            );
            for (const failed of out.Failed ?? []) log(`${options.name}: deleting a message failed: ${failed.Code} ${failed.Message ?? ''}`);
          }
        } finally {
          inFlight -= 1;
        }
      } catch (err) {
        if (!running) break;
        log(`${options.name}: ${(err as Error).message}`);
        await sleeper.sleep(100);
      }
    }
  };

  const loops = Array.from({ length: Math.max(1, options.pollers ?? 5) }, () => poll());

  return {
    name: options.name,
    get taken() {
      return taken;
    },
    async quietSince() {
      // Messages reach the queue synchronously (SendMessage, SNS fan-out), so its counters are the truth.
      if (inFlight > 0) return false;
      const out = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      const counts = Object.values(out.Attributes ?? {}).map(Number);
      return inFlight === 0 && counts.every((n) => n === 0);
    },
    async stop() {
      running = false;
      // Waiting receives are cut short; a batch already handed to the function finishes.
      abort.abort();
      sleeper.wakeAll();
      await Promise.all(loops);
    },
  };
}
