/**
 * Notices as an attacker holding our source would send them: every forged, re-purposed, replayed or
 * out-of-range notice is refused (400, counted) and changes nothing; the genuine one still works.
 * Two pipelines sharing a key and a claim store stand for two tasks behind the load balancer.
 */
import { describe, expect, it } from 'vitest';
import { BidIds } from '../../../bidder/bid-ids.js';
import { MemoryFrequencyCounter } from '../../../bidder/frequency.js';
import { CountingMetrics } from '../../../bidder/metrics.js';
import { BidPipeline } from '../../../bidder/pipeline.js';
import { MemoryEventSink, type BudgetLeases, type DemandSource, type DspNoticeTarget } from '../../../bidder/ports.js';
import { MemoryNoticeClaims } from '../../../shared/adapters/memory/memory-notice-claims.js';
import type { DspBid } from '../../../shared/bidding/dsp/response.js';
import type { LineItem } from '../../../shared/bidding/line-item.js';
import type { Bid, BidRequest } from '../../../shared/bidding/openrtb/types.js';
import { substituteMacros } from '../../../shared/bidding/response.js';
import type { CommitReport } from '../../../shared/budget/lease-manager.js';

const KEY = 'notice-key-shared-by-every-task-0123456789';
const BASE = 'https://bid.example';

const lineItem: LineItem = {
  id: 'camp-a',
  campaignId: 'camp-a',
  dealId: 'd1',
  accountId: 'acct-a',
  seat: 'us',
  currency: 'USD',
  maxBidMicros: 3_000_000,
  creatives: [{ id: 'cr-a', format: 'banner', w: 300, h: 250, adm: '<div/>', adomain: ['a.example'], cat: ['IAB1'] }],
  targeting: { countries: [], devices: [] },
  pacing: 'even',
};

/** Reservations by bid id; commits charge the reservation, like the LeaseManager's fast path. */
class Budget implements BudgetLeases {
  allocatorReachable = true;
  reserved = new Map<string, number>();
  committed: Array<{ bidId: string; amount: number | undefined }> = [];
  tryReserve(_campaignId: string, cost: number, bidId: string): boolean {
    this.reserved.set(bidId, cost);
    return true;
  }
  release(bidId: string): boolean {
    return this.reserved.delete(bidId);
  }
  async commit(bidId: string, amount?: number): Promise<CommitReport> {
    const cost = this.reserved.get(bidId);
    if (cost === undefined) return { billable: false, status: 'refused_locally', reason: 'unknown' };
    this.reserved.delete(bidId);
    this.committed.push({ bidId, amount });
    return { billable: true, status: 'committed', amount: amount ?? cost, campaignId: 'camp-a', campaignDay: 'camp-a/2026-12-04' };
  }
  reservationOf(bidId: string) {
    const amount = this.reserved.get(bidId);
    return amount === undefined ? undefined : { campaignDay: 'camp-a/2026-12-04', leaseId: 'ep1.1', amount };
  }
}

const dspBid: DspBid = {
  dspId: 'dsp-x',
  seat: 'dsp-seat',
  bidId: 'dsp-bid-1',
  impId: '1',
  priceMicros: 2_000_000,
  currency: 'USD',
  adm: '<dsp/>',
  adomain: ['dsp.example'],
  nurl: 'https://dsp.example/win?p=${AUCTION_PRICE}&b=${AUCTION_BID_ID}',
  burl: 'https://dsp.example/bill?p=${AUCTION_PRICE}',
  lurl: 'https://dsp.example/loss?r=${AUCTION_LOSS}',
};

