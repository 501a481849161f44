/**
 * Demo data, created THROUGH the HTTP API with the dev tokens, so seeding exercises the real write
 * path (handlers, validation, transactions, audit). Idempotent: every POST carries a fixed
 * Idempotency-Key, and state changes are skipped when the deal is already in the wanted status.
 *
 *   tsx local/seed.ts            seeds the running stack described by .dealdesk/local.json
 *
 * The demo account's bidding settings (allowed buyer seats and PMP deal ids) are set first, as the
 * system actor `local-seed` through the repository (the route is the platform operator's), because
 * the Acme display campaign names a seat and a PMP deal id.
 *
 * The bidding demo deal (approved, active, bidding on 300x250 banners) is in local/bidding/seed.ts;
 * `npm start -- --seed` and the CLI here create both.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DynamoBiddingSettingsRepository } from '../shared/adapters/dynamodb/bidding-settings-repository.js';
import { createDocumentClient } from '../shared/adapters/dynamodb/client.js';
import {
  biddingSettingsAuditEntry,
  createBiddingSettings,
  replaceBiddingSettings,
  type BiddingSettingsTerms,
} from '../shared/domain/account/bidding-settings.js';
import type { ChangeContext } from '../shared/domain/actor.js';
import { SEED_ACTOR_ID, tableByPrefix } from './bidding/seed.js';
import { apiClient, type ApiResponse } from './client.js';
import { localClientConfig } from './dynamodb/launch.js';
import type { LocalStackDescriptor } from './stack.js';

/** What the demo account may bid with; the Acme display campaign uses the seat and the first deal id. */
export const DEMO_BIDDING_SETTINGS: BiddingSettingsTerms = {
  allowedSeats: ['dealdesk-demo'],
  allowedPmpDealIds: ['pmp-acme-premium', 'pmp-acme-sports'],
};

interface DealSeed {
  key: string;
  name: string;
  type: 'standard' | 'programmatic' | 'preferred' | 'guaranteed';
  amountMinor: number;
  startDate: string;
  endDate: string;
  campaigns: {
    key: string;
    name: string;
    type: 'display' | 'video' | 'native' | 'sponsored';
    budgetMinor: number;
    /** Bidder fields; allowed by DEMO_BIDDING_SETTINGS. */
    seat?: string;
    pmpDealIds?: string[];
  }[];
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
      {
        key: 'acme-display',
        name: 'Acme Spring — display',
        type: 'display',
        budgetMinor: 10_000_000,
        seat: 'dealdesk-demo',
        pmpDealIds: ['pmp-acme-premium'],
      },
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

export function campaignBody(
  seed: { name: string; type: string; budgetMinor: number; seat?: string; pmpDealIds?: string[] },
  deal: { startDate: string; endDate: string },
) {
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
    ...(seed.seat !== undefined ? { seat: seed.seat } : {}),
    ...(seed.pmpDealIds !== undefined ? { pmpDealIds: seed.pmpDealIds } : {}),
  };
}

/**
 * The demo account's bidding settings as DEMO_BIDDING_SETTINGS, through the repository and audited as
 * the system actor (created when absent, replaced when different, left alone when equal).
 */
export async function seedBiddingSettings(
  d: Pick<LocalStackDescriptor, 'accountId' | 'dynamodbEndpoint' | 'tables'>,
  terms: BiddingSettingsTerms = DEMO_BIDDING_SETTINGS,
): Promise<{ version: number }> {
  const doc = createDocumentClient(localClientConfig(d.dynamodbEndpoint));
  try {
    const repo = new DynamoBiddingSettingsRepository({
      client: doc,
      dealsTableName: tableByPrefix(d.tables, 'Deals'),
      historyTableName: tableByPrefix(d.tables, 'History'),
    });
    const ctx: ChangeContext = {
      actor: { userId: SEED_ACTOR_ID, groups: ['admin'], accountIds: [d.accountId] },
      correlationId: `${SEED_ACTOR_ID}-${randomUUID()}`,
      sourceIp: '127.0.0.1',
      userAgent: 'dealdesk local/seed.ts',
      at: new Date().toISOString(),
    };
    const current = await repo.getBiddingSettings(d.accountId);
    if (!current) {
      const created = createBiddingSettings(d.accountId, terms, ctx);
      await repo.createBiddingSettings(created, biddingSettingsAuditEntry(created, 'biddingSettings.created', ctx));
      return { version: created.version };
    }
    const replaced = replaceBiddingSettings(current, terms, ctx);
    if (!replaced) return { version: current.version };
    await repo.saveBiddingSettings(replaced.next, current.version, biddingSettingsAuditEntry(replaced.next, 'biddingSettings.replaced', ctx, replaced.changes));
    return { version: replaced.next.version };
  } finally {
    doc.destroy();
  }
}

export async function seedDemoData(
  d: Pick<LocalStackDescriptor, 'apiUrl' | 'tokens' | 'accountId' | 'dynamodbEndpoint' | 'tables'>,
  opts: { log?: (line: string) => void } = {},
): Promise<SeedResult> {
  const log = opts.log ?? (() => {});
  const settings = await seedBiddingSettings(d);
  log(`seeded bidding settings of ${d.accountId} (v${settings.version}): seats ${DEMO_BIDDING_SETTINGS.allowedSeats.join(', ')}; PMP deals ${DEMO_BIDDING_SETTINGS.allowedPmpDealIds.join(', ')}`);
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
