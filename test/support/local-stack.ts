/**
 * The local stack for integration tests.
 *
 * Preferred: once for the whole `integration` project, as a vitest globalSetup —
 *   { test: { name: 'integration', globalSetup: ['test/support/local-stack.ts'], … } }
 * The setup starts the stack in the vitest main process and `provide`s its descriptor (plain JSON:
 * apiUrl, tokens, …); test files read it with `useLocalStack()`.
 *
 * Without that globalSetup, `useLocalStack()` starts a private stack for its test file in beforeAll
 * and stops it in afterAll (slower: one synthesis and one DynamoDB Local per file).
 *
 * DEALDESK_LOCAL_DESCRIPTOR=.dealdesk/local.json runs the tests against an already running
 * `npm start` stack instead (its tokens must still be valid; start it with --seed for the bidding tests).
 *
 * The stack includes the bidding part (Redis, kinesalite + bid-events stream + spend consumer,
 * simulated DSPs, the bidder) and the bidding demo deal (local/bidding/seed.ts), seeded before the
 * bidder starts. DEALDESK_LOCAL_BIDDING=0 skips both (API-only runs).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { apiClient, type ApiRequest } from '../../local/client.js';
import { STATE_DIR, startLocalStack, type LocalStack, type LocalStackDescriptor } from '../../local/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    localStack: LocalStackDescriptor | null;
  }
}

async function start(outdir: string, lambdaLogs: string, bidderLogs: string): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    outdir,
    descriptorPath: false,
    lambdaLogs,
    // The bidding part (Redis, kinesalite, spend consumer, DSPs, bidder) with its demo deal seeded
    // before the bidder starts; DEALDESK_LOCAL_BIDDING=0 skips it.
    bidding: process.env.DEALDESK_LOCAL_BIDDING === '0' ? false : { bidderLogs },
    seedBidding: process.env.DEALDESK_LOCAL_BIDDING !== '0',
    // DEALDESK_LAMBDA_INSTANCES=N: Lambda-like isolation (one invocation per environment, N per function).
    lambdaInstances: Number(process.env.DEALDESK_LAMBDA_INSTANCES ?? 0) || 0,
    log: process.env.DEALDESK_LOCAL_VERBOSE ? (l) => console.log(`[local-stack] ${l}`) : undefined,
  });
}

/** vitest globalSetup: one stack for the whole project. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const stack = await start(join(STATE_DIR, 'test', 'cdk.out'), join(STATE_DIR, 'logs', 'test-lambda.log'), join(STATE_DIR, 'logs', 'test-bidder.log'));
  if (process.env.DEALDESK_LOCAL_VERBOSE) console.log(`[local-stack] started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  project.provide('localStack', stack.descriptor);
  return async () => {
    await stack.stop();
  };
}

export interface LocalStackHandle {
  /** The running stack's descriptor (available from beforeAll on). */
  readonly d: LocalStackDescriptor;
  /** fetch wrapper bound to the stack's API URL. */
  readonly api: ApiRequest;
}

/**
 * Call at the top level of a test file. Uses the project-wide stack when the globalSetup above is
 * configured, otherwise starts one for this file.
 */
export function useLocalStack(): LocalStackHandle {
  let descriptor: LocalStackDescriptor | undefined;
  let own: LocalStack | undefined;
  let ownDir: string | undefined;
  let request: ApiRequest | undefined;
  beforeAll(async () => {
    let provided: LocalStackDescriptor | null | undefined;
    try {
      provided = inject('localStack');
    } catch {
      provided = undefined;
    }
    const external = process.env.DEALDESK_LOCAL_DESCRIPTOR;
    if (provided) {
      descriptor = provided;
    } else if (external) {
      descriptor = JSON.parse(readFileSync(external, 'utf8')) as LocalStackDescriptor;
    } else {
      ownDir = mkdtempSync(join(tmpdir(), 'dealdesk-it-'));
      own = await start(join(ownDir, 'cdk.out'), join(ownDir, 'lambda.log'), join(ownDir, 'bidder.log'));
      descriptor = own.descriptor;
    }
    request = apiClient(descriptor.apiUrl);
  }, 240_000);
  afterAll(async () => {
    await own?.stop();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }, 60_000);
  return {
    get d() {
      if (!descriptor) throw new Error('the local stack is not started yet (use it inside tests or hooks)');
      return descriptor;
    },
    get api() {
      if (!request) throw new Error('the local stack is not started yet (use it inside tests or hooks)');
      return request;
    },
  };
}
