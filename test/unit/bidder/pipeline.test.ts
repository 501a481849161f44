import { describe, expect, it } from 'vitest';
import { BidPipeline } from '../../../bidder/pipeline.js';
import { MemoryFrequencyCounter } from '../../../bidder/frequency.js';
import { NoopMetrics } from '../../../bidder/metrics.js';
import { MemoryEventSink, type BudgetLeases, type DemandSource, type DspNoticeTarget } from '../../../bidder/ports.js';
import type { LineItem } from '../../../shared/bidding/line-item.js';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';
import type { DspBid } from '../../../shared/bidding/dsp/response.js';
import { substituteMacros } from '../../../shared/bidding/response.js';
import type { CommitReport } from '../../../shared/budget/lease-manager.js';

function lineItem(id: string, maxBidMicros: number, extra: Partial<LineItem> = {}): LineItem {
  return {
    id,
    campaignId: id,
    dealId: 'd1',
    accountId: `acct-${id}`,
    seat: 'us',
    currency: 'USD',
    maxBidMicros,
    creatives: [{ id: `cr-${id}`, format: 'banner', w: 300, h: 250, adm: '<div/>', adomain: [`${id}.example`], cat: ['IAB1'] }],
    targeting: { countries: [], devices: [] },
    pacing: 'even',
    ...extra,
  };
}

class FakeBudget implements BudgetLeases {
  allocatorReachable = true;
  noBudgetFor = new Set<string>();
  reserved = new Map<string, { campaignId: string; cost: number }>();
  committed: Array<{ bidId: string; amount: number | undefined }> = [];
  tryReserve(campaignId: string, cost: number, bidId: string): boolean {
    if (this.noBudgetFor.has(campaignId)) return false;
    this.reserved.set(bidId, { campaignId, cost });
    return true;
  }
  release(bidId: string): boolean {
    return this.reserved.delete(bidId);
  }
  async commit(bidId: string, amount?: number): Promise<CommitReport> {
    const r = this.reserved.get(bidId);
    if (!r) return { billable: false, status: 'refused_locally', reason: 'unknown' };
    this.reserved.delete(bidId);
    this.committed.push({ bidId, amount });
    return { billable: true, status: 'committed', amount: amount ?? r.cost, campaignId: r.campaignId, campaignDay: `${r.campaignId}/2026-11-22` };
  }
}

function dspBid(price: number, extra: Partial<DspBid> = {}): DspBid {
  return { dspId: 'dsp-x', seat: 'dsp-seat', bidId: 'b1', impId: '1', priceMicros: price, currency: 'USD', adm: '<dsp/>', adomain: ['dsp.example'], nurl: 'http://dsp.example/win?p=${AUCTION_PRICE}', lurl: 'http://dsp.example/loss?r=${AUCTION_LOSS}', ...extra };
}

function setup(items: LineItem[], dspBids: DspBid[] = []) {
  const budget = new FakeBudget();
  const events = new MemoryEventSink();
  const forwarded: Array<{ kind: string; target: DspNoticeTarget; price?: number }> = [];
  const demand: DemandSource = {
    collect: async () => ({ bids: dspBids, dsp: { 'dsp-x': 3 }, timedOut: [], breakerOpen: [], errors: [] }),
    forward: (kind, target, values) => forwarded.push({ kind, target, ...(values.priceMicros !== undefined ? { price: values.priceMicros } : {}) }) > 0,
  };
  const pipeline = new BidPipeline({
    catalog: { snapshot: { lineItems: items, budgets: new Map(), loadedAt: 0 } },
    budget,
    demand,
    events,
    frequency: new MemoryFrequencyCounter(),
    metrics: new NoopMetrics(),
    noticeBaseUrl: 'https://bid.example',
    bidderId: 'b-1',
  });
  return { pipeline, budget, events, forwarded };
}

const request = (extra: Partial<BidRequest> = {}): BidRequest => ({ id: 'req-1', at: 2, imp: [{ id: '1', bidfloor: 0.5, banner: { w: 300, h: 250 } }], ...extra });

function noticePath(template: string, values: Record<string, unknown>): string {
  const url = substituteMacros(template, values);
  return url.slice('https://bid.example'.length);
}

