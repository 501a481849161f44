/**
 * fauxqs (an in-process SNS + SQS emulator) on 127.0.0.1, and SDK clients for it.
 *
 * `startFauxqs` listens on every interface (0.0.0.0); the local stack keeps everything on loopback,
 * so this builds the same app with fauxqs's `buildApp` and listens on 127.0.0.1 itself.
 *
 * Faults for tests and benchmarks: `refusePublication(message)` makes every topic refuse a Publish
 * (or a whole PublishBatch) carrying such a message with SNS's 400 InvalidParameter, as a topic
 * refuses an invalid message: for good, until the predicate says otherwise.
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

export interface EventFaults {
  /** True: the topic refuses a publication carrying this message body. */
  refusePublication?: (message: string) => boolean;
}

const BATCH_MESSAGE = /^PublishBatchRequestEntries\.member\.\d+\.Message$/;

/** The message bodies of an SNS Publish or PublishBatch request (query protocol, form-encoded). */
function publishedMessages(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const form = body as Record<string, unknown>;
  if (form.Action === 'Publish') return [String(form.Message ?? '')];
  if (form.Action !== 'PublishBatch') return [];
  return Object.entries(form)
    .filter(([key]) => BATCH_MESSAGE.test(key))
    .map(([, value]) => String(value));
}

export async function startEventsEmulator(options: { port?: number; region: string; faults?: EventFaults }): Promise<EventsEmulator> {
  const app = buildApp({ logger: false, defaultRegion: options.region });
  const refuse = options.faults?.refusePublication;
  if (refuse) {
    app.addHook('preHandler', async (request, reply) => {
      if (!publishedMessages(request.body).some((message) => refuse(message))) return;
      await reply
        .code(400)
        .header('content-type', 'text/xml')
        .send(
          '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code>' +
            `<Message>Invalid parameter: Message (refused by the local stack's fault injection)</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
        );
    });
  }
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
