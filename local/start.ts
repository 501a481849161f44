/**
 * `npm start` (tsx local/start.ts [--seed] [--port N] [--no-bidding] [--dsps N] …; see usage()): brings
 * up the local stack — the synthesized CDK app's HTTP API on 127.0.0.1 running the bundled handlers from
 * cdk.out, backed by DynamoDB Local, plus the bidding part (Redis, kinesalite with the bid-events stream
 * and the spend consumer, simulated DSPs, the bidder) and change data capture (fauxqs with the
 * templates' topics and queues, the event source mappings) — prints where everything is, and stops
 * everything on Ctrl-C / SIGTERM (event source mappings first, then the bidder, API side last).
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import type { DspFleetOptions } from './bidding/stack.js';
import { DEFAULT_DESCRIPTOR_PATH, REPO_ROOT, startLocalStack, type LocalStack, type LocalStackDescriptor } from './stack.js';

const DEFAULT_PORT = 4000;
const DEFAULT_BIDDER_PORT = 4080;

function usage(): string {
  return [
    'usage: npm start -- [--seed] [--port N] [--lambda-logs] [--access-log] [--lambda-instances N]',
    '                    [--no-bidding] [--bidder-port N] [--bidder-logs] [--dsps N] [--dsp-latency MIN-MAX]',
    '                    [--dsp-bid-rate R] [--dsp-error-rate R] [--dsp-timeout-rate R]',
    '  --seed          create demo deals and campaigns through the API, and an approved, active deal',
    '                  whose campaign bids in open auctions for 300x250 banners',
    `  --port N        API port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 = any free port)`,
    '  --lambda-logs   print the functions\' logs here (default: .dealdesk/logs/lambda.log)',
    '  --access-log    print one line per API request',
    '  --lambda-instances N  Lambda-like isolation: one invocation per environment, up to N per function',
    '                  (default: one environment per function serving concurrent invocations)',
    '  --no-bidding    API only: no Redis, kinesalite, spend consumer, DSPs or bidder',
    `  --bidder-port N bidder port on 127.0.0.1 (default ${DEFAULT_BIDDER_PORT}; 0 = any free port)`,
    '  --bidder-logs   print the bidder\'s logs here (default: .dealdesk/logs/bidder.log)',
    '  --dsps N        number of simulated DSPs (default 5)',
    '  --dsp-latency MIN-MAX  DSP latencies spread over this range in ms (default 10-90)',
    '  --dsp-bid-rate R       share of imps each DSP bids on, 0..1 (default 0.5-0.7 per DSP)',
    '  --dsp-error-rate R     share of requests a DSP answers 500, 0..1 (default 0.02 on one DSP)',
    '  --dsp-timeout-rate R   share of requests a DSP lets time out, 0..1 (default 0.05/0.1 on the slowest two)',
  ].join('\n');
}

function fail(message: string): never {
  console.error(`${message}\n${usage()}`);
  process.exit(2);
}

function rate(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) fail(`invalid --${name} ${value} (0..1)`);
  return n;
}

/** The DSP fleet flags; undefined = the default fleet. */
function dspOptions(args: Record<string, string | boolean | undefined>): DspFleetOptions | undefined {
  const o: DspFleetOptions = {};
  if (args.dsps !== undefined) {
    const n = Number(args.dsps);
    if (!Number.isInteger(n) || n < 0 || n > 50) fail(`invalid --dsps ${String(args.dsps)} (0..50)`);
    o.count = n;
  }
  if (args['dsp-latency'] !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(String(args['dsp-latency']));
    if (!m || Number(m[1]) > Number(m[2])) fail(`invalid --dsp-latency ${String(args['dsp-latency'])} (MIN-MAX in ms, e.g. 10-90)`);
    o.latencyMs = { min: Number(m[1]), max: Number(m[2]) };
  }
  const bidRate = rate('dsp-bid-rate', args['dsp-bid-rate'] as string | undefined);
  const errorRate = rate('dsp-error-rate', args['dsp-error-rate'] as string | undefined);
  const timeoutRate = rate('dsp-timeout-rate', args['dsp-timeout-rate'] as string | undefined);
  if (bidRate !== undefined) o.bidRate = bidRate;
  if (errorRate !== undefined) o.errorRate = errorRate;
  if (timeoutRate !== undefined) o.timeoutRate = timeoutRate;
  return Object.keys(o).length > 0 ? o : undefined;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        seed: { type: 'boolean', default: false },
        port: { type: 'string' },
        'lambda-logs': { type: 'boolean', default: false },
        'access-log': { type: 'boolean', default: false },
        'lambda-instances': { type: 'string' },
        bidding: { type: 'boolean', default: true },
        'bidder-port': { type: 'string' },
        'bidder-logs': { type: 'boolean', default: false },
        dsps: { type: 'string' },
        'dsp-latency': { type: 'string' },
        'dsp-bid-rate': { type: 'string' },
        'dsp-error-rate': { type: 'string' },
        'dsp-timeout-rate': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowNegative: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage()}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(usage());
    return;
  }
  const port = args.port === undefined ? DEFAULT_PORT : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid --port ${args.port}\n${usage()}`);
    process.exit(2);
  }

  const lambdaInstances = args['lambda-instances'] === undefined ? 0 : Number(args['lambda-instances']);
  if (!Number.isInteger(lambdaInstances) || lambdaInstances < 0 || lambdaInstances > 64) {
    console.error(`invalid --lambda-instances ${args['lambda-instances']} (0..64)\n${usage()}`);
    process.exit(2);
  }
  const bidderPort = args['bidder-port'] === undefined ? DEFAULT_BIDDER_PORT : Number(args['bidder-port']);
  if (!Number.isInteger(bidderPort) || bidderPort < 0 || bidderPort > 65535) fail(`invalid --bidder-port ${args['bidder-port']}`);
  const dsps = dspOptions(args);
  const log = (line: string): void => console.log(`[local] ${line}`);
  let stack: LocalStack | undefined;
  let stopping = 0;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      // Ctrl-C in a terminal reaches both tsx and this process, and tsx relays it too: a repeat
      // within a moment is the same keypress. A later one means "stop waiting".
      if (Date.now() - stopping < 2_000) return;
      console.error(`[local] ${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = Date.now();
    log(`${signal}: stopping (event source mappings, bidder, spend consumer, DSPs, kinesalite, Redis, API, Lambda workers, fauxqs, DynamoDB Local) …`);
    await stack?.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  stack = await startLocalStack({
    port,
    seed: args.seed,
    log,
    lambdaLogs: args['lambda-logs'] ? 'inherit' : undefined,
    lambdaInstances,
    accessLog: args['access-log'] ? (l) => console.log(`[api] ${l}`) : undefined,
    bidding: args.bidding
      ? { bidderPort, ...(dsps ? { dsps } : {}), ...(args['bidder-logs'] ? { bidderLogs: 'inherit' as const } : {}) }
      : false,
  });
  if (stopping) return;
  const d = stack.descriptor;
  const descriptorRel = relative(process.cwd(), DEFAULT_DESCRIPTOR_PATH) || DEFAULT_DESCRIPTOR_PATH;
  const tokenCmd = `TOKEN=$(node -p "require('${DEFAULT_DESCRIPTOR_PATH}').tokens.deal_manager")`;
  console.log(`
dealdesk local stack is up
  API            ${d.apiUrl}   (routes from ${relative(REPO_ROOT, d.cloudAssembly)}; ${d.routes.length} routes)
  OpenAPI        ${d.apiUrl}/openapi.json
  DynamoDB Local ${d.dynamodbEndpoint}   tables: ${Object.values(d.tables).join(', ')}
  Issuer / JWKS  ${d.issuer}  ${d.jwksUrl}
  Lambda logs    ${d.lambdaLogs}   (concurrency: ${d.lambdaConcurrency})
  Descriptor     ${descriptorRel}   (apiUrl, tokens for ${Object.keys(d.tokens).join(', ')}; valid until ${d.tokensExpireAt})
  Demo account   ${d.accountId}  (other_account is a deal manager of ${d.otherAccountId})
${biddingLines(d)}${eventLines(d)}
Tokens (Authorization: Bearer <token>):
${Object.entries(d.tokens)
  .map(([group, token]) => `  ${group.padEnd(16)} ${token}`)
  .join('\n')}

Try it:
  ${tokenCmd}
  curl -s -X POST ${d.apiUrl}/deals -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -H "Idempotency-Key: $(date +%s%N)" \\
    -d '{"accountId":"${d.accountId}","name":"My first deal","type":"standard","totalValue":{"amountMinor":5000000,"currency":"USD"},"startDate":"2027-01-01","endDate":"2027-03-31"}'
  curl -s "${d.apiUrl}/deals?accountId=${d.accountId}&limit=10" -H "Authorization: Bearer $TOKEN"
${bidderCurl(d, Boolean(args.seed))}
Ctrl-C stops everything.`);
}

