/**
 * Why bidder/dsp uses undici: compares HTTP clients for DSP calls against one simulated DSP running in
 * a child process (so client and server CPU are measured apart).
 *
 *   tsx local/dsp-sim/bench-http-client.ts            # N=20000 C=64 by default
 *   N=50000 C=32 tsx local/dsp-sim/bench-http-client.ts
 *
 * Prints, per client: requests/s, latency p50/p99/p99.9, client CPU µs per request, new connections.
 * Client CPU per call is what matters in the bidder: every bid request becomes one call per DSP.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { Pool } from 'undici';
import { startSimulatedDsp } from './index.js';

if (process.argv.includes('--server')) {
  const sim = await startSimulatedDsp({ latency: 0, bidRate: 1, seed: 7 });
  process.send?.({ url: sim.url });
  process.on('message', (m) => {
    if (m === 'connections') process.send?.({ connections: sim.stats.connections });
  });
  process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
} else {
  const N = Number(process.env.N ?? 20_000);
  const C = Number(process.env.C ?? 64);
  const child = fork(import.meta.filename, ['--server'], { execArgv: process.execArgv });
  const { url } = await new Promise<{ url: string }>((resolve) => child.once('message', (m) => resolve(m as { url: string })));
  const connections = (): Promise<number> =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve((m as { connections: number }).connections));
      child.send('connections');
    });
  const body = JSON.stringify({
    id: 'bench-1',
    imp: [{ id: '1', banner: { w: 300, h: 250 }, bidfloor: 0.5 }],
    site: { domain: 'news.example', page: 'https://news.example/a/very/long/article/path?utm=1' },
    device: { ua: 'Mozilla/5.0 (bench)', ip: '203.0.113.7' },
    tmax: 80,
  });
  const headers = { 'content-type': 'application/json', 'x-openrtb-version': '2.6' };
  const target = new URL(url);

  const agent = new http.Agent({ keepAlive: true, maxSockets: C, scheduling: 'lifo' });
  const viaNodeHttp = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal: AbortSignal.timeout(2_000) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve();
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const pool = new Pool(target.origin, { connections: C, keepAliveTimeout: 30_000, pipelining: 1 });
  const viaUndici = async (): Promise<void> => {
    const res = await pool.request({ path: target.pathname, method: 'POST', headers, body, signal: AbortSignal.timeout(2_000) });
    JSON.parse(Buffer.from(await res.body.arrayBuffer()).toString('utf8'));
  };
  const viaFetch = async (): Promise<void> => {
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(2_000) });
    await res.json();
  };

  const run = async (name: string, call: () => Promise<void>): Promise<void> => {
    for (let i = 0; i < 2_000; i++) await call(); // warm-up (JIT, connections)
    const before = await connections();
    const latencies = new Float64Array(N);
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < N) {
          const i = next++;
          const s = performance.now();
          await call();
          latencies[i] = performance.now() - s;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort();
    const q = (p: number): string => latencies[Math.floor(p * (N - 1))]!.toFixed(2);
    const cpuPerReq = (cpu.user + cpu.system) / N;
    console.log(
      `${name.padEnd(10)} ${String(Math.round(N / seconds)).padStart(7)} req/s  p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  p99.9 ${q(0.999)} ms  client CPU ${cpuPerReq.toFixed(1)} µs/req  new connections ${(await connections()) - before}`,
    );
  };

  console.log(`N=${N} C=${C} against ${url}`);
  for (let round = 0; round < 2; round++) {
    await run('undici', viaUndici);
    await run('node:http', viaNodeHttp);
    await run('fetch', viaFetch);
  }
  await pool.close();
  agent.destroy();
  child.disconnect();
}
