/**
 * Starts apt's redis-server on 127.0.0.1 for tests, benchmarks and the local stack: in memory only
 * (no RDB, no AOF, so a restart loses everything, like an ElastiCache node replaced without a
 * replica), waits until PING answers, and stops it on stop() and when this process exits (a
 * watchdog also kills it if this process is SIGKILLed).
 *
 *   const redis = await startRedis({ port: 0 });   // redis.url = redis://127.0.0.1:PORT
 *   await redis.restart();                          // same port, empty data
 *   await redis.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';

export const REDIS_SERVER_BINARY = process.env.REDIS_SERVER_BINARY ?? '/usr/bin/redis-server';

export interface StartRedisOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Give up if PING does not answer within this many ms (default 10 s). */
  readyTimeoutMs?: number;
  /** Receives redis-server's log lines. */
  onLog?: (line: string) => void;
  /** Extra redis-server arguments, e.g. ['--replicaof', '127.0.0.1', '6379']. */
  extraArgs?: string[];
}

export interface LocalRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** pid of the current redis-server process (changes on restart). */
  readonly pid: number;
  /** Stops redis-server (SIGTERM, SIGKILL after 3 s). Safe to call twice. */
  stop(): Promise<void>;
  /** Stops it and starts a fresh, empty one on the same port. */
  restart(): Promise<void>;
  /** SIGKILLs redis-server (a crash) without starting it again; restart() brings it back. */
  kill(): Promise<void>;
}

interface Running {
  child: ChildProcess;
  watchdog: ChildProcess;
  exited: Promise<void>;
  isExited: () => boolean;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** One PING over a raw socket; resolves true on +PONG. */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolvePing(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString('utf8').startsWith('+PONG')));
  });
}

export async function startRedis(options: StartRedisOptions = {}): Promise<LocalRedis> {
  if (!existsSync(REDIS_SERVER_BINARY)) {
    throw new Error(
      `redis-server not found at ${REDIS_SERVER_BINARY}. Install it with \`apt-get install -y redis-server\` ` +
        '(or set REDIS_SERVER_BINARY to another redis-server binary).',
    );
  }
  const requested = options.port ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) throw new Error(`invalid port ${requested}`);
  const port = requested === 0 ? await freePort() : requested;
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const extra = options.extraArgs ?? [];
  let current: Running | undefined = await launch(port, readyTimeoutMs, extra, options.onLog);

  const stopCurrent = async (signal: NodeJS.Signals): Promise<void> => {
    const running = current;
    current = undefined;
    if (!running) return;
    running.watchdog.kill('SIGKILL');
    if (!running.isExited()) {
      running.child.kill(signal);
      const timer = setTimeout(() => running.child.kill('SIGKILL'), 3_000);
      await running.exited;
      clearTimeout(timer);
    }
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current?.child.pid ?? -1;
    },
    stop: () => stopCurrent('SIGTERM'),
    kill: () => stopCurrent('SIGKILL'),
    restart: async () => {
      await stopCurrent('SIGKILL');
      current = await launch(port, readyTimeoutMs, extra, options.onLog);
    },
  };
}

async function launch(port: number, readyTimeoutMs: number, extraArgs: string[], onLog?: (line: string) => void): Promise<Running> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', tmpdir(),
    '--daemonize', 'no',
    '--logfile', '',
    ...extraArgs,
  ];
  const child = spawn(REDIS_SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  installExitHook();
  // Watchdog: when this process dies (even by SIGKILL) the pipe closes, `cat` returns and the
  // server is killed, so no redis-server outlives its test run.
  const watchdog = spawn('sh', ['-c', `cat >/dev/null; kill -9 ${child.pid} 2>/dev/null`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: false,
  });
  live.add(watchdog);
  watchdog.once('exit', () => live.delete(watchdog));

  const log: string[] = [];
  const keep = (line: string) => {
    log.push(line);
    if (log.length > 40) log.shift();
    onLog?.(line);
  };
  createInterface({ input: child.stdout! }).on('line', keep);
  createInterface({ input: child.stderr! }).on('line', keep);

  let exited = false;
  const exitedPromise = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolveExit();
    });
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});

  const deadline = Date.now() + readyTimeoutMs;
  try {
    for (;;) {
      if (exited) throw new Error(`redis-server exited on start:\n${log.join('\n')}`);
      if (await Promise.race([pingRedis(port), spawnError])) break;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${readyTimeoutMs} ms:\n${log.join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } catch (err) {
    watchdog.kill('SIGKILL');
    child.kill('SIGKILL');
    throw err;
  }
  return { child, watchdog, exited: exitedPromise, isExited: () => exited };
}
