/**
 * Runs Lambda functions locally the way Lambda does: the bundled module from cdk.out, the function's
 * environment variables (plus the local AWS settings) as its process.env, a realistic context object
 * and the function's timeout. Execution environments are worker_threads, started on first use.
 *
 * Two concurrency modes:
 *  - `shared` (default): one worker per function serves concurrent invocations (each with its own
 *    request id and context; module state is shared between them).
 *  - `isolated`: like Lambda, an environment serves one invocation at a time; more are started on
 *    demand up to `maxInstances` per function (further requests wait), and an environment whose
 *    invocation timed out is discarded.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FunctionDef } from './model.js';

export interface InvokeError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeOutcome = { ok: true; result: unknown; requestId: string } | { ok: false; error: InvokeError; requestId: string };

export interface LambdaRuntimeOptions {
  functions: Record<string, FunctionDef>;
  /** Added to every function's environment (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, credentials …). */
  baseEnv: Record<string, string>;
  region: string;
  accountId: string;
  /** Where the functions' stdout/stderr go. Default: this process's stdout/stderr. */
  logs?: Writable | 'inherit' | 'ignore';
  /** @default { mode: 'shared' } */
  concurrency?: { mode: 'shared' } | { mode: 'isolated'; maxInstances: number };
}

interface Pending {
  resolve: (o: InvokeOutcome) => void;
  timer: NodeJS.Timeout;
  requestId: string;
  started: number;
}

const WORKER_FILE = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));

class FunctionInstance {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    readonly def: FunctionDef,
    private readonly env: Record<string, string>,
    private readonly arn: string,
    private readonly logs: Writable | 'inherit' | 'ignore',
  ) {}

  private log(line: string): void {
    if (this.logs === 'ignore') return;
    const out = this.logs === 'inherit' ? process.stdout : this.logs;
    out.write(`[${this.def.functionName}] ${line}\n`);
  }

  private start(): Worker {
    const capture = this.logs !== 'inherit';
    const worker = new Worker(WORKER_FILE, {
      workerData: {
        codeDir: this.def.codeDir,
        handler: this.def.handler,
        functionName: this.def.functionName,
        memorySize: this.def.memorySize,
        functionArn: this.arn,
        sourceMaps: /--enable-source-maps/.test(this.env.NODE_OPTIONS ?? ''),
      },
      env: this.env,
      execArgv: [],
      stdout: capture,
      stderr: capture,
      name: this.def.functionName,
    });
    if (capture) {
      if (this.logs === 'ignore') {
        worker.stdout.resume();
        worker.stderr.resume();
      } else {
        const sink = this.logs as Writable;
        worker.stdout.on('data', (chunk: Buffer) => sink.write(chunk));
        worker.stderr.on('data', (chunk: Buffer) => sink.write(chunk));
      }
    }
    worker.on('message', (msg: { id: number; ok: boolean; result?: string; error?: InvokeError }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      const ms = Date.now() - p.started;
      this.log(`END RequestId: ${p.requestId}\tDuration: ${ms} ms${msg.ok ? '' : `\tError: ${msg.error?.errorType}`}`);
      if (msg.ok) p.resolve({ ok: true, result: JSON.parse(msg.result ?? 'null'), requestId: p.requestId });
      else p.resolve({ ok: false, error: msg.error ?? { errorType: 'Error', errorMessage: 'unknown' }, requestId: p.requestId });
    });
    const fail = (error: InvokeError): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.resolve({ ok: false, error, requestId: p.requestId });
      }
    };
    worker.on('error', (err) => {
      this.log(`ERROR worker crashed: ${err.stack ?? err.message}`);
      fail({ errorType: 'Runtime.ExitError', errorMessage: err.message });
    });
    worker.on('exit', (code) => fail({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ? Error: Runtime exited with error: exit status ${code}` }));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  invoke(event: unknown, onTimeout?: () => void): Promise<InvokeOutcome> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const requestId = randomUUID();
    const timeoutMs = this.def.timeoutSeconds * 1000;
    const started = Date.now();
    this.log(`START RequestId: ${requestId} Version: $LATEST`);
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.log(`END RequestId: ${requestId}\tStatus: timeout`);
        onTimeout?.();
        resolve({
          ok: false,
          requestId,
          error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.def.timeoutSeconds.toFixed(2)} seconds` },
        });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer, requestId, started });
      worker.postMessage({ type: 'invoke', id, event, requestId, deadline: started + timeoutMs });
    });
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Invocations in flight. */
  get inFlight(): number {
    return this.pending.size;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

/** The execution environments of one function. */
class FunctionPool {
  private readonly instances: FunctionInstance[] = [];
  private readonly waiting: ((inst: FunctionInstance) => void)[] = [];

  constructor(
    private readonly create: () => FunctionInstance,
    /** undefined = shared mode (one instance, concurrent invocations). */
    private readonly maxInstances: number | undefined,
  ) {}

  private acquire(): Promise<FunctionInstance> {
    if (this.maxInstances === undefined) {
      if (!this.instances[0]) this.instances.push(this.create());
      return Promise.resolve(this.instances[0]!);
    }
    // Marked busy synchronously, so two concurrent requests never get the same environment.
    const idle = this.instances.find((i) => !this.busy.has(i));
    if (idle) {
      this.busy.add(idle);
      return Promise.resolve(idle);
    }
    if (this.instances.length < this.maxInstances) {
      const inst = this.create();
      this.instances.push(inst);
      this.busy.add(inst);
      return Promise.resolve(inst);
    }
    // release()/discard() mark the environment busy before handing it over.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private readonly busy = new Set<FunctionInstance>();

  private release(inst: FunctionInstance): void {
    this.busy.delete(inst);
    if (!this.instances.includes(inst)) return;
    const next = this.waiting.shift();
    if (next) {
      this.busy.add(inst);
      next(inst);
    }
  }

  private discard(inst: FunctionInstance): void {
    const i = this.instances.indexOf(inst);
    if (i >= 0) this.instances.splice(i, 1);
    void inst.stop();
    // Someone waiting gets a fresh environment.
    const next = this.waiting.shift();
    if (next) {
      const fresh = this.create();
      this.instances.push(fresh);
      this.busy.add(fresh);
      next(fresh);
    }
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    const inst = await this.acquire();
    if (this.maxInstances === undefined) return inst.invoke(event);
    let timedOut = false;
    try {
      return await inst.invoke(event, () => {
        timedOut = true;
      });
    } finally {
      // Lambda discards an environment whose invocation timed out.
      if (timedOut) {
        this.busy.delete(inst);
        this.discard(inst);
      } else this.release(inst);
    }
  }

  get running(): boolean {
    return this.instances.some((i) => i.running);
  }

  get size(): number {
    return this.instances.length;
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.stop()));
    this.instances.length = 0;
  }
}

