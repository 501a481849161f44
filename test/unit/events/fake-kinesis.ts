import type { PutRecordsCommand, PutRecordsCommandOutput, PutRecordsRequestEntry, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { PutRecordsClient } from '../../../shared/adapters/kinesis/buffered-publisher.js';

export interface Call {
  records: PutRecordsRequestEntry[];
  streamName?: string;
}

/**
 * Fake of the SDK client's `send(PutRecordsCommand)`: records every call; `failRecord(entry, attempt)`
 * returns an ErrorCode to fail that record in that call (attempt = how many calls carried the same
 * partition key + data before, 0-based); `hang` leaves calls unanswered; `throwOnCall` fails whole calls.
 */
export class FakeKinesis implements PutRecordsClient {
  readonly calls: Call[] = [];
  readonly accepted: PutRecordsRequestEntry[] = [];
  hang = false;
  throwOnCall: (callIndex: number) => Error | undefined = () => undefined;
  failRecord: (entry: PutRecordsRequestEntry, attempt: number) => string | undefined = () => undefined;
  private readonly seen = new Map<string, number>();
  private seq = 0;

  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const input = command.input;
    const records = input.Records ?? [];
    const index = this.calls.length;
    this.calls.push({ records, streamName: input.StreamName });
    if (this.hang) return new Promise(() => {});
    await Promise.resolve();
    const error = this.throwOnCall(index);
    if (error) throw error;
    let failed = 0;
    const results: PutRecordsResultEntry[] = records.map((entry) => {
      const id = `${entry.PartitionKey}|${Buffer.from(entry.Data!).toString('base64')}`;
      const attempt = this.seen.get(id) ?? 0;
      this.seen.set(id, attempt + 1);
      const code = this.failRecord(entry, attempt);
      if (code) {
        failed += 1;
        return { ErrorCode: code, ErrorMessage: `${code} (fake)` };
      }
      this.accepted.push(entry);
      this.seq += 1;
      return { SequenceNumber: String(this.seq).padStart(20, '0'), ShardId: 'shardId-000000000000' };
    });
    return { FailedRecordCount: failed, Records: results, $metadata: {} };
  }
}

export const decodeEntry = (entry: PutRecordsRequestEntry) => JSON.parse(Buffer.from(entry.Data!).toString('utf8')) as { eventId: string };
