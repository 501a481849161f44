import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpEntry {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
}

/**
 * A Kinesis PutRecords endpoint over HTTP (awsJson1_1), for publishers whose SDK client cannot be
 * faked in-process (it lives in a worker thread). Records every accepted record; `failRecord(entry,
 * attempt)` fails a record in one call with an ErrorCode; `hang` leaves calls unanswered.
 */
export class HttpKinesis {
  readonly accepted: HttpEntry[] = [];
  calls = 0;
  hang = false;
  failRecord: (entry: HttpEntry, attempt: number) => string | undefined = () => undefined;
  private readonly seen = new Map<string, number>();
  private readonly hung: ServerResponse[] = [];
  private seq = 0;
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.calls += 1;
      if (this.hang) {
        this.hung.push(res);
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Records: Array<{ Data: string; PartitionKey: string; ExplicitHashKey?: string }> };
      let failed = 0;
      const results = body.Records.map((r) => {
        const entry: HttpEntry = { data: Buffer.from(r.Data, 'base64'), partitionKey: r.PartitionKey, ...(r.ExplicitHashKey ? { explicitHashKey: r.ExplicitHashKey } : {}) };
        const id = `${r.PartitionKey}|${r.Data}`;
        const attempt = this.seen.get(id) ?? 0;
        this.seen.set(id, attempt + 1);
        const code = this.failRecord(entry, attempt);
        if (code) {
          failed += 1;
          return { ErrorCode: code, ErrorMessage: `${code} (test)` };
        }
        this.accepted.push(entry);
        this.seq += 1;
        return { SequenceNumber: String(this.seq).padStart(20, '0'), ShardId: 'shardId-000000000000' };
      });
      const out = JSON.stringify({ FailedRecordCount: failed, Records: results });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });

  endpoint = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Client options for a publisher worker talking to this endpoint. */
  clientOptions() {
    return { endpoint: this.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  }

  async stop(): Promise<void> {
    for (const res of this.hung.splice(0)) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
