/**
 * Bidding demo data: one deal, APPROVED then ACTIVE, with one active display campaign that bids in
 * open auctions for 300x250 banners (no PMP deal ids, no geo or device restriction, maxBid well above
 * the example floors and the simulated DSPs' prices).
 *
 * The deal and its campaign (with its creative) are created THROUGH the HTTP API (validation,
 * transactions, audit), the deal is submitted there and the campaign goes live there (PATCH status).
 * The approval workflow does not exist yet, so only approve / activate of the deal are applied with the
 * domain function transitionDeal and persisted through DynamoDealRepository with audit entries
 * attributed to the system actor `local-seed` — never by editing items. Idempotent: fixed Idempotency-Keys, and a transition is skipped
 * when the entity is already past it.
 */
import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoDealRepository } from '../../shared/adapters/dynamodb/deal-repository.js';
import type { ChangeContext } from '../../shared/domain/actor.js';
import { dealAuditEntry } from '../../shared/domain/audit-entry.js';
import type { CampaignCreative } from '../../shared/domain/campaign/campaign.js';
import { transitionDeal, type DealAction } from '../../shared/domain/deal/transitions.js';
import { apiClient, type ApiResponse } from '../client.js';
import { localClientConfig } from '../dynamodb/launch.js';
import type { LocalStackDescriptor } from '../stack.js';

/** The system actor the seed's approve/activate steps are audited as. */
export const SEED_ACTOR_ID = 'local-seed';

export const BIDDING_DEMO = {
  key: 'northwind-open-auction',
  dealName: 'Northwind Open Auction (bidding demo)',
  campaignKey: 'northwind-300x250',
  campaignName: 'Northwind — 300x250 open auction',
  creativeId: 'northwind-mrec-300x250',
  adomain: 'northwind.example',
  /** CPM, USD minor units: $8.00, above the example floors and the simulated DSPs' $0.50–3.00. */
  maxBidMinor: 800,
  dailyBudgetMinor: 50_000,
  budgetMinor: 2_000_000,
} as const;

export interface BiddingSeedResult {
  dealId: string;
  dealStatus: string;
  campaignIds: string[];
}

export class BiddingSeedError extends Error {}

