/**
 * Domain events to the SNS FIFO topic: message group = deal id (per-deal order into every subscribed
 * FIFO queue), deduplication id = event id (a replayed stream record is dropped by SNS within its
 * 5-minute window; consumers' applied-event markers catch later replays), routing attributes for the
 * subscriptions' filter policies.
 *
 * Order within a call: PublishBatch takes up to 10 entries; a call carries at most one event per deal
 * and calls for a deal's next event start only after its previous one succeeded, so an earlier version
 * can never be overtaken. A call that fails as a whole (e.g. one entry the topic refuses outright) is
 * retried entry by entry, so one bad event never fails its neighbours.
 */
import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { encodeDomainEvent, routingAttributesOf } from '../../domain-events/codec.js';
import type { DomainEvent } from '../../domain-events/types.js';
import type { DomainEventPublisher, PublishOutcome } from '../../ports/domain-events.js';

const MAX_BATCH = 10;

export class PublishRefusedError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'PublishRefusedError';
  }
}

export interface SnsDomainEventPublisherOptions {
  client: SNSClient;
  topicArn: string;
}

export class SnsDomainEventPublisher implements DomainEventPublisher {
  constructor(private readonly options: SnsDomainEventPublisherOptions) {}

  async publish(events: readonly DomainEvent[]): Promise<PublishOutcome[]> {
    const outcomes = new Map<DomainEvent, PublishOutcome>();
    // Per deal, its events in order; round r publishes each deal's r-th event still pending.
    const queues = new Map<string, DomainEvent[]>();
    for (const event of events) {
      const queue = queues.get(event.dealId) ?? [];
      queue.push(event);
      queues.set(event.dealId, queue);
    }
    while (queues.size > 0) {
      const round = [...queues.values()].map((queue) => queue.shift()!);
      const chunks: DomainEvent[][] = [];
      for (let i = 0; i < round.length; i += MAX_BATCH) chunks.push(round.slice(i, i + MAX_BATCH));
      const results = (await Promise.all(chunks.map((chunk) => this.publishChunk(chunk)))).flat();
      for (const outcome of results) {
        const event = round.find((e) => e.eventId === outcome.eventId)!;
        outcomes.set(event, outcome);
        const queue = queues.get(event.dealId)!;
        if (!outcome.ok) {
          // The deal's later events must not overtake this one.
          for (const later of queue) {
            outcomes.set(later, {
              eventId: later.eventId,
              ok: false,
              error: new PublishRefusedError('BehindFailedEvent', `an earlier event of deal ${event.dealId} (${event.eventId}) was not published`),
              retryable: true,
            });
          }
          queue.length = 0;
        }
        if (queue.length === 0) queues.delete(event.dealId);
      }
    }
    return events.map((event) => outcomes.get(event)!);
  }

  private entryOf(event: DomainEvent, id: string) {
    const attributes = routingAttributesOf(event);
    return {
      Id: id,
      Message: encodeDomainEvent(event),
      MessageGroupId: event.dealId,
      MessageDeduplicationId: event.eventId,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
      ),
    };
  }

  private async publishChunk(chunk: DomainEvent[]): Promise<PublishOutcome[]> {
    try {
      const out = await this.options.client.send(
        new PublishBatchCommand({
          TopicArn: this.options.topicArn,
          PublishBatchRequestEntries: chunk.map((event, index) => this.entryOf(event, String(index))),
        }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [Number(f.Id), f]));
      return chunk.map((event, index) => {
        const failure = failed.get(index);
        return failure
          ? {
              eventId: event.eventId,
              ok: false,
              error: new PublishRefusedError(failure.Code ?? 'Failed', failure.Message ?? 'refused by the topic'),
              retryable: failure.SenderFault !== true,
            }
          : { eventId: event.eventId, ok: true };
      });
    } catch (err) {
      if (chunk.length === 1) return [{ eventId: chunk[0]!.eventId, ok: false, error: err as Error, retryable: isRetryable(err) }];
      return Promise.all(chunk.map((event) => this.publishOne(event)));
    }
  }

  private async publishOne(event: DomainEvent): Promise<PublishOutcome> {
    const { Id: _id, ...entry } = this.entryOf(event, '0');
    try {
      await this.options.client.send(new PublishCommand({ TopicArn: this.options.topicArn, ...entry }));
      return { eventId: event.eventId, ok: true };
    } catch (err) {
      return { eventId: event.eventId, ok: false, error: err as Error, retryable: isRetryable(err) };
    }
  }
}

/**
 * A failure that may pass: the SDK marks throttling and transient errors retryable (after its own
 * retries with backoff), and a server fault or a failed connection may clear. A 4xx the service
 * answered (invalid parameter, message too large, authorization) will not.
 */
function isRetryable(err: unknown): boolean {
  const failure = err as { $retryable?: unknown; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (failure.$retryable) return true;
  const status = failure.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return failure.$fault !== 'client' && status >= 500;
}