/** One bidder task. Tasks made with the same `claims` share it, as they share Redis. */
function task(options: { items?: LineItem[]; dspBids?: DspBid[]; claims?: MemoryNoticeClaims; bidderId?: string; clock?: () => number } = {}) {
  const budget = new Budget();
  const events = new MemoryEventSink();
  const metrics = new CountingMetrics();
  const forwarded: Array<{ kind: string; target: DspNoticeTarget; price?: number }> = [];
  const demand: DemandSource = {
    collect: async () => ({ bids: options.dspBids ?? [], dsp: {}, timedOut: [], breakerOpen: [], errors: [] }),
    forward: (kind, target, values) => forwarded.push({ kind, target, ...(values.priceMicros !== undefined ? { price: values.priceMicros } : {}) }) > 0,
  };
  const pipeline = new BidPipeline({
    catalog: { snapshot: { lineItems: options.items ?? [lineItem], budgets: new Map(), loadedAt: 0 } },
    budget,
    demand,
    events,
    frequency: new MemoryFrequencyCounter(),
    metrics,
    noticeBaseUrl: BASE,
    bidderId: options.bidderId ?? 'task-a',
    noticeSigningKey: KEY,
    noticeClaims: options.claims ?? new MemoryNoticeClaims(),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { pipeline, budget, events, metrics, forwarded };
}

const request = (id = 'req-1'): BidRequest => ({ id, at: 1, cur: ['USD'], imp: [{ id: '1', bidfloor: 0.5, banner: { w: 300, h: 250 } }] });

async function bidOf(t: ReturnType<typeof task>, id = 'req-1'): Promise<Bid> {
  const result = await t.pipeline.auction(request(id), 'ex', Date.now());
  if (result.status !== 200) throw new Error(`expected a bid, got ${result.reason}`);
  return result.response.seatbid![0]!.bid[0]!;
}

/** The URL as the exchange calls it: macros filled in, our base cut off. */
function filled(template: string, price = 2_500_000, currency = 'USD'): string {
  return substituteMacros(template, { seatId: 'us', priceMicros: price, currency, loss: 102 }).slice(BASE.length);
}

function edited(path: string, edit: (params: URLSearchParams, url: URL) => void): string {
  const url = new URL(`${BASE}${path}`);
  edit(url.searchParams, url);
  return `${url.pathname}${url.search}`;
}

describe('internal notices', () => {
  it('a loss URL with its path changed to /bill is forged: refused, counted, nothing committed', async () => {
    // Prepare
    const t = task();
    const bid = await bidOf(t);
    // Act
    const result = await t.pipeline.notice(filled(bid.lurl!).replace('/notice/loss', '/notice/bill'));
    // Assess
    expect(result.status).toBe(400);
    expect(t.metrics.of('ForgedNotices')).toBe(1);
    expect(t.budget.committed).toEqual([]);
    expect(t.budget.reserved.has(bid.id)).toBe(true);
    expect(t.events.events.filter((e) => e.type !== 'auction')).toEqual([]);
  });

  it('a bill below the floor or above the bid is refused and counted; the genuine bill that follows is charged', async () => {
    // Prepare
    const t = task();
    const bid = await bidOf(t);
    // Act
    const dust = await t.pipeline.notice(filled(bid.burl!, 100)); // price=0.0001
    const belowFloor = await t.pipeline.notice(filled(bid.burl!, 499_999));
    const aboveBid = await t.pipeline.notice(filled(bid.burl!, 3_000_001));
    const otherCurrency = await t.pipeline.notice(filled(bid.burl!, 2_500_000, 'JPY'));
    // Assess
    expect([dust.status, belowFloor.status, aboveBid.status, otherCurrency.status]).toEqual([400, 400, 400, 400]);
    expect(t.metrics.of('BillsRefused:below_floor')).toBe(2);
    expect(t.metrics.of('BillsRefused:above_bid')).toBe(1);
    expect(t.metrics.of('BillsRefused:currency')).toBe(1);
    expect(t.budget.committed).toEqual([]);
    // The real bill, at the price the exchange charged, still counts.
    expect((await t.pipeline.notice(filled(bid.burl!, 2_500_000))).status).toBe(204);
    expect(t.budget.committed).toEqual([{ bidId: bid.id, amount: 2_500_000 }]);
  });

  it('an unsigned or tampered loss notice releases nothing', async () => {
    // Prepare
    const t = task();
    const bid = await bidOf(t);
    const genuine = filled(bid.lurl!);
    // Act
    const unsigned = await t.pipeline.notice(edited(genuine, (p) => (p.delete('h'), p.delete('k'))));
    const otherBid = await t.pipeline.notice(edited(genuine, (p) => p.set('bid', 'someone-elses-bid')));
    const otherLease = await t.pipeline.notice(edited(genuine, (p) => p.set('l', 'ep1.2')));
    // Assess
    expect([unsigned.status, otherBid.status, otherLease.status]).toEqual([400, 400, 400]);
    expect(t.metrics.of('ForgedNotices')).toBe(3);
    expect(t.budget.reserved.has(bid.id)).toBe(true);
    expect((await t.pipeline.notice(genuine)).status).toBe(204);
    expect(t.budget.reserved.has(bid.id)).toBe(false);
  });

  it('a notice past its expiry is refused and counted', async () => {
    // Prepare
    let now = Date.now();
    const t = task({ clock: () => now });
    const bid = await bidOf(t);
    // Act
    now += 60 * 60_000 + 1_000;
    const result = await t.pipeline.notice(filled(bid.burl!));
    // Assess
    expect(result).toMatchObject({ status: 400, reason: expect.stringContaining('expired') });
    expect(t.metrics.of('ExpiredNotices')).toBe(1);
    expect(t.budget.committed).toEqual([]);
  });

  it('a win notice for a bid we never made is neither published nor counted as a win', async () => {
    // Prepare
    const t = task();
    // Act
    const result = await t.pipeline.notice('/openrtb2/notice/win?auction=a&imp=1&bid=made-up&s=i&c=camp-a&a=victim.example&price=1');
    // Assess
    expect(result.status).toBe(400);
    expect(t.metrics.of('ForgedNotices')).toBe(1);
    expect(t.metrics.of('Wins')).toBe(0);
    expect(t.events.events).toEqual([]);
  });
});

describe('DSP notices', () => {
  it('a replayed nurl is forwarded to the DSP once; the replay is counted and not published', async () => {
    // Prepare
    const t = task({ items: [], dspBids: [dspBid] });
    const bid = await bidOf(t);
    // Act
    const first = await t.pipeline.notice(filled(bid.nurl!, 2_000_000));
    const replay = await t.pipeline.notice(filled(bid.nurl!, 2_000_000));
    // Assess
    expect([first.status, replay.status]).toEqual([204, 204]);
    expect(t.forwarded).toEqual([{ kind: 'win', target: { dspId: 'dsp-x', url: dspBid.nurl }, price: 2_000_000 }]);
    expect(t.metrics.of('NoticeRepeats:win')).toBe(1);
    expect(t.events.events.filter((e) => e.type === 'notice.win')).toHaveLength(1);
  });

  it('a notice landing on another task is forwarded there, exactly once per kind across tasks', async () => {
    // Prepare
    const claims = new MemoryNoticeClaims();
    const a = task({ items: [], dspBids: [dspBid], claims, bidderId: 'task-a' });
    const b = task({ items: [], claims, bidderId: 'task-b' });
    const bid = await bidOf(a);
    // Act: the exchange's notices reach B; the bill is then replayed to A and to B.
    await b.pipeline.notice(filled(bid.nurl!, 2_000_000));
    await b.pipeline.notice(filled(bid.burl!, 2_000_000));
    await a.pipeline.notice(filled(bid.burl!, 2_000_000));
    await b.pipeline.notice(filled(bid.burl!, 2_000_000));
    // Assess
    expect(b.forwarded).toEqual([
      { kind: 'win', target: { dspId: 'dsp-x', url: dspBid.nurl }, price: 2_000_000 },
      { kind: 'bill', target: { dspId: 'dsp-x', url: dspBid.burl }, price: 2_000_000 },
    ]);
    expect(a.forwarded).toEqual([]);
    expect(b.metrics.of('NoticeOtherTask')).toBe(2 + 1);
  });

  it('the DSP URL in our notice cannot be swapped for another host', async () => {
    // Prepare
    const t = task({ items: [], dspBids: [dspBid] });
    const bid = await bidOf(t);
    // Act
    const result = await t.pipeline.notice(edited(filled(bid.nurl!), (p) => p.set('u', 'https://attacker.example/x')));
    // Assess
    expect(result.status).toBe(400);
    expect(t.forwarded).toEqual([]);
  });
});

describe('bid ids', () => {
  it('are 128 random bits: no shared prefix or sequence an attacker could continue', () => {
    // Prepare
    const ids = new BidIds();
    // Act
    const made = Array.from({ length: 2_000 }, () => ids.next());
    // Assess
    for (const id of made) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(new Set(made).size).toBe(made.length);
    // With a per-process prefix every id would start alike; random ids spread over 64^3 prefixes.
    expect(new Set(made.map((id) => id.slice(0, 3))).size).toBeGreaterThan(1_900);
  });
});