export class LambdaRuntime {
  private readonly pools = new Map<string, FunctionPool>();

  constructor(private readonly opts: LambdaRuntimeOptions) {}

  environmentOf(logicalId: string): Record<string, string> {
    const def = this.def(logicalId);
    return {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_EXECUTION_ENV: `AWS_Lambda_${def.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: def.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(def.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${def.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: 'local/[$LATEST]local',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: def.codeDir ?? '',
      _HANDLER: def.handler,
      ...def.environment,
      // Lambda's reserved variables (region, credentials) cannot be overridden by the function.
      ...this.opts.baseEnv,
    };
  }

  private def(logicalId: string): FunctionDef {
    const def = this.opts.functions[logicalId];
    if (!def) throw new Error(`no function ${logicalId} in the template`);
    return def;
  }

  invoke(logicalId: string, event: unknown): Promise<InvokeOutcome> {
    let pool = this.pools.get(logicalId);
    if (!pool) {
      const def = this.def(logicalId);
      const arn = `arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${def.functionName}`;
      const env = this.environmentOf(logicalId);
      const c = this.opts.concurrency ?? { mode: 'shared' };
      pool = new FunctionPool(
        () => new FunctionInstance(def, env, arn, this.opts.logs ?? 'inherit'),
        c.mode === 'isolated' ? Math.max(1, c.maxInstances) : undefined,
      );
      this.pools.set(logicalId, pool);
    }
    return pool.invoke(event);
  }

  /** Functions with a running environment. */
  get started(): string[] {
    return [...this.pools.entries()].filter(([, p]) => p.running).map(([id]) => id);
  }

  /** Execution environments created for a function (isolated mode scales out). */
  instanceCount(logicalId: string): number {
    return this.pools.get(logicalId)?.size ?? 0;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
    this.pools.clear();
  }
}
