/**
 * `npm start` (tsx local/start.ts [--seed] [--port N] [--lambda-logs]): brings up the local stack —
 * the synthesized CDK app's HTTP API on 127.0.0.1 running the bundled handlers from cdk.out, backed by
 * DynamoDB Local — prints where everything is, and stops everything on Ctrl-C / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { DEFAULT_DESCRIPTOR_PATH, REPO_ROOT, startLocalStack, type LocalStack } from './stack.js';

const DEFAULT_PORT = 4000;

function usage(): string {
  return [
    'usage: npm start -- [--seed] [--port N] [--lambda-logs] [--access-log] [--lambda-instances N]',
    '  --seed          create demo deals and campaigns through the API',
    `  --port N        API port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 = any free port)`,
    '  --lambda-logs   print the functions\' logs here (default: .dealdesk/logs/lambda.log)',
    '  --access-log    print one line per API request',
    '  --lambda-instances N  Lambda-like isolation: one invocation per environment, up to N per function',
    '                  (default: one environment per function serving concurrent invocations)',
  ].join('\n');
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
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
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
    log(`${signal}: stopping (API, Lambda workers, DynamoDB Local) …`);
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

Ctrl-C stops everything.`);
}

main().catch((err: Error) => {
  console.error(`[local] failed to start: ${err.message}`);
  if (process.env.DEBUG) console.error(err.stack);
  process.exit(1);
});
