/**
 * External DSP fan-out: the I/O side of flow 4's "fan out to external DSPs under one deadline".
 *
 * HTTP client: undici (npm package, same version Node 24 bundles), one `Pool` per DSP = one set of
 * kept-alive HTTP/1.1 connections per DSP, bounded by `maxSockets`. Measured on this 2-core machine
 * against a loopback DSP answering a ~600 B BidResponse, 64 concurrent, 20k requests (after warm-up):
 * undici Pool ~24k req/s, p50 ~2 ms; node:http + keep-alive Agent ~12.5-15k req/s, p50 ~4 ms; global
 * fetch ~6k req/s, p50 ~7 ms. Each bid request becomes N DSP calls, so client CPU per call is the
 * budget that matters; undici halves it (see the final report / bench notes).
 *
 * Per call: breaker consulted (skip if open), QPS token taken (skip if none), the request sent with
 * `tmax` rewritten to the time we actually give the DSP (min(its timeout, time left to the deadline),
 * OpenRTB 2.6: an intermediary decreases the outbound tmax). The call's result settles AT that time at
 * the latest: a late DSP is counted as a timeout (breaker failure) and its answer ignored. The HTTP
 * request itself is aborted `abandonGraceMs` later (default 100 ms): aborting an HTTP/1.1 request in
 * flight destroys its connection, so a DSP that is only a little late keeps its warm connection
 * (no new TCP/TLS handshake on the next request) while one that hangs is cut off.
 *
 * Never throws on DSP output: every outcome is a DspResult.
 *
 * Warm-up (`DspPool.warmUp`, before the bidder listens): the first concurrent burst on cold connections
 * pays TCP (and in AWS TLS) handshakes inside the DSP's timeout, so the slower DSPs time out together.
 * `warmUp` opens the connections beforehand with a few concurrent OPTIONS requests per DSP: OPTIONS has
 * no side effects by definition (RFC 9110 §9.3.7), so the DSP sees no bid request to price, count or
 * bill; whatever status it answers (204, 404, 405 …) the connection is established and kept alive,
 * which is all we want. Warm-up bypasses the breaker, the QPS limiter and the counters.
 */
import { setImmediate as afterPendingCallbacks } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { Pool, type Dispatcher } from 'undici';
import type { BidRequest } from '../../shared/bidding/openrtb/types.js';
import { parseJsonGuarded } from '../../shared/bidding/openrtb/guard.js';
import {
  BREAKER_STATE_CODE,
  CircuitBreaker,
  DEFAULT_MAX_SOCKETS,
  QpsLimiter,
  breakerSettingsOf,
  checkDspResponse,
  dspTimeoutMs,
  noticeHostsFor,
  type BreakerState,
  type DspBid,
  type DspConfig,
} from '../../shared/bidding/dsp/index.js';

const gunzip = promisify(gunzipCb);

export type DspResultStatus =
  | 'bid'
  | 'no-bid'
  | 'timeout'
  | 'error'
  | 'skipped-breaker'
  | 'skipped-qps'
  | 'skipped-deadline'
  | 'cancelled';

export interface DspResult {
  dspId: string;
  status: DspResultStatus;
  /** Valid bids (status 'bid'); empty otherwise. */
  bids: DspBid[];
  /** Bids the DSP sent that failed the checks (dropped). */
  rejectedBids: number;
  /** From send to settle, ms (absent when skipped). */
  latencyMs?: number;
  httpStatus?: number;
  /** Short reason for 'error' (no DSP-controlled text beyond a status code). */
  error?: string;
}

export interface DspStats {
  dspId: string;
  /** Requests sent. */
  requests: number;
  /** Responses with at least one valid bid / valid bids in total. */
  responsesWithBids: number;
  bids: number;
  noBids: number;
  timeouts: number;
  /** Answers that arrived after we had counted a timeout (ignored). */
  lateAnswers: number;
  errors: number;
  rejectedBids: number;
  skippedBreaker: number;
  skippedQps: number;
  skippedDeadline: number;
  cancelled: number;
  breakerState: BreakerState;
  /** 0 closed, 1 half-open, 2 open (metrics). */
  breakerStateCode: number;
  breakerOpened: number;
}

export interface DspClientOptions {
  /** Monotonic clock in ms; must be the clock the deadline was computed on. Default performance.now. */
  now?: () => number;
  /** How long a late request is left running before it is aborted (ms). Default 100. */
  abandonGraceMs?: number;
  /** Largest DSP response body accepted (bytes, after gunzip). Default 1 MiB. */
  maxResponseBytes?: number;
  /** Idle kept-alive connections are closed after this (ms). Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** Bidder tasks sharing each DSP's maxQps (the limiter enforces maxQps / tasks). Default 1. */
  tasks?: number;
}

