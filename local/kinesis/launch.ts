/**
 * Kinesis stand-in for tests and the local stack: kinesalite 3.3.3, in this process, in memory, on
 * 127.0.0.1 only. Clients must use HTTP/1.1 (createKinesisClient / localKinesisClient do): the SDK's
 * default HTTP/2 handler for Kinesis fails against kinesalite with a protocol error.
 *
 *   const kinesis = await startKinesalite();               // kinesis.endpoint = http://127.0.0.1:PORT
 *   const client = localKinesisClient(kinesis.endpoint);
 *   const { streamArn } = await ensureStream(client, 'bid-events', 2);
 *   …
 *   await kinesis.stop();
 *
 * Kinesalite limits: provisioned streams only (no ON_DEMAND), StreamName required on every call.
 */
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import { createKinesisClient } from '../../shared/adapters/kinesis/client.js';

export interface StartKinesaliteOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Milliseconds kinesalite keeps a new stream CREATING (default 0: ACTIVE at once). */
  createStreamMs?: number;
  /** Shards kinesalite allows in all (default 100). */
  shardLimit?: number;
}

export interface LocalKinesis {
  /** e.g. http://127.0.0.1:41235 */
  endpoint: string;
  port: number;
  /** Closes the server and its connections; the in-memory streams are gone. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startKinesalite(options: StartKinesaliteOptions = {}): Promise<LocalKinesis> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${port}`);
  const server = kinesalite({
    createStreamMs: options.createStreamMs ?? 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: options.shardLimit ?? 100,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

/** A Kinesis client for an emulator: HTTP/1.1 kept alive, explicit endpoint, a region, dummy credentials. */
export function localKinesisClient(endpoint: string, options: { maxAttempts?: number } = {}): KinesisClient {
  return createKinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
}

/**
 * Creates a provisioned stream with `shardCount` shards unless it exists, and waits until it is ACTIVE.
 * Returns its name and ARN.
 */
export async function ensureStream(
  client: KinesisClient,
  streamName: string,
  shardCount: number,
  options: { timeoutMs?: number } = {},
): Promise<{ streamName: string; streamArn: string }> {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`);
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    const summary = out.StreamDescriptionSummary;
    if (summary?.StreamStatus === 'ACTIVE') return { streamName, streamArn: summary.StreamARN! };
    if (Date.now() > deadline) throw new Error(`stream ${streamName} not ACTIVE within ${options.timeoutMs ?? 30_000} ms (${summary?.StreamStatus})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { readStream, pollStream, toLambdaRecord, type PollStreamOptions, type StreamPoller } from './shard-reader.js';
