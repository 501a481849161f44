import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BidRequest } from '../../../shared/bidding/openrtb/types.js';
import { DspPool, bidsOf, fanOut } from '../../../bidder/dsp/fanout.js';
import { NoticeForwarder } from '../../../bidder/dsp/notices.js';
import { startSimulatedDsp, type SimulatedDsp } from '../../../local/dsp-sim/index.js';

const request: BidRequest = { id: 'auction-42', imp: [{ id: 'imp-1', banner: { w: 300, h: 250 } }] };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function dspBid(sim: SimulatedDsp) {
  const pool = new DspPool([{ id: 'sim', endpoint: sim.url, timeoutMs: 1_000, maxQps: 1_000, seat: 'sim' }]);
  cleanups.push(() => pool.close());
  const [bid] = bidsOf(await fanOut(request, pool, { deadline: performance.now() + 2_000 }));
  expect(bid).toBeDefined();
  return bid!;
}

describe('NoticeForwarder', () => {
  it('passes win, billing and loss notices to the DSP with our auction values substituted', async () => {
    const sim = await startSimulatedDsp({ latency: 1, bidRate: 1 });
    cleanups.push(() => sim.stop());
    const bid = await dspBid(sim);
    const notices = new NoticeForwarder({ timeoutMs: 1_000 });
    cleanups.push(() => notices.close());

    const values = NoticeForwarder.valuesFor(bid, 'auction-42', 1_234_500);
    expect(await notices.forward('win', bid.nurl, values)).toBe('sent');
    expect(await notices.forward('bill', bid.burl, values)).toBe('sent');
    expect(await notices.forward('loss', bid.lurl, NoticeForwarder.valuesFor(bid, 'auction-42', 1_500_000, 102))).toBe('sent');

    expect(sim.stats.noticeCounts).toEqual({ win: 1, bill: 1, loss: 1 });
    const [win, bill, loss] = sim.stats.notices;
    expect(win?.query).toEqual({ auction: 'auction-42', imp: 'imp-1', bid: bid.responseBidId, seat: 'sim-seat', price: '1.2345', cur: 'USD' });
    expect(bill?.kind).toBe('bill');
    expect(bill?.query.price).toBe('1.2345');
    expect(loss?.query).toMatchObject({ price: '1.5', loss: '102' });
    for (const n of sim.stats.notices) expect(n.url).not.toContain('${');
    expect(notices.stats()).toMatchObject({ sent: 3, failed: 0, byKind: { win: 1, bill: 1, loss: 1 } });
  });

  it('counts missing URLs, failures and timeouts; never rejects', async () => {
    const hang = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    cleanups.push(async () => {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    });
    const port = (hang.address() as AddressInfo).port;
    const notices = new NoticeForwarder({ timeoutMs: 100 });
    cleanups.push(() => notices.close());
    expect(await notices.forward('win', undefined, {})).toBe('no-url');
    expect(await notices.forward('win', `http://127.0.0.1:${port}/win?p=\${AUCTION_PRICE}`, { priceMicros: 1 })).toBe('timeout');
    expect(await notices.forward('bill', 'http://127.0.0.1:1/bill', {})).toBe('failed');
    expect(notices.stats()).toMatchObject({ noUrl: 1, timeouts: 1, failed: 1, sent: 0, inFlight: 0 });
  });

  it('drops notices over the in-flight bound instead of queueing without limit', async () => {
    const sim = await startSimulatedDsp({ latency: 1 });
    cleanups.push(() => sim.stop());
    const notices = new NoticeForwarder({ maxInFlight: 2 });
    cleanups.push(() => notices.close());
    const nurl = sim.url.replace('/openrtb2/bid', '/notice/win?x=1');
    const outcomes = await Promise.all([1, 2, 3].map(() => notices.forward('win', nurl, {})));
    expect(outcomes.sort()).toEqual(['dropped', 'sent', 'sent']);
  });
});
