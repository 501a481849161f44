/**
 * Change-data-capture benchmark (`./dev bench:cdc [-- --changes N --deals D --writers W --poison-every K]`):
 * starts the local stack (synthesized app, DynamoDB Local with its stream, fauxqs with the domain-events
 * topic and consumer queues, the change processor and consumers on emulated event source mappings),
 * then measures commit → consumer effect: a deal amended through the API (PATCH /deals/{id} with
 * If-Match) until the engagement score of that very version is readable in the engagement table.
 *
 * Two runs of N changes each, W writers, each writer amending its own deals one change at a time:
 *   clean   every change flows;
 *   poison  every K-th change is made on a poison deal whose event the local topic refuses for good
 *           (fauxqs told to refuse it, as a topic refusing an invalid message would): the processor
 *           dead-letters it and holds that deal; the other changes are measured as before.
 * Then the cause is removed (the topic accepts again), `./dev redrive` runs (the very command, as a
 * child process), and the benchmark checks every poison change was applied exactly once: the deal's
 * score reflects its version and counts exactly one amendment after submission (a second application
 * would count two). A second redrive must replay nothing.
 *
 * Latency is measured from the moment the API answered the PATCH (the transaction had committed) to the
 * moment a poll of the engagement table (consistent BatchGetItem every 10 ms) saw the version; so it
 * includes up to one poll interval. Events per second: changes applied over the run's wall time.
 * Prints a table and one JSON line (last line).
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { join } from 'node:path';

import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../shared/adapters/dynamodb/client.js';
import { apiClient, type ApiRequest } from '../local/client.js';
import { localClientConfig } from '../local/dynamodb/launch.js';
import { emulatorClients } from '../local/events/fauxqs.js';
import { REPO_ROOT, STATE_DIR, startLocalStack, type LocalStack } from '../local/stack.js';

const POISON_PREFIX = 'poison-';

interface Figures {
  changes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  eventsPerSecond: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (n: number) => Math.round(n * 10) / 10;

function figures(latencies: number[], seconds: number): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { changes: sorted.length, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? NaN), eventsPerSecond: round(sorted.length / seconds) };
}

/** Resolves each (deal, version) once the engagement table shows that version: one poller for all waiters. */
class EffectWatcher {
  private readonly waiting = new Map<string, { version: number; since: number; resolve: (at: number) => void; reject: (error: Error) => void }[]>();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly read: (dealIds: string[]) => Promise<Map<string, number>>) {}

  /** Rejects, naming the deal, after `timeoutMs` without the version showing. */
  until(dealId: string, version: number, timeoutMs = 60_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const since = performance.now() + timeoutMs;
      this.waiting.set(dealId, [...(this.waiting.get(dealId) ?? []), { version, since, resolve, reject }]);
      this.timer ??= setInterval(() => void this.poll(), 10);
    });
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.waiting.keys()];
      for (let i = 0; i < ids.length; i += 100) {
        const versions = await this.read(ids.slice(i, i + 100));
        const now = performance.now();
        for (const [dealId, seen] of versions) this.seen.set(dealId, seen);
        for (const dealId of ids.slice(i, i + 100)) {
          const seen = this.seen.get(dealId) ?? 0;
          const waiters = this.waiting.get(dealId) ?? [];
          for (const w of waiters) {
            if (w.version <= seen) w.resolve(now);
            else if (now > w.since) w.reject(new Error(`deal ${dealId}: version ${w.version} not applied in time (the engagement table shows ${seen || 'nothing'})`));
          }
          const left = waiters.filter((w) => w.version > seen && now <= w.since);
          if (left.length > 0) this.waiting.set(dealId, left);
          else this.waiting.delete(dealId);
        }
      }
    } catch (err) {
      console.error(`[bench:cdc] polling the engagement table: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

interface DealHandle {
  id: string;
  version: number;
  poison: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string', default: '1000' },
      deals: { type: 'string', default: '40' },
      writers: { type: 'string', default: '20' },
      'poison-every': { type: 'string', default: '100' },
    },
  });
  const changes = Number(values.changes);
  const dealCount = Number(values.deals);
  const writers = Number(values.writers);
  const poisonEvery = Number(values['poison-every']);
  for (const [name, n] of Object.entries({ changes, deals: dealCount, writers, 'poison-every': poisonEvery })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  }
  if (writers > dealCount) throw new Error('--writers must not exceed --deals (each writer amends its own deals)');

  const log = (line: string) => console.error(`[bench:cdc] ${line}`);
  const descriptorPath = join(STATE_DIR, 'bench', 'cdc-local.json');
  let refusing = false;
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      port: 0,
      outdir: join(STATE_DIR, 'bench', 'cdk.out'),
      descriptorPath,
      lambdaLogs: 'ignore',
      bidding: false,
      // The topic refuses poison events for good while `refusing` is on (as it would an invalid message).
      eventFaults: { refusePublication: (message: string) => refusing && message.includes(`"name":"${POISON_PREFIX}`) },
      log,
    });
    const d = stack.descriptor;
    const api = apiClient(d.apiUrl);
    const token = d.tokens.deal_manager;
    const doc = createDocumentClient(localClientConfig(d.dynamodbEndpoint));
    const engagementTable = Object.entries(d.tables).find(([id]) => /^Engagement[0-9A-F]{8}$/.test(id))?.[1];
    if (!engagementTable) throw new Error('the local stack has no Engagement table');
    const watcher = new EffectWatcher(async (dealIds) => {
      const out = await doc.send(new BatchGetCommand({
        RequestItems: { [engagementTable]: { Keys: dealIds.map((id) => ({ pk: `DEAL#${id}`, sk: 'ENGAGEMENT' })), ConsistentRead: true, ProjectionExpression: 'dealId, dealVersion' } },
      }));
      return new Map((out.Responses?.[engagementTable] ?? []).map((item) => [String(item.dealId), Number(item.dealVersion)]));
    });

    const created = async (name: string, poison: boolean): Promise<DealHandle> => {
      const body = { accountId: d.accountId, name, type: 'standard', totalValue: { amountMinor: 5_000_000, currency: 'USD' }, startDate: '2027-01-01', endDate: '2027-12-31' };
      const made = await api('POST', '/deals', { token, body });
      if (made.status !== 201) throw new Error(`creating a deal: ${made.status} ${made.text}`);
      const submitted = await api('POST', `/deals/${made.body.id}/submit`, { token, ifMatch: 1 });
      if (submitted.status !== 200) throw new Error(`submitting a deal: ${submitted.status} ${submitted.text}`);
      return { id: made.body.id as string, version: 2, poison };
    };
    log(`creating and submitting ${dealCount} deals and ${Math.ceil(changes / poisonEvery)} poison deals …`);
    const deals = await Promise.all(Array.from({ length: dealCount }, (_, i) => created(`cdc bench ${i}`, false)));
    const poisonDeals = await Promise.all(Array.from({ length: Math.ceil(changes / poisonEvery) }, (_, i) => created(`cdc poison ${i}`, true)));
    await Promise.all([...deals, ...poisonDeals].map((deal) => watcher.until(deal.id, deal.version)));
    await stack.changesCaughtUp(30_000);

    /** One amendment through the API; resolves with commit → effect in ms (undefined for a poison change). */
    const amend = async (deal: DealHandle, name: string, request: ApiRequest): Promise<number | undefined> => {
      const res = await request('PATCH', `/deals/${deal.id}`, { token, ifMatch: deal.version, body: { name } });
      if (res.status !== 200) throw new Error(`amending ${deal.id}: ${res.status} ${res.text}`);
      const committedAt = performance.now();
      deal.version += 1;
      if (deal.poison) return undefined;
      return (await watcher.until(deal.id, deal.version)) - committedAt;
    };

    const run = async (label: string, poisoned: boolean): Promise<{ figures: Figures; injected: number }> => {
      refusing = poisoned;
      const latencies: number[] = [];
      let next = 0;
      let injected = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          const mine = deals.filter((_, i) => i % writers === writer);
          for (let turn = 0; ; turn++) {
            const n = next++;
            if (n >= changes) return;
            const poisonTurn = poisoned && (n + 1) % poisonEvery === 0;
            const deal = poisonTurn ? poisonDeals[injected++]! : mine[turn % mine.length]!;
            const name = poisonTurn ? `${POISON_PREFIX}${deal.id}` : `${label} ${n}`;
            const latency = await amend(deal, name, api);
            if (latency !== undefined) latencies.push(latency);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      log(`${label}: ${latencies.length} changes applied in ${seconds.toFixed(1)} s; letting the pipeline drain …`);
      await stack!.changesCaughtUp(30_000);
      return { figures: figures(latencies, seconds), injected };
    };

    // Warm-up: every function's worker started and its path compiled (cold starts are not measured).
    log(`warming up (${writers * 5} changes) …`);
    for (let i = 0; i < 5; i++) await Promise.all(deals.slice(0, writers).map((deal) => amend(deal, `warm ${i}`, api)));
    log(`clean run: ${changes} changes, ${writers} writers …`);
    const clean = await run('clean', false);
    log(`poison run: ${changes} changes, a poison change every ${poisonEvery} …`);
    const poison = await run('poison', true);

    const clients = emulatorClients(d.eventsEndpoint!, d.region);
    const depth = async () =>
      Number((await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: d.changeDeadLetterQueueUrl!, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes?.ApproximateNumberOfMessages ?? NaN);
    const deadLettered = await depth();

    // The cause removed: the topic accepts them again. Then the very command a person runs.
    refusing = false;
    // A child process (the stack it talks to runs in this one, so never a synchronous spawn).
    const redrive = async (): Promise<{ replayed: number; stillFailing: unknown[] }> => {
      const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'local', 'redrive.ts'), '--descriptor', descriptorPath], { cwd: REPO_ROOT, encoding: 'utf8' });
      return JSON.parse(out.stdout) as { replayed: number; stillFailing: unknown[] };
    };
    const first = await redrive();
    await Promise.all(poisonDeals.slice(0, poison.injected).map((deal) => watcher.until(deal.id, deal.version)));
    await stack.changesCaughtUp(30_000);
    const second = await redrive();
    await stack.changesCaughtUp(30_000);
    const poisonScores = await doc.send(new BatchGetCommand({
      RequestItems: { [engagementTable]: { Keys: poisonDeals.slice(0, poison.injected).map((deal) => ({ pk: `DEAL#${deal.id}`, sk: 'ENGAGEMENT' })), ConsistentRead: true } },
    }));
    const appliedOnce = (poisonScores.Responses?.[engagementTable] ?? []).filter((item) => {
      const deal = poisonDeals.find((p) => p.id === item.dealId)!;
      return Number(item.dealVersion) === deal.version && Number((item.state as { amendmentsAfterSubmit?: number })?.amendmentsAfterSubmit) === 1;
    }).length;
    const leftInQueue = await depth();
    watcher.stop();
    clients.destroy();
    doc.destroy();

    const rows = [
      ['clean', clean.figures],
      ['poison (others)', poison.figures],
    ] as const;
    console.log('run              changes   p50 ms   p99 ms   max ms   events/s');
    for (const [label, f] of rows) {
      console.log(`${label.padEnd(16)} ${String(f.changes).padStart(7)} ${String(f.p50Ms).padStart(8)} ${String(f.p99Ms).padStart(8)} ${String(f.maxMs).padStart(8)} ${String(f.eventsPerSecond).padStart(10)}`);
    }
    console.log(`poison changes injected ${poison.injected}, dead-lettered ${deadLettered}, redriven ${first.replayed} (second redrive ${second.replayed}), applied exactly once ${appliedOnce}, left in the dead-letter queue ${leftInQueue}`);
    console.log(JSON.stringify({
      bench: 'cdc',
      writers,
      deals: dealCount,
      clean: clean.figures,
      poison: {
        ...poison.figures,
        p99RatioToClean: round(poison.figures.p99Ms / clean.figures.p99Ms * 100) / 100,
        injected: poison.injected,
        deadLettered,
        redriven: first.replayed,
        secondRedriveReplayed: second.replayed,
        appliedExactlyOnce: appliedOnce,
        leftInDeadLetterQueue: leftInQueue,
      },
      goalP99Ms: 1000,
    }));
  } finally {
    await stack?.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:cdc failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