function biddingLines(d: LocalStackDescriptor): string {
  if (!d.bidderUrl) return '  Bidding        off (--no-bidding)\n';
  const dsps = d.dsps ?? [];
  return [
    `  Bidder         ${d.bidderUrl}   auction: ${d.bidderEndpoint}   logs: ${d.bidderLogs}`,
    `  Exchange key   ${d.exchangeKeyHeader}: ${d.exchangeKey}   (exchange "local-exchange"; headers in bidderHeaders)`,
    `  Redis          ${d.redisUrl}`,
    `  Kinesis        ${d.kinesisEndpoint}   stream ${d.bidEventsStream} -> spend consumer -> ${d.spendTable ?? '(no Spend table)'}`,
    `  DSPs           ${dsps.length ? dsps.map((x) => `${x.id} ${x.endpoint}`).join(', ') : 'none'}`,
    d.biddingDemo ? `  Bidding demo   deal ${d.biddingDemo.dealId} (${d.biddingDemo.dealStatus}), campaign ${d.biddingDemo.campaignIds.join(', ')}` : '',
  ]
    .filter(Boolean)
    .map((l) => `${l}\n`)
    .join('');
}

function eventLines(d: LocalStackDescriptor): string {
  const consumers = Object.entries(d.eventConsumers);
  return [
    `  SNS/SQS        ${d.eventsEndpoint}   (fauxqs; topic ${d.domainEventsTopicArn ?? 'none'})`,
    `  Mappings       ${d.eventMappings.length ? d.eventMappings.map((m) => m.split(': ')[1]).join('; ') : 'none'}`,
    ...consumers.map(
      ([name, c]) =>
        `  Consumer       ${name}${c.running ? '' : ' (not running: see the warnings)'}: ${c.queueUrl}${c.deadLetterQueueUrl ? `   dead letters: ${c.deadLetterQueueUrl}` : ''}`,
    ),
  ]
    .map((l) => `${l}\n`)
    .join('');
}