export interface WarmUpOptions {
  /**
   * Connections opened per DSP (capped at its maxSockets). Default 8: about the width of the first
   * burst; a wider burst only opens the missing ones cold.
   */
  connections?: number;
  /** The whole warm-up returns after this at the latest (ms); unfinished requests are aborted. Default 1 s. */
  deadlineMs?: number;
}

export interface WarmUpResult {
  dspId: string;
  /** Warm-up requests that got an HTTP answer (any status). */
  answered: number;
  /** Open connections to the DSP afterwards (0 when it closes them after answering, or is down). */
  connected: number;
}

const DEFAULT_ABANDON_GRACE_MS = 100;
const DEFAULT_WARM_UP_CONNECTIONS = 8;
const DEFAULT_WARM_UP_DEADLINE_MS = 1_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_RESPONSE_DEPTH = 32;

type Counters = Omit<DspStats, 'dspId' | 'breakerState' | 'breakerStateCode' | 'breakerOpened'>;

/** One DSP: its config, kept-alive connection pool, breaker, QPS limiter and counters. */
export class DspClient {
  readonly config: DspConfig;
  readonly breaker: CircuitBreaker;
  readonly limiter: QpsLimiter;
  readonly dispatcher: Pool;
  readonly noticeHosts: ReadonlySet<string>;
  readonly counters: Counters = {
    requests: 0,
    responsesWithBids: 0,
    bids: 0,
    noBids: 0,
    timeouts: 0,
    lateAnswers: 0,
    errors: 0,
    rejectedBids: 0,
    skippedBreaker: 0,
    skippedQps: 0,
    skippedDeadline: 0,
    cancelled: 0,
  };
  readonly now: () => number;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly warmUpHeaders: Record<string, string>;
  private readonly graceMs: number;
  private readonly maxBytes: number;

  constructor(config: DspConfig, options: DspClientOptions = {}) {
    this.config = config;
    this.now = options.now ?? (() => performance.now());
    const tasks = Math.max(1, options.tasks ?? 1);
    this.breaker = new CircuitBreaker(breakerSettingsOf(config), this.now);
    this.limiter = new QpsLimiter(config.maxQps / tasks, config.burst, this.now);
    const url = new URL(config.endpoint);
    this.path = `${url.pathname}${url.search}`;
    this.maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.graceMs = Math.max(0, options.abandonGraceMs ?? DEFAULT_ABANDON_GRACE_MS);
    this.dispatcher = new Pool(url.origin, {
      connections: config.maxSockets ?? DEFAULT_MAX_SOCKETS,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: options.keepAliveTimeoutMs ?? 30_000,
      // One request per connection (no HTTP/1.1 pipelining: a slow answer would hold up the ones
      // behind it), so N concurrent requests use N connections; warmUp relies on that too.
      pipelining: 1,
      connectTimeout: Math.max(config.timeoutMs, 1_000),
      maxResponseSize: this.maxBytes,
    });
    this.noticeHosts = noticeHostsFor(config.endpoint, config.noticeHosts);
    this.warmUpHeaders = { ...(config.headers ?? {}) };
    this.headers = {
      ...(config.headers ?? {}),
      'content-type': 'application/json',
      'x-openrtb-version': '2.6',
      'accept-encoding': 'gzip',
    };
  }

  get id(): string {
    return this.config.id;
  }

  stats(): DspStats {
    const b = this.breaker.snapshot();
    return { dspId: this.config.id, ...this.counters, breakerState: b.state, breakerStateCode: BREAKER_STATE_CODE[b.state], breakerOpened: b.opened };
  }

