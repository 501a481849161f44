/**
 * Two bidder tasks behind a (simulated) load balancer, one real Redis: the exchange's billing notice
 * for task A's bid reaches task B. B verifies the signed notice URL and commits the spend in Redis
 * against A's lease; a replay (to either task) is not charged again; a tampered, unsigned or
 * re-purposed notice, or a bill below the floor, is refused (400, counted) and changes nothing. When A's
 * reservation expires, A learns from Redis that it was committed elsewhere and keeps the amount spent.
 * A DSP's bid: its notices are forwarded to the DSP once each, by whichever task receives them first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBidder } from '../../../bidder/app.js';
import { RedisBudgetAllocator } from '../../../shared/adapters/redis/redis-allocator.js';
import { substituteMacros } from '../../../shared/bidding/response.js';
import type { BidResponse } from '../../../shared/bidding/openrtb/types.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';
import { CAMPAIGN_ID, EXCHANGE_KEY, SEAT, seedTable, startHarness, today, type Harness } from './harness.js';

const ddb = useDynamoDbLocal();
const KEY = 'notice-signing-key-shared-by-all-tasks-0123';
let h: Harness;
let b: { bidder: RunningBidder; url: string };
const counts = new Map<string, number>();

beforeAll(async () => {
  await seedTable(ddb.doc, ddb.tables.deals);
  h = await startHarness(ddb.endpoint, ddb.tables, { NOTICE_SIGNING_KEY: KEY, RESERVATION_TTL_MS: '1500', BIDDER_ID: 'task-a' });
  b = await h.startAnotherBidder({ BIDDER_ID: 'task-b' });
  const count = b.bidder.metrics.count.bind(b.bidder.metrics);
  b.bidder.metrics.count = (name: string, value?: number, ...rest: never[]) => {
    counts.set(name, (counts.get(name) ?? 0) + (value ?? 1));
    return (count as (...a: unknown[]) => void)(name, value, ...rest);
  };
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

async function internalBidFromA(id: string): Promise<BidResponse> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${h.url}/openrtb2/auction`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-exchange-key': EXCHANGE_KEY },
      body: JSON.stringify({ id: `${id}-${i}`, at: 1, tmax: 120, cur: ['USD'], imp: [{ id: '1', bidfloor: 0.2, banner: { w: 300, h: 250 } }], site: { id: 's1', domain: 'news.example' }, device: { devicetype: 2, geo: { country: 'USA' } }, user: { id: `u-${id}-${i}` } }),
    });
    const text = await res.text();
    if (res.status === 200) {
      const r = JSON.parse(text) as BidResponse;
      if (r.seatbid?.[0]?.seat === SEAT) return r;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no internal bid within 5 s');
}

async function send(baseUrl: string, template: string, values: { auctionId: string; bidId: string; impId: string; priceMicros: number }, tamper?: (u: URL) => void): Promise<number> {
  const url = new URL(substituteMacros(template, { ...values, seatId: SEAT, currency: 'USD' }).replace('http://bidder.test', baseUrl));
  tamper?.(url);
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

describe('billing notice on another task', () => {
  const allocator = () => new RedisBudgetAllocator(h.bidder.redis);
  const committed = async () => (await allocator().state(`${CAMPAIGN_ID}/${today()}`))!.committed;

  it('B commits the bill for A’s bid in Redis; replays are not charged again; A keeps it spent', async () => {
    const response = await internalBidFromA('routed');
    const bid = response.seatbid![0]!.bid[0]!;
    expect(h.bidder.leases.local.hasReservation(bid.id)).toBe(true);
    expect(b.bidder.leases.local.hasReservation(bid.id)).toBe(false);
    const burl = new URL(bid.burl!.replace(/\$\{[A-Z_]+\}/g, 'x'));
    expect(burl.searchParams.get('l')).toBe(h.bidder.leases.reservationOf(bid.id)!.leaseId);
    expect(burl.searchParams.get('h')).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const values = { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 4_000_000 };
    const before = await committed();
    expect(await send(b.url, bid.burl!, values)).toBe(204);
    expect((await committed()) - before).toBe(4_000_000);
    expect(counts.get('BillsCommittedElsewhere')).toBe(1);
    // Replays, to B and to A: nothing more.
    expect(await send(b.url, bid.burl!, values)).toBe(204);
    expect(await send(h.url, bid.burl!, values)).toBe(204);
    expect((await committed()) - before).toBe(4_000_000);

    // A's reservation expires (1.5 s): A asks Redis, finds it committed, counts it spent.
    const lease = h.bidder.leases.reservationOf(bid.id)?.leaseId;
    for (let i = 0; i < 60 && h.bidder.leases.local.hasReservation(bid.id); i++) await new Promise((r) => setTimeout(r, 100));
    expect(h.bidder.leases.local.hasReservation(bid.id)).toBe(false);
    const held = h.bidder.leases.local.heldLeases().find((l) => l.leaseId === lease);
    if (held) expect(held.committed).toBeGreaterThanOrEqual(4_000_000);
    expect((await committed()) - before).toBe(4_000_000);
  }, 30_000);

  it('a loss notice on another task is counted, not an error', async () => {
    const response = await internalBidFromA('loss-elsewhere');
    const bid = response.seatbid![0]!.bid[0]!;
    const status = await send(b.url, bid.lurl!, { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 0 });
    expect(status).toBe(204);
    expect(counts.get('LossOtherTask')).toBe(1);
    expect(h.bidder.leases.local.hasReservation(bid.id)).toBe(true); // expires on its owner
  });

  it('a forged or tampered billing notice is refused (400) and counted, and charges nothing', async () => {
    const response = await internalBidFromA('forged');
    const bid = response.seatbid![0]!.bid[0]!;
    const values = { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 4_000_000 };
    const before = await committed();
    const forged0 = counts.get('ForgedNotices') ?? 0;
    expect(await send(b.url, bid.burl!, values, (u) => u.searchParams.set('r', '999999999'))).toBe(400);
    expect(await send(b.url, bid.burl!, values, (u) => u.searchParams.set('l', `${u.searchParams.get('l')}9`))).toBe(400);
    expect(await send(b.url, bid.burl!, values, (u) => u.searchParams.set('bid', `${bid.id}x`))).toBe(400);
    expect(await send(b.url, bid.burl!, values, (u) => u.searchParams.delete('h'))).toBe(400);
    expect(await send(b.url, bid.burl!, values, (u) => { for (const k of ['cd', 'l', 'r', 'h']) u.searchParams.delete(k); })).toBe(400);
    // The loss URL (whose signature is the loss kind's) with its path changed to /bill.
    expect(await send(b.url, bid.lurl!, values, (u) => (u.pathname = '/openrtb2/notice/bill'))).toBe(400);
    expect((counts.get('ForgedNotices') ?? 0) - forged0).toBe(6);
    expect(await committed()).toBe(before);
    // The genuine one still works.
    expect(await send(b.url, bid.burl!, values)).toBe(204);
    expect((await committed()) - before).toBe(4_000_000);
  });

  it('a signed bill below the floor is refused and counted; the real bill that follows is charged', async () => {
    const response = await internalBidFromA('dust');
    const bid = response.seatbid![0]!.bid[0]!;
    const before = await committed();
    const refused0 = counts.get('BillsRefused') ?? 0;
    // price=0.0001 (the floor of these requests is 0.20), to another task and to the one that bid.
    expect(await send(b.url, bid.burl!, { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 100 })).toBe(400);
    expect(await send(h.url, bid.burl!, { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 100 })).toBe(400);
    expect((counts.get('BillsRefused') ?? 0) - refused0).toBe(1);
    expect(await committed()).toBe(before);
    expect(await send(h.url, bid.burl!, { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 3_000_000 })).toBe(204);
    expect((await committed()) - before).toBe(3_000_000);
  });

  it('an unsigned loss notice releases nothing; the signed one releases the reservation', async () => {
    const response = await internalBidFromA('unsigned-loss');
    const bid = response.seatbid![0]!.bid[0]!;
    const values = { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: 0 };
    expect(await send(h.url, bid.lurl!, values, (u) => (u.searchParams.delete('h'), u.searchParams.delete('k')))).toBe(400);
    expect(h.bidder.leases.local.hasReservation(bid.id)).toBe(true);
    expect(await send(h.url, bid.lurl!, values)).toBe(204);
    expect(h.bidder.leases.local.hasReservation(bid.id)).toBe(false);
  });
});

describe('DSP notices on another task', () => {
  /** A bid request our campaign cannot serve (728x90), so a simulated DSP's bid wins. */
  async function dspBidFromA(id: string): Promise<BidResponse> {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${h.url}/openrtb2/auction`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-exchange-key': EXCHANGE_KEY },
        body: JSON.stringify({ id: `${id}-${i}`, at: 1, tmax: 200, cur: ['USD'], imp: [{ id: '1', bidfloor: 0.2, banner: { w: 728, h: 90 } }], site: { id: 's1', domain: 'news.example' } }),
      });
      const text = await res.text();
      if (res.status === 200) return JSON.parse(text) as BidResponse;
    }
    throw new Error('no DSP bid');
  }

  it('forwards each notice to the DSP exactly once, from whichever task receives it; replays and forgeries forward nothing', async () => {
    const response = await dspBidFromA('dsp-routed');
    const bid = response.seatbid![0]!.bid[0]!;
    const sim = bid.adomain?.[0] === 'alpha.example' ? h.dsps[0]! : h.dsps[1]!;
    const before = { ...sim.stats.noticeCounts };
    const values = { auctionId: response.id, bidId: bid.id, impId: bid.impid, priceMicros: Math.round(bid.price * 1e6) };
    // Forged first: nothing may reach the DSP.
    expect(await send(b.url, bid.nurl!, values, (u) => u.searchParams.set('u', 'http://127.0.0.1:1/steal'))).toBe(400);
    expect(await send(b.url, bid.nurl!, values, (u) => u.searchParams.delete('h'))).toBe(400);
    // The exchange's win and bill reach B (not the task that bid); then both are replayed to A and B.
    for (const url of [b.url, b.url, h.url]) {
      expect(await send(url, bid.nurl!, values)).toBe(204);
      expect(await send(url, bid.burl!, values)).toBe(204);
    }
    for (let i = 0; i < 50 && sim.stats.noticeCounts.bill - before.bill < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // any extra (wrong) forward would arrive by now
    expect(sim.stats.noticeCounts.win - before.win).toBe(1);
    expect(sim.stats.noticeCounts.bill - before.bill).toBe(1);
    const last = sim.stats.notices.at(-1)!;
    expect(last.query).toMatchObject({ auction: response.id, price: String(bid.price) });
  });
});
