/**
 * npm run bench:eligibility — what one bid request costs the bidder's main thread before any I/O: the
 * JSON guard, JSON.parse, parseBidRequest and eligibility for every imp against a catalog of line items.
 *
 * Two requests, measured in the same process:
 *  - typical: one imp, one banner size, 20 bcat and 20 badv entries;
 *  - worst case: the slowest of several shapes the parser accepts within the 64 KiB body cap, from
 *    "1024 bcat and badv entries, one imp of 64 formats and 40 PMP deals" to "short lists, 64 imps",
 *    built so that no check can stop early: every line item reaches its creatives and every creative is
 *    compared with every list.
 * Prints µs per request (mean, p50, p99) for both and the ratio worst / typical, then one JSON line.
 *
 *   npx tsx bench/eligibility.ts [--seconds 3] [--line-items 200]
 */
import { performance } from 'node:perf_hooks';
import { eligibleBids } from '../shared/bidding/eligibility.js';
import type { LineItem } from '../shared/bidding/line-item.js';
import { checkJsonText } from '../shared/bidding/openrtb/guard.js';
import { LIST_LIMITS, parseBidRequest } from '../shared/bidding/openrtb/parse.js';

const MAX_BODY_BYTES = 64 * 1024;

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function catalog(count: number): LineItem[] {
  return Array.from({ length: count }, (_, i) => {
    const item: LineItem = {
      id: `li-${i}`,
      campaignId: `camp-${i}`,
      dealId: 'deal-1',
      accountId: `acct-${i % 10}`,
      seat: `seat-${i % 5}`,
      currency: 'USD',
      maxBidMicros: 5_000_000,
      creatives: Array.from({ length: 3 }, (_, c) => ({
        id: `cr-${i}-${c}`,
        format: 'banner' as const,
        w: 300,
        h: 250,
        adm: '<div/>',
        adomain: [`brand${i}.example`, `shop.brand${i}.example`, `cdn${c}.brand${i}.example`],
        cat: [`IAB${(i % 25) + 1}-${c + 1}`, 'IAB22-4'],
        bundle: `com.brand${i}.app`,
      })),
      targeting: { countries: [], devices: [] },
      pacing: 'even',
    };
    if (i % 2 === 1) item.pmpDealId = `deal-${i % 40}`;
    return item;
  });
}

const typical = {
  id: 'typical-1',
  at: 2,
  tmax: 120,
  cur: ['USD'],
  imp: [{ id: '1', bidfloor: 0.5, banner: { w: 300, h: 250 }, pmp: { deals: [{ id: 'deal-1', bidfloor: 1 }] } }],
  site: { id: 's1', domain: 'news.example', cat: ['IAB12'] },
  device: { devicetype: 2, geo: { country: 'USA' } },
  user: { id: 'user-1' },
  bcat: Array.from({ length: 20 }, (_, i) => `IAB26-${i}`),
  badv: Array.from({ length: 20 }, (_, i) => `blocked${i}.example`),
};

interface Shape {
  /** Entries of bcat and badv each. */
  listEntries: number;
  formatsPerImp: number;
  dealsPerImp: number;
  wadomainPerDeal: number;
}

/**
 * A request of one shape: the block lists, then imps added while the body stays under the cap (and the
 * parser's 64 imps). Nothing matches a block list and the one banner size our creatives have is the
 * last format, so every check runs to the end.
 */
function hostileRequest(shape: Shape): { request: Record<string, unknown>; body: Buffer } {
  const formats = Array.from({ length: shape.formatsPerImp }, (_, i) => ({ w: 301 + i, h: 251 }));
  formats[formats.length - 1] = { w: 300, h: 250 };
  const deals = Array.from({ length: shape.dealsPerImp }, (_, d) => ({
    id: `deal-${d}`,
    wadomain: [...Array.from({ length: shape.wadomainPerDeal - 1 }, (_, i) => `w${i}.d${d}.x`), `brand${d}.example`],
  }));
  const request: Record<string, unknown> = {
    id: 'worst-1',
    at: 2,
    tmax: 120,
    cur: ['USD'],
    imp: [] as unknown[],
    site: { id: 's1', domain: 'news.example' },
    device: { devicetype: 2, geo: { country: 'USA' } },
    user: { id: 'user-1' },
    bcat: Array.from({ length: shape.listEntries }, (_, i) => `IAB${i}-9`),
    badv: Array.from({ length: shape.listEntries }, (_, i) => `b${i}.x`),
  };
  const imps = request.imp as unknown[];
  while (imps.length < 64) {
    imps.push({ id: String(imps.length + 1), banner: { format: formats }, ...(deals.length > 0 ? { pmp: { deals } } : {}) });
    if (Buffer.byteLength(JSON.stringify(request)) > MAX_BODY_BYTES) {
      imps.pop();
      break;
    }
  }
  return { request, body: Buffer.from(JSON.stringify(request)) };
}

