/**
 * The change processor's dead-letter queue on SQS FIFO: message group = deal id, so a redrive reads a
 * deal's letters in the order they were sent; deduplication id = event id and attempt count, so the
 * processor re-sending the same letter (a retried invocation) stores it once, while a redrive that
 * fails again stores the letter with its new count.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ChangeDeadLetter, ChangeDeadLetterQueue, ReceivedDeadLetter } from '../../ports/change-dead-letters.js';

const MAX_BATCH = 10;

export class DeadLetterSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadLetterSendError';
  }
}

export interface SqsChangeDeadLetterQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** How long a received letter stays hidden from other readers. @default 60 */
  visibilityTimeoutSeconds?: number;
}

const chunksOf = <T>(items: readonly T[]): T[][] => {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) chunks.push(items.slice(i, i + MAX_BATCH));
  return chunks;
};

function parseLetter(body: string): ChangeDeadLetter | undefined {
  try {
    const value = JSON.parse(body) as Partial<ChangeDeadLetter>;
    const readable =
      typeof value.eventId === 'string' && typeof value.dealId === 'string' && typeof value.attempts === 'number' && typeof value.record === 'object' && value.record !== null;
    return readable ? (value as ChangeDeadLetter) : undefined;
  } catch {
    return undefined;
  }
}

export class SqsChangeDeadLetterQueue implements ChangeDeadLetterQueue {
  constructor(private readonly options: SqsChangeDeadLetterQueueOptions) {}

  async send(letters: readonly ChangeDeadLetter[]): Promise<void> {
    // Sequential chunks: a deal's letters must enter its message group in order.
    for (const chunk of chunksOf(letters)) {
      const out = await this.options.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((letter, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(letter),
            MessageGroupId: letter.dealId,
            MessageDeduplicationId: `${letter.eventId}-${letter.attempts}`.slice(0, 128),
          })),
        }),
      );
      if (out.Failed && out.Failed.length > 0) {
        const first = out.Failed[0]!;
        throw new DeadLetterSendError(`${out.Failed.length} dead letter(s) refused by the queue: ${first.Code ?? ''} ${first.Message ?? ''}`.trim());
      }
    }
  }

  async receive(options: { max: number; waitSeconds?: number }): Promise<ReceivedDeadLetter[]> {
    const out = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_BATCH, Math.max(1, options.max)),
        WaitTimeSeconds: options.waitSeconds ?? 0,
        VisibilityTimeout: this.options.visibilityTimeoutSeconds ?? 60,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return (out.Messages ?? []).map((message) => {
      const body = message.Body ?? '';
      const letter = parseLetter(body);
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      return { ...(letter ? { letter } : {}), body, receipt: message.ReceiptHandle ?? '', receiveCount };
    });
  }

  async remove(receipts: readonly string[]): Promise<void> {
    for (const chunk of chunksOf(receipts)) {
      await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((receipt, index) => ({ Id: String(index), ReceiptHandle: receipt })),
        }),
      );
    }
  }

  async returnToQueue(receipts: readonly string[]): Promise<void> {
    for (const chunk of chunksOf(receipts)) {
      await this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((receipt, index) => ({ Id: String(index), ReceiptHandle: receipt, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
}
