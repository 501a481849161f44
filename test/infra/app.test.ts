// The one test that really bundles: synthesizes the whole app as `cdk synth` does (offline, local
// esbuild, no Docker, the bidder's TLS context set) and checks every API function's bundle in the
// cloud assembly.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../infra/api/routes.js';
import { BIDDER_CONTEXT } from '../../infra/bidder-endpoint.js';
import { STACK_NAMES, buildApp } from '../../infra/build-app.js';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> };

let outdir: string;
let assembly: CloudAssembly;
let synthMs: number;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'dealdesk-app-'));
  const started = Date.now();
  const context = {
    [BIDDER_CONTEXT.certificateArn]: 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
    [BIDDER_CONTEXT.domainName]: 'bid.example.com',
    [BIDDER_CONTEXT.exchangeCidrs]: '203.0.113.0/24',
  };
  assembly = buildApp({ outdir, context }).app.synth();
  synthMs = Date.now() - started;
  console.log(`bundled and synthesized the app in ${synthMs} ms`);
}, 180_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

function template(stackName: string): Record<string, Resource> {
  const stack = assembly.getStackByName(stackName);
  return (stack.template as { Resources: Record<string, Resource> }).Resources;
}

describe('the synthesized app', () => {
  it('has the data, API, change-events and bidding stacks', () => {
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([STACK_NAMES.api, STACK_NAMES.data, STACK_NAMES.events, STACK_NAMES.bidding].sort());
  });

  it('bundles every API function into its own asset dir with index.mjs and a source map', () => {
    const resources = template(STACK_NAMES.api);
    const fns = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(ROUTES.length);
    const dirs = new Set<string>();
    for (const [id, fn] of fns) {
      const assetPath = fn.Metadata?.['aws:asset:path'];
      expect(typeof assetPath, `${id} aws:asset:path`).toBe('string');
      expect(isAbsolute(assetPath as string), `${id} asset path is relative to the assembly`).toBe(false);
      expect(fn.Metadata?.['aws:asset:property']).toBe('Code');
      const dir = join(outdir, assetPath as string);
      dirs.add(dir);
      const code = join(dir, 'index.mjs');
      const map = join(dir, 'index.mjs.map');
      expect(existsSync(code), code).toBe(true);
      expect(existsSync(map), map).toBe(true);
      const text = readFileSync(code, 'utf8');
      expect(text.startsWith('import { createRequire as __ddCreateRequire }'), `${id} ESM banner`).toBe(true);
      expect(text).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      const sources = (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources;
      const route = ROUTES.find((r) => (fn.Properties.Description as string).includes(r.entry));
      expect(route, `${id} route`).toBeDefined();
      expect(sources.some((s) => s.endsWith(route!.entry)), `${routeKey(route!)} map names ${route!.entry}`).toBe(true);
      expect(statSync(code).size).toBeLessThan(5 * 1024 * 1024);
    }
    expect(dirs.size).toBe(ROUTES.length);
  });

  it('records asset metadata and table names the local stack resolves', () => {
    const resources = template(STACK_NAMES.api);
    const create = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && (r.Properties.Description as string).startsWith('POST /deals '),
    )!;
    const env = create.Properties.Environment.Variables as Record<string, unknown>;
    for (const name of ['DEALS_TABLE_NAME', 'HISTORY_TABLE_NAME', 'IDEMPOTENCY_TABLE_NAME']) {
      expect(JSON.stringify(env[name]), name).toMatch(/Fn::ImportValue.*DealDesk-Data:ExportsOutputRef/);
    }
  });
});
