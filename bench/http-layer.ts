/**
 * HTTP layer for the bidder, chosen by measurement: the same POST (a ~1.5 KB OpenRTB banner request)
 * against four servers, each in its own process, loaded by `wrk` (apt) from another process:
 *
 *   bare-204        node:http, read the body, answer 204 (the floor: nothing cheaper is possible)
 *   bare-parse      node:http, read + guard + JSON.parse + parseBidRequest, answer 204
 *   fastify-parse   fastify 5, its JSON body parser + parseBidRequest, answer 204
 *   bidder-server   bidder/server.ts (the candidate: auth, size cap, gzip support, guard, parse) with a
 *                   pipeline stub answering 204
 *
 *   npx tsx bench/http-layer.ts [--seconds 10] [--connections 64]
 *
 * Prints one line per server (req/s, p50, p99) and a final JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJsonText } from '../shared/bidding/openrtb/guard.js';
import { parseBidRequest } from '../shared/bidding/openrtb/parse.js';

export const SAMPLE_REQUEST = {
  id: 'bench-req-0001',
  at: 2,
  tmax: 120,
  cur: ['USD'],
  imp: [{ id: '1', tagid: 'homepage-top', bidfloor: 0.25, bidfloorcur: 'USD', secure: 1, banner: { w: 300, h: 250, format: [{ w: 300, h: 250 }, { w: 320, h: 50 }], pos: 1, mimes: ['image/jpeg', 'image/png', 'text/html'] } }],
  site: {
    id: 'site-42',
    domain: 'news.example',
    page: 'https://news.example/sport/2026/11/22/a-long-article-slug-about-the-weekend-results.html',
    ref: 'https://search.example/?q=weekend+results',
    cat: ['IAB17', 'IAB17-44'],
    publisher: { id: 'pub-7', name: 'Example News Group', domain: 'news.example' },
    content: { language: 'en', keywords: 'football,results,weekend' },
  },
  device: {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    ip: '203.0.113.77',
    devicetype: 2,
    os: 'macOS',
    language: 'en',
    js: 1,
    geo: { country: 'USA', region: 'CA', city: 'San Francisco', zip: '94103', type: 2 },
  },
  user: { id: 'u-6f9619ff8b86d011b42d00c04fc964ff', buyeruid: 'buyer-81723', ext: { consent: 'CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA' } },
  source: { tid: '8f1c7b7e-3a4e-4f6a-9c1b-0e2f3d4c5b6a', schain: { complete: 1, ver: '1.0', nodes: [{ asi: 'exchange.example', sid: 'pub-7', hp: 1 }] } },
  regs: { coppa: 0, gdpr: 0, ext: { us_privacy: '1YNN' } },
  bcat: ['IAB25', 'IAB26', 'IAB7-39'],
  badv: ['blocked.example'],
  ext: { prebid: { channel: { name: 'web' } } },
};

const KEY = 'bench-exchange-key-0123456789';

async function serve(kind: string, port: number): Promise<void> {
  if (kind === 'bare-204') {
    const server = createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => {
        res.writeHead(204, { 'x-openrtb-version': '2.6' });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  } else if (kind === 'bare-parse') {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let ok = checkJsonText(body) === null;
        try {
          ok = ok && parseBidRequest(JSON.parse(body.toString('utf8'))).ok;
        } catch {
          ok = false;
        }
        res.writeHead(ok ? 204 : 400, { 'x-openrtb-version': '2.6' });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  } else if (kind === 'fastify-parse') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
    app.post('/openrtb2/auction', async (req, reply) => {
      const ok = parseBidRequest(req.body).ok;
      return reply.code(ok ? 204 : 400).header('x-openrtb-version', '2.6').send();
    });
    await app.listen({ port, host: '127.0.0.1' });
  } else if (kind === 'bidder-server') {
    const { createBidderServer } = await import('../bidder/server.js');
    const { NoopMetrics } = await import('../bidder/metrics.js');
    const server = createBidderServer({
      pipeline: {
        auction: async (request) => ({ status: 204, reason: 'no_eligible_line_items', auctionId: request.id }),
        notice: async () => ({ status: 204 }),
      },
      metrics: new NoopMetrics(),
      exchangeKeys: new Map([[KEY, 'bench']]),
    });
    await server.listen(port, '127.0.0.1');
  } else throw new Error(`unknown server ${kind}`);
  process.send?.('ready');
}

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  p999?: number;
  non2xx: number;
}

/** Runs wrk with a POST script; latencies in ms. */
export async function runWrk(
  url: string,
  body: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  threads = 1,
  lateAfterMs?: number,
): Promise<WrkResult & { lateShare?: number }> {
  const script = join(tmpdir(), `wrk-post-${process.pid}.lua`);
  const hdrs = Object.entries({ 'Content-Type': 'application/json', ...headers })
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n${hdrs}\n` +
      `done = function(summary, latency, requests)\n` +
      `  local late = 0\n` +
      (lateAfterMs !== undefined
        ? `  if latency.max > ${lateAfterMs * 1000} then\n    local lo, hi = 0, 100\n    for i = 1, 40 do local mid = (lo + hi) / 2; if latency:percentile(mid) > ${lateAfterMs * 1000} then hi = mid else lo = mid end end\n    late = (100 - hi) / 100\n  end\n`
        : '') +
      `  io.write(string.format("LATE %.6f\\n", late))\n` +
      `  io.write(string.format("JSON {\\"p50\\":%f,\\"p99\\":%f,\\"p999\\":%f,\\"non2xx\\":%d}\\n", latency:percentile(50)/1000, latency:percentile(99)/1000, latency:percentile(99.9)/1000, summary.errors.status))\n` +
      `end\n`,
  );
  // Asynchronous on purpose: the simulated DSPs and kinesalite live in this process and must keep running.
  const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '-s', script, url]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? 0);
  const j = JSON.parse(/JSON (\{.*\})/.exec(out.stdout)?.[1] ?? '{}') as { p50: number; p99: number; p999: number; non2xx: number };
  const late = Number(/LATE ([\d.]+)/.exec(out.stdout)?.[1] ?? 0);
  return { rps, p50: j.p50, p99: j.p99, p999: j.p999, non2xx: j.non2xx, ...(lateAfterMs !== undefined ? { lateShare: late } : {}) };
}

export function startChild(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...env } });
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--serve') return serve(argv[1]!, Number(argv[2]));
  const arg = (name: string, d: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const seconds = arg('--seconds', 10);
  const connections = arg('--connections', 64);
  const body = JSON.stringify(SAMPLE_REQUEST);
  console.log(`body ${Buffer.byteLength(body)} bytes, ${seconds}s per server, ${connections} connections, wrk 1 thread`);
  const results: Record<string, WrkResult> = {};
  let port = 47_000 + (process.pid % 1000);
  for (const kind of ['bare-204', 'bare-parse', 'fastify-parse', 'bidder-server']) {
    port++;
    const child = await startChild([new URL(import.meta.url).pathname, '--serve', kind, String(port)]);
    try {
      await runWrk(`http://127.0.0.1:${port}/openrtb2/auction`, body, { 'x-exchange-key': KEY }, 2, connections); // warm-up
      const r = await runWrk(`http://127.0.0.1:${port}/openrtb2/auction`, body, { 'x-exchange-key': KEY }, seconds, connections);
      results[kind] = r;
      console.log(`${kind.padEnd(14)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  non-2xx ${r.non2xx}`);
    } finally {
      child.kill('SIGKILL');
    }
  }
  const base = results['bare-204']!.rps;
  console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { rps: Math.round(r.rps), p50: r.p50, p99: r.p99, ofBare204: Number((r.rps / base).toFixed(3)) }]))));
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) await main();
