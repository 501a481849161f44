/**
 * API benchmark (`npm run bench:api [-- --requests N --concurrency C --warmup W]`): starts the local
 * stack (synthesized template, bundled handlers, DynamoDB Local), warms every measured function up,
 * then measures create (POST /deals), get (GET /deals/{id}) and amend (PATCH /deals/{id} with
 * If-Match) over loopback HTTP with a fixed concurrency and request count, prints requests/s and
 * p50/p99 latency per operation as a table and one JSON line, and stops everything.
 *
 * Baseline, measured in the same run: the same three operations through the DynamoDB repository
 * called directly (no HTTP, no emulator, no middy chain) against the same DynamoDB Local. The ratio
 * api/baseline says what the API layer costs on top of the store; DynamoDB Local itself (a 2020 Java
 * emulator) bounds both.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDealRepository } from '../shared/adapters/dynamodb/deal-repository.js';
import { dealAuditEntry } from '../shared/domain/audit-entry.js';
import { amendDeal } from '../shared/domain/deal/amend.js';
import { createDeal } from '../shared/domain/deal/create.js';
import type { ChangeContext } from '../shared/domain/actor.js';
import { apiClient, type ApiResponse } from '../local/client.js';
import { localClientConfig } from '../local/dynamodb/launch.js';
import { STATE_DIR, startLocalStack, type LocalStack } from '../local/stack.js';

interface OpResult {
  op: string;
  requests: number;
  concurrency: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Runs `count` calls of `fn(i)` with at most `concurrency` in flight. */
async function measure(
  op: string,
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<ApiResponse>,
  okStatus: number,
): Promise<{ result: OpResult; responses: ApiResponse[] }> {
  const latencies: number[] = [];
  const responses: ApiResponse[] = new Array(count);
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t = performance.now();
      let r: ApiResponse;
      try {
        r = await fn(i);
      } catch (err) {
        r = { status: 0, headers: new Headers(), body: undefined, text: String(err) };
      }
      latencies.push(performance.now() - t);
      responses[i] = r;
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const ok = statuses[okStatus] ?? 0;
  return {
    responses,
    result: {
      op,
      requests: count,
      concurrency,
      ok,
      errors: count - ok,
      statuses,
      seconds: Number(seconds.toFixed(3)),
      rps: Number((count / seconds).toFixed(1)),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      maxMs: Number((latencies.at(-1) ?? Number.NaN).toFixed(1)),
    },
  };
}

