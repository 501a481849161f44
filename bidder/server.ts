/**
 * The HTTP layer on bare node:http (chosen by measurement, see docs/bidder.md and bench/http-layer.ts).
 *
 *   POST /openrtb2/auction                 OpenRTB 2.6 bid request -> 200 BidResponse | 204 no bid |
 *                                          400 malformed | 401 unknown exchange key | 413 too large
 *   GET  /openrtb2/notice/{win,bill,loss}  notices (the URLs our responses carry); /notice/* too
 *   GET  /health                           200 while serving, 503 while draining
 *
 * Every response carries `x-openrtb-version: 2.6`. Bodies: identity or gzip (Content-Encoding),
 * capped at `maxBodyBytes` both on the wire and after decompression (a Content-Length over the cap
 * is refused before reading). Nothing the client sends can produce a 5xx: pipeline errors answer 204
 * (no bid) and are counted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip, inflate } from 'node:zlib';
import { parseBidRequest } from '../shared/bidding/openrtb/parse.js';
import { checkJsonText } from '../shared/bidding/openrtb/guard.js';
import type { MetricsSink } from './metrics.js';
import type { BidPipeline } from './pipeline.js';

export interface ServerOptions {
  pipeline: Pick<BidPipeline, 'auction' | 'notice'>;
  metrics: MetricsSink;
  /** key -> exchange id */
  exchangeKeys: ReadonlyMap<string, string>;
  maxBodyBytes?: number;
  maxDepth?: number;
  keyHeader?: string;
  clock?: () => number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface BidderServer {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  /** Stop accepting, answer 503 on /health, wait for in-flight requests (at most timeoutMs). */
  drain(timeoutMs?: number): Promise<void>;
  readonly inFlight: number;
}

const VERSION_HEADER = 'x-openrtb-version';
const JSON_HEADERS = { 'content-type': 'application/json', [VERSION_HEADER]: '2.6' };

export function createBidderServer(o: ServerOptions): BidderServer {
  const maxBody = o.maxBodyBytes ?? 64 * 1024;
  const limits = { maxBytes: maxBody, maxDepth: o.maxDepth ?? 32 };
  const keyHeader = (o.keyHeader ?? 'x-exchange-key').toLowerCase();
  const clock = o.clock ?? Date.now;
  const m = o.metrics;
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const send = (res: ServerResponse, status: number, body?: string) => {
    const headers: Record<string, string | number> = body === undefined ? { [VERSION_HEADER]: '2.6' } : { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) };
    if (draining) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  };
  const fail = (res: ServerResponse, status: number, reason: string) => {
    m.count('Rejected', 1, { name: 'Status', value: String(status) });
    send(res, status, JSON.stringify({ error: reason }));
  };

  const readBody = (req: IncomingMessage): Promise<Buffer | { status: number; reason: string }> =>
    new Promise((resolve) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBody) {
        req.resume();
        resolve({ status: 413, reason: `body of ${declared} bytes exceeds the limit of ${maxBody}` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        size += chunk.length;
        if (size > maxBody) {
          done = true;
          chunks.length = 0;
          resolve({ status: 413, reason: `body exceeds the limit of ${maxBody} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!done) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
        done = true;
      });
      req.on('error', () => {
        if (!done) resolve({ status: 400, reason: 'request aborted' });
        done = true;
      });
    });

  const decode = (encoding: string | undefined, body: Buffer): Promise<Buffer | { status: number; reason: string }> => {
    const enc = (encoding ?? 'identity').trim().toLowerCase();
    if (enc === 'identity' || enc === '') return Promise.resolve(body);
    const fn = enc === 'gzip' || enc === 'x-gzip' ? gunzip : enc === 'deflate' ? inflate : undefined;
    if (!fn) return Promise.resolve({ status: 415, reason: `unsupported content-encoding ${enc}` });
    return new Promise((resolve) => {
      fn(body, { maxOutputLength: maxBody }, (err, out) => {
        if (!err) resolve(out);
        else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) resolve({ status: 413, reason: `decompressed body exceeds the limit of ${maxBody} bytes` });
        else resolve({ status: 400, reason: `invalid ${enc} body` });
      });
    });
  };

  const auction = async (req: IncomingMessage, res: ServerResponse, receivedAt: number) => {
    m.count('Requests');
    const key = req.headers[keyHeader];
    const exchangeId = typeof key === 'string' ? o.exchangeKeys.get(key) : undefined;
    if (exchangeId === undefined) {
      m.count('UnknownExchangeKey');
      req.resume();
      fail(res, 401, `missing or unknown ${keyHeader}`);
      return;
    }
    if (draining) {
      req.resume();
      send(res, 204);
      m.count('NoBid', 1, { name: 'Reason', value: 'draining' });
      return;
    }
    const raw = await readBody(req);
    if (!Buffer.isBuffer(raw)) return fail(res, raw.status, raw.reason);
    const body = await decode(req.headers['content-encoding'], raw);
    if (!Buffer.isBuffer(body)) return fail(res, body.status, body.reason);
    // Size/depth scan before JSON.parse builds anything (bounded work for hostile bodies), then parse.
    const guard = checkJsonText(body, limits);
    if (guard) return fail(res, guard.reason.startsWith('body of') ? 413 : 400, guard.path ? `${guard.path}: ${guard.reason}` : guard.reason);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return fail(res, 400, `malformed JSON: ${(error as Error).message}`);
    }
    const parsed = parseBidRequest(value, { maxDepth: limits.maxDepth });
    if (!parsed.ok) return fail(res, 400, parsed.path ? `${parsed.path}: ${parsed.reason}` : parsed.reason);
    try {
      const result = await o.pipeline.auction(parsed.request, exchangeId, receivedAt);
      if (result.status === 200) send(res, 200, JSON.stringify(result.response));
      else send(res, 204);
    } catch (error) {
      m.count('InternalErrors');
      o.log?.('auction failed', { error: String(error) });
      send(res, 204);
    }
    m.latency('BidLatency', clock() - receivedAt);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = clock();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method === 'POST' && path === '/openrtb2/auction') return auction(req, res, receivedAt);
    if (req.method === 'GET' && path === '/health') return send(res, draining ? 503 : 200, JSON.stringify({ status: draining ? 'draining' : 'ok' }));
    if ((req.method === 'GET' || req.method === 'POST') && (path.startsWith('/openrtb2/notice/') || path.startsWith('/notice/'))) {
      req.resume();
      const full = path.startsWith('/notice/') ? `/openrtb2${url}` : url;
      try {
        const r = await o.pipeline.notice(full);
        return r.status === 204 ? send(res, 204) : fail(res, 400, r.reason ?? 'bad notice');
      } catch (error) {
        m.count('InternalErrors');
        o.log?.('notice failed', { error: String(error) });
        return send(res, 204);
      }
    }
    req.resume();
    return fail(res, 404, 'not found');
  };

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 5_000, headersTimeout: 5_000 }, (req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0 && idle) idle();
    });
    handle(req, res).catch((error) => {
      m.count('InternalErrors');
      o.log?.('request failed', { error: String(error) });
      if (!res.headersSent) send(res, 204);
    });
  });
  // A keep-alive load balancer must not see the app close first (ALB idle timeout is 60 s).
  server.headersTimeout = 66_000;
  server.requestTimeout = 10_000;

  return {
    server,
    get inFlight() {
      return inFlight;
    },
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    drain: async (timeoutMs = 10_000) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      }
      server.closeAllConnections();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
    },
  };
}