describe('BidPipeline', () => {
  it('second price: the highest internal bid wins at the runner-up + $0.01, and reserves that cost', async () => {
    const { pipeline, budget } = setup([lineItem('a', 3_000_000), lineItem('b', 2_000_000)]);
    const r = await pipeline.auction(request(), 'ex', Date.now());
    expect(r.status).toBe(200);
    if (r.status !== 200) return;
    const bid = r.response.seatbid![0]!.bid[0]!;
    expect(bid.cid).toBe('a');
    expect(bid.price).toBe(2.01);
    expect([...budget.reserved.values()]).toEqual([{ campaignId: 'a', cost: 2_010_000 }]);
  });

  it('when the winner cannot reserve budget, the next candidate wins', async () => {
    const { pipeline, budget } = setup([lineItem('a', 3_000_000), lineItem('b', 2_000_000)]);
    budget.noBudgetFor.add('a');
    const r = await pipeline.auction(request(), 'ex', Date.now());
    expect(r.status).toBe(200);
    if (r.status !== 200) return;
    expect(r.response.seatbid![0]!.bid[0]!.cid).toBe('b');
  });

  it('no budget anywhere -> 204 no_budget', async () => {
    const { pipeline, budget } = setup([lineItem('a', 3_000_000)]);
    budget.noBudgetFor.add('a');
    const r = await pipeline.auction(request(), 'ex', Date.now());
    expect(r).toMatchObject({ status: 204, reason: 'no_budget' });
  });

  it('budget store unreachable: internal line items sit out, a DSP bid still wins', async () => {
    const { pipeline, budget } = setup([lineItem('a', 3_000_000)], [dspBid(1_000_000)]);
    budget.allocatorReachable = false;
    const r = await pipeline.auction(request(), 'ex', Date.now());
    expect(r.status).toBe(200);
    if (r.status !== 200) return;
    expect(r.response.seatbid![0]!.seat).toBe('dsp-seat');
    expect(budget.reserved.size).toBe(0);
  });

  it('a DSP bid below the floor cannot win', async () => {
    const { pipeline } = setup([], [dspBid(100_000)]);
    const r = await pipeline.auction(request(), 'ex', Date.now());
    expect(r.status).toBe(204);
  });

  it('bill commits at the exchange-reported price and emits the spend; loss releases', async () => {
    const { pipeline, budget, events } = setup([lineItem('a', 3_000_000)]);
    const r = await pipeline.auction(request({ at: 1 }), 'ex', Date.now());
    if (r.status !== 200) throw new Error('expected a bid');
    const bid = r.response.seatbid![0]!.bid[0]!;
    const values = { auctionId: 'req-1', bidId: bid.id, impId: '1', seatId: 'us', priceMicros: 2_500_000, currency: 'USD' };
    expect((await pipeline.notice(noticePath(bid.burl!, values))).status).toBe(204);
    expect(budget.committed).toEqual([{ bidId: bid.id, amount: 2_500_000 }]);
    const bill = events.events.find((e) => e.type === 'notice.bill');
    expect(bill).toMatchObject({ spend: { campaignId: 'a', costNanos: 2_500_000, day: '2026-11-22' }, advertiser: 'a.example' });

    const r2 = await pipeline.auction(request({ id: 'req-2', at: 1 }), 'ex', Date.now());
    if (r2.status !== 200) throw new Error('expected a bid');
    const bid2 = r2.response.seatbid![0]!.bid[0]!;
    expect(budget.reserved.has(bid2.id)).toBe(true);
    await pipeline.notice(noticePath(bid2.lurl!, { ...values, auctionId: 'req-2', bidId: bid2.id, loss: 102 }));
    expect(budget.reserved.has(bid2.id)).toBe(false);
  });

  it('a win notice for a DSP bid is forwarded with our clearing price', async () => {
    const { pipeline, forwarded } = setup([], [dspBid(1_000_000)]);
    const r = await pipeline.auction(request({ at: 1 }), 'ex', Date.now());
    if (r.status !== 200) throw new Error('expected a bid');
    const bid = r.response.seatbid![0]!.bid[0]!;
    await pipeline.notice(noticePath(bid.nurl!, { auctionId: 'req-1', bidId: bid.id, impId: '1', seatId: 'dsp-seat', priceMicros: 1_000_000, currency: 'USD' }));
    expect(forwarded).toEqual([{ kind: 'win', target: { dspId: 'dsp-x', url: 'http://dsp.example/win?p=${AUCTION_PRICE}' }, price: 1_000_000 }]);
  });

  it('publishes one auction event per request, with the no-bid reason', async () => {
    const { pipeline, events } = setup([lineItem('a', 100_000)]);
    const r = await pipeline.auction(request(), 'ex', Date.now());
    expect(r).toMatchObject({ status: 204, reason: 'below_floor' });
    expect(events.events).toEqual([expect.objectContaining({ type: 'auction', responseStatus: 204, noBidReason: 'below_floor', eventId: 'auction:req-1' })]);
  });
});

describe('BidPipeline events: eventMaxLosersPerImp', () => {
  it('lists the winner and only the highest-ranked losers; DSP losers still get their loss notice', async () => {
    const budget = new FakeBudget();
    const events = new MemoryEventSink();
    const forwarded: string[] = [];
    const pipeline = new BidPipeline({
      catalog: { snapshot: { lineItems: [lineItem('a', 5_000_000), lineItem('b', 4_000_000), lineItem('c', 3_000_000)], budgets: new Map(), loadedAt: 0 } },
      budget,
      demand: { collect: async () => ({ bids: [dspBid(1_000_000)], dsp: {}, timedOut: [], breakerOpen: [], errors: [] }), forward: (kind) => forwarded.push(kind) > 0 },
      events,
      frequency: new MemoryFrequencyCounter(),
      metrics: new NoopMetrics(),
      noticeBaseUrl: 'https://bid.example',
      bidderId: 'b-1',
      eventMaxLosersPerImp: 1,
    });
    await pipeline.auction(request(), 'ex', Date.now());
    const auction = events.events[0] as Extract<(typeof events.events)[number], { type: 'auction' }>;
    expect(auction.bids.map((b) => [b.sourceId, b.status])).toEqual([
      ['a', 'won'],
      ['b', 'lost'],
    ]);
    await new Promise((r) => setImmediate(r));
    expect(forwarded).toEqual(['loss']);
  });
});