function table(rows: OpResult[]): string {
  const head = ['op', 'requests', 'conc', 'ok', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'max ms'];
  const body = rows.map((r) => [r.op, r.requests, r.concurrency, r.ok, r.errors, r.rps, r.p50Ms, r.p99Ms, r.maxMs].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '16' },
      'lambda-instances': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const warmup = Number(values.warmup);
  const lambdaInstances = Number(values['lambda-instances']);
  for (const [name, v, min, max] of [
    ['requests', requests, 1, 10_000],
    ['concurrency', concurrency, 1, 64],
    ['warmup', warmup, 0, 1_000],
    ['lambda-instances', lambdaInstances, 0, 64],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  }
  const command = `npm run bench:api -- --requests ${requests} --concurrency ${concurrency} --warmup ${warmup}${lambdaInstances ? ` --lambda-instances ${lambdaInstances}` : ''}`;

  const log = (l: string): void => console.error(`[bench] ${l}`);
  let stack: LocalStack | undefined;
  const stop = async (): Promise<void> => {
    await stack?.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    stack = await startLocalStack({ port: 0, outdir: join(STATE_DIR, 'bench', 'cdk.out'), descriptorPath: false, lambdaLogs: 'ignore', lambdaInstances, log });
    const d = stack.descriptor;
    const api = apiClient(d.apiUrl);
    const token = d.tokens.deal_manager;
    const dealBody = (i: number, tag: string) => ({
      accountId: d.accountId,
      name: `bench ${tag} ${i}`,
      type: 'standard',
      totalValue: { amountMinor: 1_000_000 + i, currency: 'USD' },
      startDate: '2027-01-01',
      endDate: '2027-12-31',
    });
    const create = (tag: string) => (i: number) => api('POST', '/deals', { token, body: dealBody(i, tag) });

    // Warm-up: start each measured function's worker and JIT its path (cold starts excluded).
    log(`warming up (${warmup} requests per operation at concurrency ${concurrency}) …`);
    const w = await measure('warmup-create', warmup, concurrency, create('warmup'), 201);
    const warmIds = w.responses.filter((r) => r.status === 201).map((r) => r.body.id as string);
    if (warmIds.length === 0) throw new Error(`warm-up could not create deals: ${w.responses[0]?.status} ${w.responses[0]?.text}`);
    await measure('warmup-get', warmup, concurrency, (i) => api('GET', `/deals/${warmIds[i % warmIds.length]}`, { token }), 200);
    await measure('warmup-amend', warmIds.length, concurrency, (i) => api('PATCH', `/deals/${warmIds[i]}`, { token, ifMatch: 1, body: { name: `warm ${i}` } }), 200);

    log(`measuring ${requests} requests per operation at concurrency ${concurrency} …`);
    const c = await measure('create', requests, concurrency, create('run'), 201);
    const ids = c.responses.filter((r) => r.status === 201).map((r) => r.body.id as string);
    if (ids.length === 0) throw new Error('no deal was created');
    const g = await measure('get', requests, concurrency, (i) => api('GET', `/deals/${ids[i % ids.length]}`, { token }), 200);
    // Each amend targets its own deal with If-Match "1", so every request is a real write, not a 412.
    const a = await measure('amend', Math.min(requests, ids.length), concurrency, (i) => api('PATCH', `/deals/${ids[i]}`, { token, ifMatch: 1, body: { name: `amended ${i}` } }), 200);
    const rows = [c.result, g.result, a.result];
    const baseline = await measureBaseline(stack, requests, concurrency);

    console.log(`\ndealdesk API benchmark — local stack (API Gateway emulator + bundled Lambda handlers + DynamoDB Local), loopback`);
    console.log(`command: ${command}`);
    console.log(`node ${process.version}, ${new Date().toISOString()}, Lambda concurrency ${d.lambdaConcurrency}\n`);
    console.log(table(rows));
    console.log(`\nbaseline: the same operations through DynamoDealRepository in this process, same DynamoDB Local\n`);
    console.log(table(baseline));
    const ratios = rows.map((r, i) => ({ op: r.op, rpsVsBaseline: Number((r.rps / baseline[i]!.rps).toFixed(2)) }));
    console.log(`\napi/baseline throughput: ${ratios.map((r) => `${r.op} ${r.rpsVsBaseline}`).join(', ')}`);
    console.log(`\n${JSON.stringify({ bench: 'api', command, node: process.version, at: new Date().toISOString(), requests, concurrency, warmup, lambdaConcurrency: d.lambdaConcurrency, results: rows, baseline, ratios })}`);
    const failed = rows.filter((r) => r.errors > 0);
    if (failed.length) {
      console.error(`[bench] non-success answers: ${failed.map((r) => `${r.op} ${JSON.stringify(r.statuses)}`).join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stop();
  }
}

/**
 * The store alone: create, get and amend through the repository the handlers use, with the table names
 * the deployed functions get (resolved from the template), against the stack's DynamoDB Local.
 */
async function measureBaseline(stack: LocalStack, requests: number, concurrency: number): Promise<OpResult[]> {
  const env = Object.values(stack.model.functions).find((f) => f.environment.DEALS_TABLE_NAME)?.environment;
  if (!env?.DEALS_TABLE_NAME || !env.HISTORY_TABLE_NAME) throw new Error('no function of the template binds the deals and history tables');
  const client = new DynamoDBClient(localClientConfig(stack.descriptor.dynamodbEndpoint));
  const repo = new DynamoDealRepository({
    client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    dealsTableName: env.DEALS_TABLE_NAME,
    historyTableName: env.HISTORY_TABLE_NAME,
  });
  const ctx = (): ChangeContext => ({
    actor: { userId: 'bench', groups: ['deal_manager'], accountIds: [stack.accountId] },
    correlationId: 'bench',
    sourceIp: '127.0.0.1',
    userAgent: 'bench',
    at: new Date().toISOString(),
  });
  const ok = (status: number) => ({ status, headers: new Headers(), body: undefined, text: '' }) satisfies ApiResponse;
  try {
    const deals = Array.from({ length: requests }, (_, i) =>
      createDeal(
        { accountId: stack.accountId, name: `baseline ${i}`, type: 'standard', totalValue: { amountMinor: 1_000_000 + i, currency: 'USD' }, startDate: '2027-01-01', endDate: '2027-12-31' },
        ctx(),
        { dealId: `baseline-${process.pid}-${i}` },
      ),
    );
    const c = await measure('create', requests, concurrency, async (i) => {
      await repo.createDeal(deals[i]!, dealAuditEntry(deals[i]!, 'deal.created', ctx()));
      return ok(201);
    }, 201);
    const g = await measure('get', requests, concurrency, async (i) => ok((await repo.getDeal(deals[i]!.id)) ? 200 : 404), 200);
    // As the amend handler does: read the deal and its campaigns, then one transaction.
    const a = await measure('amend', requests, concurrency, async (i) => {
      const current = await repo.getDeal(deals[i]!.id);
      const campaigns = (await repo.listCampaigns(deals[i]!.id, { limit: 100 })).items;
      const { next, changes } = amendDeal(current!, { name: `amended ${i}` }, ctx(), { campaigns });
      await repo.saveDeal(next, 1, dealAuditEntry(next, 'deal.amended', ctx(), changes));
      return ok(200);
    }, 200);
    return [c.result, g.result, a.result];
  } finally {
    client.destroy();
  }
}

main().catch((err: Error) => {
  console.error(`[bench] failed: ${err.message}`);
  process.exit(1);
});
