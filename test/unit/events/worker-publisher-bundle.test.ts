/**
 * The bidder image runs esbuild bundles, not sources (bidder/Dockerfile): the publisher worker is a
 * second bundle, dist/kinesis-publisher-worker.mjs, found beside the bundle that starts it. Built here
 * the way the Dockerfile builds them, then run under plain node (no tsx).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../../shared/events/index.js';
import { HttpKinesis } from './http-kinesis.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BANNER = "import { createRequire as __ddCreateRequire } from 'node:module'; const require = __ddCreateRequire(import.meta.url);";
const dir = mkdtempSync(join(tmpdir(), 'publisher-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node24', mainFields: ['module', 'main'], minify: true, banner: { js: BANNER }, logLevel: 'silent' });
}

describe('WorkerEventPublisher, bundled as in the bidder image', () => {
  it('the Dockerfile builds and ships the worker bundle', () => {
    const dockerfile = readFileSync(join(REPO, 'bidder/Dockerfile'), 'utf8');
    expect(dockerfile).toContain('kinesis-publisher-worker=shared/adapters/kinesis/publisher-worker.ts');
    expect(dockerfile).toContain('--outdir=dist');
    expect(dockerfile).toContain('--out-extension:.js=.mjs');
    expect(dockerfile).toMatch(/COPY --from=build .*\/src\/dist\/kinesis-publisher-worker\.mjs /);
  });

  it('starts kinesis-publisher-worker.mjs from beside the bundle and delivers events', async () => {
    // Prepare: an "app" bundle publishing through the default wiring, and the worker bundle beside it
    const kinesis = await new HttpKinesis().start();
    try {
      const app = join(dir, 'app.ts');
      writeFileSync(
        app,
        `import { WorkerEventPublisher } from ${JSON.stringify(join(REPO, 'shared/adapters/kinesis/worker-publisher.ts'))};
const p = new WorkerEventPublisher({ streamName: 'bid-events', client: JSON.parse(process.argv[2]) });
for (let i = 0; i < 3; i += 1) p.publish({ schemaVersion: 1, eventId: 'loss:b' + i, type: 'notice.loss', at: '2026-11-22T05:00:00.000Z', auctionId: 'a', impId: '1', bidId: 'b' + i, source: 'internal', sourceId: 'c', receivedAt: '2026-11-22T05:00:00.000Z' });
await p.close({ deadlineMs: 5000 });
console.log(JSON.stringify(p.stats()));`,
      );
      await bundle(app, join(dir, 'dist/app.mjs'));
      await bundle(join(REPO, 'shared/adapters/kinesis/publisher-worker.ts'), join(dir, 'dist/kinesis-publisher-worker.mjs'));
      // Act
      const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'dist/app.mjs'), JSON.stringify(kinesis.clientOptions())], { cwd: dir, timeout: 20_000 });
      // Assess
      expect(JSON.parse(stdout)).toMatchObject({ sent: 3, dropped: 0, failed: 0 });
      expect(kinesis.accepted.map((r) => decodeEvent(r.data).eventId).sort()).toEqual(['loss:b0', 'loss:b1', 'loss:b2']);
    } finally {
      await kinesis.stop();
    }
  }, 30_000);

  it('refuses to start when the worker bundle is missing (a build bug, not silent event loss)', async () => {
    // Prepare: the app bundle alone
    const lonely = join(dir, 'lonely');
    await bundle(join(dir, 'app.ts'), join(lonely, 'app.mjs'));
    // Act
    const run = promisify(execFile)(process.execPath, [join(lonely, 'app.mjs'), '{}'], { cwd: dir, timeout: 20_000 });
    // Assess
    await expect(run).rejects.toThrow(/kinesis-publisher-worker\.mjs not found/);
  }, 30_000);
});
