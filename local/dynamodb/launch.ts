/**
 * Starts DynamoDB Local (in memory, shared DB, bounded heap) on 127.0.0.1 only, through the
 * LoopbackDynamoDb launcher, and waits until ListTables answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { delimiter } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureDynamoDbLocal } from './install.js';

export interface StartDynamoDbLocalOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Give up if the server does not answer within this many ms (default 30 s). */
  readyTimeoutMs?: number;
  /** Receives DynamoDB Local's stderr lines (default: kept for error messages only). */
  onLog?: (line: string) => void;
}

export interface DynamoDbLocal {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  port: number;
  pid: number;
  /** Milliseconds from spawn to the first successful ListTables. */
  startupMs: number;
  /** Stops the JVM (SIGTERM, then SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** Settings any client needs for an emulator: explicit endpoint, a region, dummy credentials. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The JVM also exits when its stdin closes (parent gone, even after SIGKILL); this is the fast path.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${port}`);
  const install = ensureDynamoDbLocal();
  const classPath =
    install.launcher.mode === 'class' ? [install.launcher.classesDir, install.classPath].join(delimiter) : install.classPath;
  const main = install.launcher.mode === 'class' ? 'LoopbackDynamoDb' : install.launcher.sourceFile;
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1', // faster start; DynamoDB Local is I/O and SQLite bound
    '-Xshare:auto',
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.library.path=${install.libDir}`,
    '-Dlog4j2.formatMsgNoLookups=true', // belt and braces next to the removed JndiLookup class
    '-cp',
    classPath,
    main,
    String(port),
  ];

  const started = performance.now();
  const child = spawn('java', args, { cwd: install.home, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  installExitHook();
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 50) stderr.shift();
    options.onLog?.(line);
  });

  let exited = false;
  const exitPromise = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolveExit();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.stdin?.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exitPromise;
    clearTimeout(timer);
  };

  try {
    const boundPort = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`DynamoDB Local did not bind within ${options.readyTimeoutMs ?? 30_000} ms`)),
        options.readyTimeoutMs ?? 30_000,
      );
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`DynamoDB Local exited early (${signal ?? code}): ${stderr.join('\n')}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^DYNAMODB_LOCAL_LISTENING 127\.0\.0\.1 (\d+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      });
    });
    const endpoint = `http://127.0.0.1:${boundPort}`;
    await waitUntilReady(endpoint, options.readyTimeoutMs ?? 30_000);
    return { endpoint, port: boundPort, pid: child.pid!, startupMs: Math.round(performance.now() - started), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitUntilReady(endpoint: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local at ${endpoint} not ready: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    client.destroy();
  }
}