  /**
   * One call under `deadline`. `bodyAfterTmax` is the serialized request WITHOUT tmax and without its
   * opening brace (see serializeWithoutTmax), so the per-DSP tmax is spliced in without re-serializing.
   */
  call(request: BidRequest, bodyAfterTmax: string, deadline: number, signal?: AbortSignal): Promise<DspResult> {
    const dspId = this.config.id;
    const start = this.now();
    const timeout = dspTimeoutMs(this.config.timeoutMs, deadline, start);
    if (timeout < 1) {
      this.counters.skippedDeadline++;
      return Promise.resolve({ dspId, status: 'skipped-deadline', bids: [], rejectedBids: 0 });
    }
    if (signal?.aborted) {
      this.counters.cancelled++;
      return Promise.resolve({ dspId, status: 'cancelled', bids: [], rejectedBids: 0 });
    }
    if (!this.breaker.tryAcquire()) {
      this.counters.skippedBreaker++;
      return Promise.resolve({ dspId, status: 'skipped-breaker', bids: [], rejectedBids: 0 });
    }
    if (!this.limiter.tryTake()) {
      this.breaker.release();
      this.counters.skippedQps++;
      return Promise.resolve({ dspId, status: 'skipped-qps', bids: [], rejectedBids: 0 });
    }
    this.counters.requests++;
    const body = bodyAfterTmax.length === 0 ? `{"tmax":${timeout}}` : `{"tmax":${timeout},${bodyAfterTmax}`;

    return new Promise<DspResult>((resolve) => {
      const abort = new AbortController();
      let settled = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const finish = (result: DspResult, verdict: 'success' | 'failure' | 'none'): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadlineTimer);
        signal?.removeEventListener('abort', onCallerAbort);
        if (verdict === 'success') this.breaker.onSuccess();
        else if (verdict === 'failure') this.breaker.onFailure(start);
        else this.breaker.release();
        result.latencyMs = this.now() - start;
        resolve(result);
      };
      const onCallerAbort = (): void => {
        this.counters.cancelled++;
        finish({ dspId, status: 'cancelled', bids: [], rejectedBids: 0 }, 'none');
        abort.abort();
      };
      signal?.addEventListener('abort', onCallerAbort, { once: true });
      const deadlineTimer = setTimeout(() => {
        this.counters.timeouts++;
        finish({ dspId, status: 'timeout', bids: [], rejectedBids: 0 }, 'failure');
        if (this.graceMs === 0) abort.abort();
        else graceTimer = setTimeout(() => abort.abort(), this.graceMs);
      }, timeout);

      this.exchange(request, body, abort.signal, timeout + this.graceMs).then(
        (outcome) => {
          clearTimeout(graceTimer);
          if (settled) {
            if (outcome.kind !== 'aborted') this.counters.lateAnswers++;
            return;
          }
          switch (outcome.kind) {
            case 'bids': {
              this.counters.rejectedBids += outcome.rejected;
              if (outcome.bids.length > 0) {
                this.counters.responsesWithBids++;
                this.counters.bids += outcome.bids.length;
                finish({ dspId, status: 'bid', bids: outcome.bids, rejectedBids: outcome.rejected, httpStatus: outcome.status }, 'success');
              } else {
                this.counters.noBids++;
                finish({ dspId, status: 'no-bid', bids: [], rejectedBids: outcome.rejected, httpStatus: outcome.status }, 'success');
              }
              return;
            }
            case 'error':
              this.counters.errors++;
              finish({ dspId, status: 'error', bids: [], rejectedBids: 0, error: outcome.error, ...(outcome.status ? { httpStatus: outcome.status } : {}) }, 'failure');
              return;
            case 'aborted':
              // Only our own abort gets here before settling (caller abort settles first); treat as timeout.
              this.counters.timeouts++;
              finish({ dspId, status: 'timeout', bids: [], rejectedBids: 0 }, 'failure');
              return;
          }
        },
        () => {
          clearTimeout(graceTimer);
          if (!settled) {
            this.counters.errors++;
            finish({ dspId, status: 'error', bids: [], rejectedBids: 0, error: 'internal' }, 'failure');
          }
        },
      );
    });
  }

  private async exchange(
    request: BidRequest,
    body: string,
    signal: AbortSignal,
    hardTimeoutMs: number,
  ): Promise<{ kind: 'bids'; bids: DspBid[]; rejected: number; status: number } | { kind: 'error'; error: string; status?: number } | { kind: 'aborted' }> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        path: this.path,
        method: 'POST',
        headers: this.headers,
        body,
        signal,
        headersTimeout: hardTimeoutMs,
        bodyTimeout: hardTimeoutMs,
      });
    } catch (error) {
      if (signal.aborted) return { kind: 'aborted' };
      return { kind: 'error', error: errorCode(error) };
    }
    const status = response.statusCode;
    try {
      if (status === 204) {
        await response.body.dump();
        return { kind: 'bids', bids: [], rejected: 0, status };
      }
      if (status < 200 || status >= 300) {
        await response.body.dump();
        return { kind: 'error', error: `http ${status}`, status };
      }
      let raw = Buffer.from(await response.body.arrayBuffer());
      const encoding = response.headers['content-encoding'];
      if (encoding === 'gzip') raw = await gunzip(raw, { maxOutputLength: this.maxBytes });
      else if (encoding !== undefined && encoding !== 'identity') return { kind: 'error', error: 'unsupported content-encoding', status };
      if (raw.length === 0) return { kind: 'bids', bids: [], rejected: 0, status }; // 200 with empty body: no bid
      const parsed = parseJsonGuarded(raw, { maxBytes: this.maxBytes, maxDepth: MAX_RESPONSE_DEPTH });
      if (!parsed.ok) return { kind: 'error', error: 'invalid json', status };
      const check = checkDspResponse(parsed.value, request, {
        dspId: this.config.id,
        defaultSeat: this.config.seat ?? this.config.id,
        noticeHosts: this.noticeHosts,
        ...(this.config.maxPriceCpm !== undefined ? { maxPriceCpm: this.config.maxPriceCpm } : {}),
      });
      if (!check.ok) return { kind: 'error', error: `invalid response: ${check.reason}`, status };
      return { kind: 'bids', bids: check.bids, rejected: check.rejected, status };
    } catch (error) {
      if (signal.aborted) return { kind: 'aborted' };
      return { kind: 'error', error: errorCode(error), status };
    }
  }

  /**
   * Opens up to `options.connections` kept-alive connections to the DSP (see the file comment). Resolves
   * by the deadline whatever the DSP does; never rejects; never touches the breaker or the counters.
   */
  async warmUp(options: WarmUpOptions = {}): Promise<WarmUpResult> {
    const maxSockets = this.config.maxSockets ?? DEFAULT_MAX_SOCKETS;
    const wanted = Math.max(0, Math.min(options.connections ?? DEFAULT_WARM_UP_CONNECTIONS, maxSockets));
    const deadlineMs = Math.max(0, options.deadlineMs ?? DEFAULT_WARM_UP_DEADLINE_MS);
    const abort = new AbortController();
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadlinePassed = new Promise<void>((resolve) => {
      deadlineTimer = setTimeout(() => {
        abort.abort(); // a request not answered by now would only hold a pool slot
        resolve();
      }, deadlineMs);
    });
    let answered = 0;
    // Concurrent, so the pool opens one connection per request (pipelining 1).
    const requests = Array.from({ length: wanted }, async () => {
      if (await this.openConnection(abort.signal, deadlineMs)) answered++;
    });
    await Promise.race([Promise.all(requests), deadlinePassed]);
    clearTimeout(deadlineTimer);
    // undici marks the last answered connection free again only after its response has settled: a
    // bid request sent in this same tick would open one more connection instead of reusing it.
    await afterPendingCallbacks();
    return { dspId: this.config.id, answered, connected: this.dispatcher.stats.connected };
  }

  /** One warm-up request; true when the DSP answered (any status). */
  private async openConnection(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    try {
      const response = await this.dispatcher.request({
        path: this.path,
        method: 'OPTIONS',
        headers: this.warmUpHeaders,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump(); // read to the end, so the connection goes back to the pool
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.dispatcher.destroy();
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code.slice(0, 64) : 'request failed';
}

/**
 * The request as JSON without `tmax` and without the opening "{" (so `{"tmax":N,` + this is the body).
 * Serialized once per fan-out, whatever the number of DSPs.
 */
export function serializeWithoutTmax(request: BidRequest): string {
  const { tmax: _tmax, ...rest } = request;
  const json = JSON.stringify(rest);
  return json.length <= 2 ? '' : json.slice(1);
}

/** All configured DSPs of one bidder task. */
export class DspPool {
  readonly clients: readonly DspClient[];
  private readonly byId: Map<string, DspClient>;

  constructor(configs: readonly DspConfig[], options: DspClientOptions = {}) {
    this.clients = configs.map((c) => new DspClient(c, options));
    this.byId = new Map(this.clients.map((c) => [c.id, c]));
  }

  get(id: string): DspClient | undefined {
    return this.byId.get(id);
  }

  stats(): DspStats[] {
    return this.clients.map((c) => c.stats());
  }

  /** Warms every DSP's connections in parallel (DspClient.warmUp); call before serving. Never rejects. */
  warmUp(options: WarmUpOptions = {}): Promise<WarmUpResult[]> {
    return Promise.all(this.clients.map((c) => c.warmUp(options)));
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

export interface FanOutOptions {
  /** Absolute deadline on the clients' clock (see deadlineFor in shared/bidding/dsp/deadline.ts). */
  deadline: number;
  /** Abort everything (e.g. the exchange hung up, or shutdown): results become 'cancelled'. */
  signal?: AbortSignal;
}

/**
 * Sends `request` to every DSP in `dsps` in parallel and resolves no later than `deadline` with one
 * result per DSP (same order). Late DSPs are 'timeout'. Never rejects.
 */
export async function fanOut(request: BidRequest, dsps: DspPool | readonly DspClient[], options: FanOutOptions): Promise<DspResult[]> {
  const clients = dsps instanceof DspPool ? dsps.clients : dsps;
  if (clients.length === 0) return [];
  const body = serializeWithoutTmax(request);
  return Promise.all(clients.map((c) => c.call(request, body, options.deadline, options.signal)));
}

/** Every bid of a fan-out, flattened (arrival order: by DSP result order, then response order). */
export function bidsOf(results: readonly DspResult[]): DspBid[] {
  const out: DspBid[] = [];
  for (const r of results) for (const b of r.bids) out.push(b);
  return out;
}