/** Shapes between "long lists, one imp" and "many imps, short lists": the slowest one is the worst case. */
const SHAPES: readonly Shape[] = [
  { listEntries: LIST_LIMITS.entries, formatsPerImp: LIST_LIMITS.formats, dealsPerImp: 40, wadomainPerDeal: 25 },
  { listEntries: LIST_LIMITS.entries, formatsPerImp: 16, dealsPerImp: 8, wadomainPerDeal: 4 },
  { listEntries: 256, formatsPerImp: 8, dealsPerImp: 4, wadomainPerDeal: 2 },
  { listEntries: 64, formatsPerImp: 4, dealsPerImp: 2, wadomainPerDeal: 2 },
  { listEntries: 16, formatsPerImp: 2, dealsPerImp: 1, wadomainPerDeal: 1 },
];

/** Guard, parse and eligibility for every imp: what the bidder does with a request before the auction. */
function handle(body: Buffer, lineItems: readonly LineItem[]): number {
  const guard = checkJsonText(body, { maxBytes: MAX_BODY_BYTES, maxDepth: 32 });
  if (guard) throw new Error(`guard refused: ${guard.reason}`);
  const parsed = parseBidRequest(JSON.parse(body.toString('utf8')));
  if (!parsed.ok) throw new Error(`parser refused: ${parsed.path}: ${parsed.reason}`);
  let candidates = 0;
  for (const imp of parsed.request.imp) candidates += eligibleBids(parsed.request, imp, lineItems).candidates.length;
  return candidates;
}

function measure(label: string, body: Buffer, lineItems: readonly LineItem[], seconds: number) {
  for (let i = 0; i < 50; i++) handle(body, lineItems); // warm-up
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  let candidates = 0;
  while (performance.now() < end) {
    const start = performance.now();
    candidates = handle(body, lineItems);
    samples.push((performance.now() - start) * 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
  const mean = samples.reduce((sum, v) => sum + v, 0) / samples.length;
  return { label, bytes: body.length, candidates, requests: samples.length, meanUs: mean, p50Us: at(0.5), p99Us: at(0.99) };
}

const seconds = arg('seconds', 3);
const lineItems = catalog(arg('line-items', 200));
// Find the slowest shape quickly, then measure it and the typical request for the full time.
let worst = hostileRequest(SHAPES[0] as Shape);
let slowest = 0;
for (const shape of SHAPES) {
  const candidate = hostileRequest(shape);
  const probe = measure('probe', candidate.body, lineItems, 0.3);
  if (probe.meanUs > slowest) [slowest, worst] = [probe.meanUs, candidate];
}
const results = [measure('typical', Buffer.from(JSON.stringify(typical)), lineItems, seconds), measure('worst case', worst.body, lineItems, seconds)];
const [base, hostile] = results as [ReturnType<typeof measure>, ReturnType<typeof measure>];
const worstImps = (worst.request.imp as unknown[]).length;

console.log(`line items: ${lineItems.length}; worst case: ${worstImps} imps, ${(worst.request.badv as unknown[]).length} bcat and badv entries, ${worst.body.length} bytes`);
console.log('request       bytes  candidates  requests   mean µs    p50 µs    p99 µs');
for (const r of results) {
  console.log(`${r.label.padEnd(12)} ${String(r.bytes).padStart(6)} ${String(r.candidates).padStart(11)} ${String(r.requests).padStart(9)} ${r.meanUs.toFixed(1).padStart(9)} ${r.p50Us.toFixed(1).padStart(9)} ${r.p99Us.toFixed(1).padStart(9)}`);
}
console.log(`worst / typical (mean): ${(hostile.meanUs / base.meanUs).toFixed(1)}x`);
console.log(
  JSON.stringify({
    lineItems: lineItems.length,
    typicalMeanUs: Math.round(base.meanUs * 10) / 10,
    typicalP99Us: Math.round(base.p99Us * 10) / 10,
    worstMeanUs: Math.round(hostile.meanUs * 10) / 10,
    worstP99Us: Math.round(hostile.p99Us * 10) / 10,
    worstImps,
    worstBytes: worst.body.length,
    worstOverTypical: Math.round((hostile.meanUs / base.meanUs) * 10) / 10,
  }),
);