function expectStatus(r: ApiResponse, ok: number[], what: string): void {
  if (!ok.includes(r.status)) throw new BiddingSeedError(`${what}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
}

/** Table logical id (CDK's `<Id><hash>`) → local name, by construct id prefix. */
export function tableByPrefix(tables: Record<string, string>, prefix: string): string {
  const hit = Object.entries(tables).find(([logicalId]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(logicalId));
  if (!hit) throw new BiddingSeedError(`no ${prefix} table in the templates (tables: ${Object.keys(tables).join(', ')})`);
  return hit[1];
}

/** Flight dates covering today: 1 January of this year to 31 December of next year (UTC). */
function flight(now = new Date()): { startDate: string; endDate: string } {
  const y = now.getUTCFullYear();
  return { startDate: `${y}-01-01`, endDate: `${y + 1}-12-31` };
}

export function biddingCampaignBody(dates: { startDate: string; endDate: string }) {
  const d = BIDDING_DEMO;
  return {
    name: d.campaignName,
    type: 'display',
    budget: { amountMinor: d.budgetMinor, currency: 'USD' },
    dailyBudget: { amountMinor: d.dailyBudgetMinor, currency: 'USD' },
    // Open to every country and device, so the conformance examples match.
    targeting: { audienceSegments: [], geo: { countries: [] }, devices: [] },
    schedule: { ...dates, pacing: 'even' },
    creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
    bidStrategy: 'max_cpm',
    maxBid: { amountMinor: d.maxBidMinor, currency: 'USD' },
    creatives: biddingCreatives(),
  };
}

/** The creative the demo campaign serves. */
export function biddingCreatives(): CampaignCreative[] {
  const d = BIDDING_DEMO;
  return [
    {
      id: d.creativeId,
      format: 'banner',
      w: 300,
      h: 250,
      adm:
        `<a href="https://${d.adomain}/spring?price=\${AUCTION_PRICE}">` +
        `<img src="https://cdn.${d.adomain}/mrec-300x250.png" width="300" height="250" alt="Northwind"></a>`,
      adomain: [d.adomain],
      cat: ['IAB2'],
      mimes: ['image/png'],
    },
  ];
}

export async function seedBiddingDemoData(
  d: Pick<LocalStackDescriptor, 'apiUrl' | 'tokens' | 'accountId' | 'dynamodbEndpoint' | 'tables'>,
  opts: { log?: (line: string) => void } = {},
): Promise<BiddingSeedResult> {
  const log = opts.log ?? (() => {});
  const api = apiClient(d.apiUrl);
  const dm = d.tokens.deal_manager;
  const dates = flight();
  const created = await api('POST', '/deals', {
    token: dm,
    idempotencyKey: `seed:${BIDDING_DEMO.key}:create`,
    body: {
      accountId: d.accountId,
      name: BIDDING_DEMO.dealName,
      type: 'programmatic',
      totalValue: { amountMinor: 5_000_000, currency: 'USD' },
      ...dates,
    },
  });
  expectStatus(created, [201], `create deal ${BIDDING_DEMO.key}`);
  const dealId = created.body.id as string;
  const campaign = await api('POST', `/deals/${dealId}/campaigns`, {
    token: d.tokens.campaign_manager,
    idempotencyKey: `seed:${BIDDING_DEMO.key}:${BIDDING_DEMO.campaignKey}`,
    body: biddingCampaignBody(dates),
  });
  expectStatus(campaign, [201], `create campaign ${BIDDING_DEMO.campaignKey}`);
  const campaignId = campaign.body.id as string;

  let current = await api('GET', `/deals/${dealId}`, { token: dm });
  expectStatus(current, [200], `get deal ${BIDDING_DEMO.key}`);
  if (current.body.status === 'draft') {
    const r = await api('POST', `/deals/${dealId}/submit`, { token: dm, ifMatch: current.body.version, idempotencyKey: `seed:${BIDDING_DEMO.key}:submit` });
    expectStatus(r, [200], `submit deal ${BIDDING_DEMO.key}`);
  }

  // No approval workflow yet: approve, activate and start the campaign as the system actor.
  const doc = createDocumentClient(localClientConfig(d.dynamodbEndpoint));
  try {
    const repo = new DynamoDealRepository({
      client: doc,
      dealsTableName: tableByPrefix(d.tables, 'Deals'),
      historyTableName: tableByPrefix(d.tables, 'History'),
    });
    const ctx = (): ChangeContext => ({
      actor: { userId: SEED_ACTOR_ID, groups: ['admin'], accountIds: [d.accountId] },
      correlationId: `${SEED_ACTOR_ID}-${randomUUID()}`,
      sourceIp: '127.0.0.1',
      userAgent: 'dealdesk local/bidding/seed.ts',
      at: new Date().toISOString(),
    });
    const steps: { from: string; action: DealAction }[] = [
      { from: 'pending_approval', action: 'approve' },
      { from: 'approved', action: 'activate' },
    ];
    for (const step of steps) {
      const deal = await repo.getDeal(dealId);
      if (!deal) throw new BiddingSeedError(`deal ${dealId} vanished`);
      if (deal.status !== step.from) continue;
      const c = ctx();
      const t = transitionDeal(deal, step.action, c);
      await repo.saveDeal(t.next, deal.version, dealAuditEntry(t.next, t.auditAction, c, t.changes));
    }
    // Go-live through the API, as a campaign manager would.
    const camp = await api('GET', `/deals/${dealId}/campaigns/${campaignId}`, { token: d.tokens.campaign_manager });
    expectStatus(camp, [200], `get campaign ${BIDDING_DEMO.campaignKey}`);
    if (camp.body.status === 'draft') {
      const r = await api('PATCH', `/deals/${dealId}/campaigns/${campaignId}`, {
        token: d.tokens.campaign_manager,
        ifMatch: camp.body.version,
        body: { status: 'active' },
      });
      expectStatus(r, [200], `activate campaign ${BIDDING_DEMO.campaignKey}`);
    }
    const deal = await repo.getDeal(dealId);
    log(`seeded ${BIDDING_DEMO.dealName} (${dealId}): ${deal?.status}, campaign ${campaignId} active, bids on 300x250 banners up to $${(BIDDING_DEMO.maxBidMinor / 100).toFixed(2)} CPM`);
    return { dealId, dealStatus: deal?.status ?? 'unknown', campaignIds: [campaignId] };
  } finally {
    doc.destroy();
  }
}
