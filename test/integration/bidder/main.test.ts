/**
 * The container entry point as a process: config errors name the missing variables; SIGTERM drains,
 * returns leases and exits 0.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../../local/redis/launch.js';
import { ensureStream, localKinesisClient, startKinesalite, type LocalKinesis } from '../../../local/kinesis/launch.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { EXCHANGE_KEY, seedTable } from './harness.js';

const MAIN = new URL('../../../bidder/main.ts', import.meta.url).pathname;

function run(env: Record<string, string>, onReady?: (child: ReturnType<typeof spawn>, stderr: () => string) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let ready = false;
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!ready && stderr.includes('bidder listening')) {
        ready = true;
        onReady?.(child, () => stderr);
      }
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('bidder/main.ts', () => {
  it('exits 1 naming every missing variable', async () => {
    const { code, stderr } = await run({});
    expect(code).toBe(1);
    expect(stderr).toMatch(/DEALS_TABLE_NAME is required/);
    expect(stderr).toMatch(/SPEND_TABLE_NAME is required/);
    expect(stderr).toMatch(/EXCHANGE_KEYS is required/);
    expect(stderr).toMatch(/REDIS_HOST is required/);
  });

  describe('with its dependencies', () => {
    const ddb = useDynamoDbLocal();
    let redis: LocalRedis;
    let kinesis: LocalKinesis;
    beforeAll(async () => {
      await seedTable(ddb.doc, ddb.tables.deals);
      redis = await startRedis({ port: 0 });
      kinesis = await startKinesalite({ port: 0 });
      const kc = localKinesisClient(kinesis.endpoint);
      await ensureStream(kc, 'main-test', 1);
      kc.destroy();
    }, 60_000);
    afterAll(async () => {
      await redis?.stop();
      await kinesis?.stop();
    });

    it('serves, and on SIGTERM drains, returns its leases and exits 0', async () => {
      const port = 40_000 + (process.pid % 5000);
      let answered = 0;
      const { code, stderr } = await run(
        {
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
          AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
          PORT: String(port),
          HOST: '127.0.0.1',
          DEALS_TABLE_NAME: ddb.tables.deals,
          SPEND_TABLE_NAME: ddb.tables.spend,
          BID_EVENTS_STREAM: 'main-test',
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(redis.port),
          EXCHANGE_KEYS: JSON.stringify({ ex: EXCHANGE_KEY }),
          METRICS_FLUSH_MS: '300000',
        },
        (child) => {
          void (async () => {
            // Wait for a lease, bid once, then SIGTERM.
            for (let i = 0; i < 100; i++) {
              const res = await fetch(`http://127.0.0.1:${port}/openrtb2/auction`, {
                method: 'POST',
                headers: { 'x-exchange-key': EXCHANGE_KEY },
                body: JSON.stringify({ id: `m${i}`, at: 1, imp: [{ id: '1', banner: { w: 300, h: 250 } }] }),
              });
              await res.arrayBuffer();
              if (res.status === 200) {
                answered++;
                break;
              }
              await new Promise((r) => setTimeout(r, 50));
            }
            child.kill('SIGTERM');
          })();
        },
      );
      expect(answered, stderr).toBe(1);
      expect(code).toBe(0);
      expect(stderr).toMatch(/"msg":"leases returned","nanos":[1-9]/);
      expect(stderr).toMatch(/"msg":"stopped"/);
    });
  });
});
