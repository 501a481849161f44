import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoopMetrics } from '../../../bidder/metrics.js';
import { createBidderServer, type BidderServer } from '../../../bidder/server.js';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';

const KEY = 'unit-exchange-key-0123456789';
let server: BidderServer;
let base: string;
let release: (() => void) | undefined;
const seen: Array<{ request: BidRequest; exchange: string }> = [];

beforeAll(async () => {
  server = createBidderServer({
    pipeline: {
      auction: async (request, exchange) => {
        seen.push({ request, exchange });
        if (request.id === 'slow') await new Promise<void>((r) => (release = r));
        if (request.id === 'throw') throw new Error('bug');
        return request.id === 'bid'
          ? { status: 200, auctionId: request.id, response: { id: request.id, seatbid: [{ seat: 's', bid: [{ id: 'b', impid: '1', price: 1 }] }], cur: 'USD' } }
          : { status: 204, reason: 'no_eligible_line_items', auctionId: request.id };
      },
      notice: async (path) => (path.includes('bid=') ? { status: 204 } : { status: 400, reason: 'bad' }),
    },
    metrics: new NoopMetrics(),
    exchangeKeys: new Map([[KEY, 'ex-1']]),
    maxBodyBytes: 4096,
  });
  const port = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server.drain(1000);
});

const body = (id: string) => JSON.stringify({ id, imp: [{ id: '1', banner: { w: 300, h: 250 } }] });
const post = (b: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${base}/openrtb2/auction`, { method: 'POST', headers: { 'x-exchange-key': KEY, ...headers }, body: b });

describe('bidder HTTP server', () => {
  it('200 with the BidResponse, 204 for no bid, both with x-openrtb-version: 2.6; the exchange is named by its key', async () => {
    const r = await post(body('bid'));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-openrtb-version')).toBe('2.6');
    expect(await r.json()).toMatchObject({ id: 'bid' });
    const n = await post(body('none'));
    expect(n.status).toBe(204);
    expect(n.headers.get('x-openrtb-version')).toBe('2.6');
    expect(seen.at(-1)?.exchange).toBe('ex-1');
  });

  it('a pipeline failure is a 204, never a 5xx', async () => {
    expect((await post(body('throw'))).status).toBe(204);
  });

  it('413 from Content-Length alone, before reading the body', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/openrtb2/auction`, { method: 'POST', headers: { 'x-exchange-key': KEY, 'content-length': '10000000' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"id":');
    });
    expect(status).toBe(413);
  });

  it('gzip and deflate bodies; 415 for another encoding; 413 for an inflated body over the cap', async () => {
    expect((await post(gzipSync(body('bid')), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await post(body('bid'), { 'content-encoding': 'br' })).status).toBe(415);
    expect((await post(gzipSync(Buffer.alloc(100_000, 32)), { 'content-encoding': 'gzip' })).status).toBe(413);
  });

  it('notices: 204 for ours, 400 otherwise, also under /notice/*; 404 elsewhere', async () => {
    expect((await fetch(`${base}/openrtb2/notice/win?auction=a&imp=1&bid=b`)).status).toBe(204);
    expect((await fetch(`${base}/notice/bill?auction=a&imp=1&bid=b`)).status).toBe(204);
    expect((await fetch(`${base}/openrtb2/notice/loss?x=1`)).status).toBe(400);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('drain: /health turns 503, in-flight requests finish', async () => {
    const inflight = post(body('slow'));
    for (let i = 0; i < 50 && !release; i++) await new Promise((r) => setTimeout(r, 10));
    const draining = server.drain(2000);
    const health = await fetch(`${base}/health`).then((r) => r.status).catch(() => 'closed');
    expect([503, 'closed']).toContain(health);
    release!();
    expect((await inflight).status).toBe(204);
    await draining;
  });
});
