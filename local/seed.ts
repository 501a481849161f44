/**
 * Demo data, created THROUGH the HTTP API with the dev tokens, so seeding exercises the real write
 * path (handlers, validation, transactions, audit). Idempotent: every POST carries a fixed
 * Idempotency-Key, and state changes are skipped when the deal is already in the wanted status.
 *
 *   tsx local/seed.ts            seeds the running stack described by .dealdesk/local.json
 *
 * The bidding demo deal (approved, active, bidding on 300x250 banners) is in local/bidding/seed.ts;
 * `npm start -- --seed` and the CLI here create both.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { apiClient, type ApiResponse } from './client.js';
import type { LocalStackDescriptor } from './stack.js';

interface DealSeed {
  key: string;
  name: string;
  type: 'standard' | 'programmatic' | 'preferred' | 'guaranteed';
  amountMinor: number;
  startDate: string;
  endDate: string;
  campaigns: { key: string; name: string; type: 'display' | 'video' | 'native' | 'sponsored'; budgetMinor: number }[];
  amendName?: string;
  finalStatus: 'draft' | 'pending_approval' | 'cancelled';
}

const DEALS: DealSeed[] = [
  {
    key: 'acme-spring',
    name: 'Acme Spring Launch',
    type: 'standard',
    amountMinor: 25_000_000,
    startDate: '2027-03-01',
    endDate: '2027-05-31',
    campaigns: [
      { key: 'acme-display', name: 'Acme Spring — display', type: 'display', budgetMinor: 10_000_000 },
      { key: 'acme-video', name: 'Acme Spring — video', type: 'video', budgetMinor: 8_000_000 },
    ],
    finalStatus: 'draft',
  },
  {
    key: 'globex-q3',
    name: 'Globex Programmatic Q3',
    type: 'programmatic',
    amountMinor: 12_000_000,
    startDate: '2027-07-01',
    endDate: '2027-09-30',
    campaigns: [{ key: 'globex-native', name: 'Globex Q3 — native', type: 'native', budgetMinor: 6_000_000 }],
    finalStatus: 'pending_approval',
  },
  {
    key: 'initech-guaranteed',
    name: 'Initech Guaranteed',
    type: 'guaranteed',
    amountMinor: 90_000_000,
    startDate: '2027-01-15',
    endDate: '2027-12-15',
    campaigns: [{ key: 'initech-sponsored', name: 'Initech — sponsored', type: 'sponsored', budgetMinor: 30_000_000 }],
    amendName: 'Initech Guaranteed 2027',
    finalStatus: 'pending_approval',
  },
  {
    key: 'umbrella-preferred',
    name: 'Umbrella Preferred (withdrawn)',
    type: 'preferred',
    amountMinor: 4_500_000,
    startDate: '2027-02-01',
    endDate: '2027-02-28',
    campaigns: [],
    finalStatus: 'cancelled',
  },
];

export interface SeedResult {
  deals: { key: string; id: string; status: string; version: number; campaignIds: string[] }[];
}

export class SeedError extends Error {}

function expectStatus(r: ApiResponse, ok: number[], what: string): void {
  if (!ok.includes(r.status)) throw new SeedError(`${what}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
}

export function campaignBody(seed: { name: string; type: string; budgetMinor: number }, deal: { startDate: string; endDate: string }) {
  return {
    name: seed.name,
    type: seed.type,
    budget: { amountMinor: seed.budgetMinor, currency: 'USD' },
    dailyBudget: { amountMinor: Math.max(1, Math.floor(seed.budgetMinor / 30)), currency: 'USD' },
    targeting: { audienceSegments: ['in-market-auto', 'sports-fans'], geo: { countries: ['USA', 'CAN'] }, devices: ['desktop', 'mobile'] },
    schedule: { startDate: deal.startDate, endDate: deal.endDate, pacing: 'even' },
    creativeSpecs:
      seed.type === 'video'
        ? [{ format: 'video', width: 1920, height: 1080, mimeTypes: ['video/mp4'], maxDurationSeconds: 30 }]
        : [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png', 'image/jpeg'] }],
    frequencyCap: { impressions: 3, periodHours: 24 },
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: 1_500, currency: 'USD' },
  };
}

export async function seedDemoData(
  d: Pick<LocalStackDescriptor, 'apiUrl' | 'tokens' | 'accountId'>,
  opts: { log?: (line: string) => void } = {},
): Promise<SeedResult> {
  const log = opts.log ?? (() => {});
  const api = apiClient(d.apiUrl);
  const dm = d.tokens.deal_manager;
  const cm = d.tokens.campaign_manager;
  const result: SeedResult = { deals: [] };
  for (const seed of DEALS) {
    const created = await api('POST', '/deals', {
      token: dm,
      idempotencyKey: `seed:${seed.key}:create`,
      body: {
        accountId: d.accountId,
        name: seed.name,
        type: seed.type,
        totalValue: { amountMinor: seed.amountMinor, currency: 'USD' },
        startDate: seed.startDate,
        endDate: seed.endDate,
      },
    });
    expectStatus(created, [201], `create deal ${seed.key}`);
    const id = created.body.id as string;
    const campaignIds: string[] = [];
    for (const c of seed.campaigns) {
      const r = await api('POST', `/deals/${id}/campaigns`, {
        token: cm,
        idempotencyKey: `seed:${seed.key}:${c.key}`,
        body: campaignBody(c, seed),
      });
      expectStatus(r, [201], `create campaign ${c.key}`);
      campaignIds.push(r.body.id as string);
    }
    let current = await api('GET', `/deals/${id}`, { token: dm });
    expectStatus(current, [200], `get deal ${seed.key}`);
    if (seed.amendName && current.body.status === 'draft' && current.body.name !== seed.amendName) {
      const r = await api('PATCH', `/deals/${id}`, { token: dm, ifMatch: current.body.version, body: { name: seed.amendName } });
      expectStatus(r, [200], `amend deal ${seed.key}`);
      current = r;
    }
    if (seed.finalStatus !== 'draft' && current.body.status === 'draft') {
      const action = seed.finalStatus === 'cancelled' ? 'cancel' : 'submit';
      const r = await api('POST', `/deals/${id}/${action}`, {
        token: dm,
        ifMatch: current.body.version,
        idempotencyKey: `seed:${seed.key}:${action}`,
      });
      expectStatus(r, [200], `${action} deal ${seed.key}`);
      current = r;
    }
    result.deals.push({ key: seed.key, id, status: current.body.status, version: current.body.version, campaignIds });
    log(`seeded ${seed.name} (${id}): ${current.body.status}, v${current.body.version}, ${campaignIds.length} campaign(s)`);
  }
  return result;
}

// `tsx local/seed.ts [descriptor.json]`: seed an already running stack.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { DEFAULT_DESCRIPTOR_PATH } = await import('./stack.js');
  const file = process.argv[2] ?? DEFAULT_DESCRIPTOR_PATH;
  const descriptor = JSON.parse(readFileSync(file, 'utf8')) as LocalStackDescriptor;
  try {
    await seedDemoData(descriptor, { log: (l) => console.log(l) });
    const { seedBiddingDemoData } = await import('./bidding/seed.js');
    await seedBiddingDemoData(descriptor, { log: (l) => console.log(l) });
  } catch (err) {
    console.error(`seed failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
