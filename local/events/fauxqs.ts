/**
 * fauxqs (an in-process SNS + SQS emulator) on 127.0.0.1, and SDK clients for it.
 *
 * `startFauxqs` listens on every interface (0.0.0.0); the local stack keeps everything on loopback,
 * so this builds the same app with fauxqs's `buildApp` and listens on 127.0.0.1 itself.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

export interface EventsEmulator {
  /** e.g. http://127.0.0.1:41234 — SNS and SQS on one endpoint. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEventsEmulator(options: { port?: number; region: string }): Promise<EventsEmulator> {
  const app = buildApp({ logger: false, defaultRegion: options.region });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fauxqs did not report its port');
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    stop: () => (stopped ??= app.close().then(() => undefined)),
  };
}

/** Client settings for the emulator: its endpoint in code (so the SQS client never follows a QueueUrl's host), dummy credentials. */
export function emulatorClientConfig(endpoint: string, region: string) {
  return { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export function emulatorClients(endpoint: string, region: string): { sns: SNSClient; sqs: SQSClient; destroy(): void } {
  const sns = new SNSClient(emulatorClientConfig(endpoint, region));
  const sqs = new SQSClient(emulatorClientConfig(endpoint, region));
  return {
    sns,
    sqs,
    destroy() {
      sns.destroy();
      sqs.destroy();
    },
  };
}
