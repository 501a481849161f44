import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface KinesisClientOptions extends Omit<KinesisClientConfig, 'requestHandler'> {
  /** Sockets per host (default 50). */
  maxSockets?: number;
  /** Per-request socket timeout, ms (default 5 s): a stalled PutRecords must not hold the flusher. */
  requestTimeoutMs?: number;
}

/**
 * A Kinesis client over HTTP/1.1 with kept-alive connections. The SDK's default handler for Kinesis is
 * HTTP/2, which kinesalite (the local stand-in) does not speak; HTTP/1.1 with keep-alive costs nothing
 * measurable against AWS. Endpoint, region and credentials come from the standard SDK environment
 * (AWS_ENDPOINT_URL_KINESIS locally) unless given here.
 */
export function createKinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  const { maxSockets = 50, requestTimeoutMs = 5_000, ...config } = options;
  return new KinesisClient({
    ...config,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 2_000,
      requestTimeout: requestTimeoutMs,
    }),
  });
}
