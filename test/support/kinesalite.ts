/**
 * One kinesalite per test file: started in beforeAll, stopped in afterAll, with a client and fresh
 * streams (each test its own, so records never mix).
 *
 *   const kinesis = useKinesalite('bid-events');
 *   it('…', async () => { const stream = await kinesis.freshStream(2); kinesis.client.send(…); });
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll } from 'vitest';
import { ensureStream, localKinesisClient, startKinesalite, type LocalKinesis } from '../../local/kinesis/launch.js';

export interface KinesaliteFixture {
  readonly endpoint: string;
  readonly client: KinesisClient;
  /** Creates a new stream with `shards` shards (default 2) and returns its name. */
  freshStream(shards?: number): Promise<string>;
}

export function useKinesalite(streamPrefix: string): KinesaliteFixture {
  let kinesis: LocalKinesis | undefined;
  let client: KinesisClient | undefined;
  let streams = 0;
  beforeAll(async () => {
    kinesis = await startKinesalite();
    client = localKinesisClient(kinesis.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await kinesis?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useKinesalite: kinesalite is not started (use it inside tests)');
    return value;
  };
  return {
    get endpoint() {
      return started(kinesis).endpoint;
    },
    get client() {
      return started(client);
    },
    async freshStream(shards = 2) {
      streams += 1;
      return (await ensureStream(started(client), `${streamPrefix}-${streams}`, shards)).streamName;
    },
  };
}