/** One auction request like the conformance example simple-banner.json (300x250, floor $0.03). */
function bidderCurl(d: LocalStackDescriptor, seeded: boolean): string {
  if (!d.bidderEndpoint || !d.bidderHeaders) return '';
  const headers = Object.entries(d.bidderHeaders)
    .map(([k, v]) => `-H '${k}: ${v}'`)
    .join(' ');
  const body = JSON.stringify({
    id: 'demo-1',
    at: 1,
    cur: ['USD'],
    tmax: 100,
    imp: [{ id: '1', bidfloor: 0.03, banner: { w: 300, h: 250, pos: 0 } }],
    site: { id: '102855', cat: ['IAB3-1'], domain: 'www.foobar.com', page: 'http://www.foobar.com/1234.html', publisher: { id: '8953', name: 'foobar.com' } },
    user: { id: '55816b39711f9b5acf3b90e313ed29e51665623f' },
  });
  return `
  # an exchange's bid request (200 with a BidResponse, or 204 no bid)${seeded ? '; the seeded campaign bids $8.00 CPM once its budget lease arrives' : '; add --seed for our own demo campaign'}
  curl -s -X POST ${d.bidderEndpoint} ${headers} \\
    -d '${body}'
`;
}

main().catch((err: Error) => {
  console.error(`[local] failed to start: ${err.message}`);
  if (process.env.DEBUG) console.error(err.stack);
  process.exit(1);
});
