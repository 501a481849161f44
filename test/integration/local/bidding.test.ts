/**
 * The local stack's bidding part, end to end: a local exchange posts to the descriptor's
 * bidderEndpoint with bidderHeaders; the seeded campaign (or a simulated DSP) bids; events reach the
 * bid-events stream in kinesalite; a billing notice for the seeded campaign's win becomes committed
 * spend in the Spend table through the local event source mapping and the spend consumer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIDDING_DEMO } from '../../../local/bidding/seed.js';
import { localClientConfig } from '../../../local/dynamodb/launch.js';
import { localKinesisClient, readStream } from '../../../local/kinesis/launch.js';
import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { DynamoSpendLedger } from '../../../shared/adapters/dynamodb/spend-ledger.js';
import { decodeBase64Event } from '../../../shared/events/codec.js';
import type { BidderEvent } from '../../../shared/events/types.js';
import { useLocalStack } from '../../support/local-stack.js';

const CONFORMANCE_DIR = '/work/shared/conformance/openrtb-2.6';
const SIMPLE_BANNER = join(CONFORMANCE_DIR, 'examples', 'bid-requests', 'simple-banner.json');

const stack = useLocalStack();

type Bid = { id: string; impid: string; price: number; adm?: string; adomain?: string[]; w?: number; h?: number; burl?: string; lurl?: string; cid?: string };
type BidResponse = { id: string; bidid?: string; cur?: string; seatbid?: { seat?: string; bid: Bid[] }[] };

let validateResponse: (value: unknown) => string[];
beforeAll(() => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  for (const file of readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(CONFORMANCE_DIR, file), 'utf8')) as object);
  }
  const validate = ajv.getSchema('https://iabtechlab.com/openrtb/2.6/BidResponse.json');
  if (!validate) throw new Error('BidResponse.json not found in the conformance schemas');
  validateResponse = (v) => (validate(v) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
});

let n = 0;
/** The conformance example (300x250 banner, floor 0.03 USD) with a fresh id. */
function bannerRequest(): Record<string, unknown> {
  const req = JSON.parse(readFileSync(SIMPLE_BANNER, 'utf8')) as Record<string, unknown>;
  req.id = `local-it-${process.pid}-${Date.now()}-${++n}`;
  // A distinct user per request: no frequency cap gets in the way of repeated auctions.
  req.user = { id: `user-${n}-${Date.now()}` };
  return req;
}

async function auction(body: unknown, headers: Record<string, string> = stack.d.bidderHeaders!) {
  const res = await fetch(stack.d.bidderEndpoint!, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as BidResponse) : undefined, text };
}

/** Posts banner requests until the seeded campaign wins one (it bids once its first budget lease is granted). */
async function winWithSeededCampaign(timeoutMs = 15_000): Promise<{ request: Record<string, unknown>; response: BidResponse; bid: Bid }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const request = bannerRequest();
    const r = await auction(request);
    last = `${r.status} ${r.text.slice(0, 300)}`;
    if (r.status === 200 && r.body) {
      for (const sb of r.body.seatbid ?? []) {
        const bid = sb.bid.find((b) => b.adomain?.includes(BIDDING_DEMO.adomain));
        if (bid) return { request, response: r.body, bid };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the seeded campaign did not win within ${timeoutMs} ms; last answer: ${last}`);
}

function fillMacros(url: string, values: Record<string, string>): string {
  return url.replace(/\$\{(AUCTION_[A-Z_]+)\}/g, (m, name: string) => values[name] ?? m);
}

describe('local stack: the bidder', () => {
  it('is in the descriptor: URL, full auction endpoint, and the headers a local exchange sends', () => {
    const d = stack.d;
    expect(d.bidderUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.bidderEndpoint).toBe(`${d.bidderUrl}/openrtb2/auction`);
    expect(d.bidderHeaders).toMatchObject({ 'content-type': 'application/json', 'x-openrtb-version': '2.6' });
    expect(d.bidderHeaders![d.exchangeKeyHeader!]).toBe(d.exchangeKey);
    expect(d.exchangeKey!.length).toBeGreaterThanOrEqual(16);
    expect(d.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(d.kinesisEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.bidEventsStream).toBeTruthy();
    expect(d.dsps!.length).toBeGreaterThanOrEqual(1);
    expect(d.biddingDemo?.campaignIds.length).toBeGreaterThanOrEqual(1);
  });

  it('answers a 300x250 banner request with a bid (seeded campaign or a DSP) that validates against BidResponse.json', async () => {
    // Act
    const r = await auction(bannerRequest());
    // Assess
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('x-openrtb-version')).toBe('2.6');
    expect(validateResponse(r.body)).toEqual([]);
    const bids = (r.body!.seatbid ?? []).flatMap((sb) => sb.bid);
    expect(bids.length).toBeGreaterThanOrEqual(1);
    expect(bids[0]!.impid).toBe('1');
    expect(bids[0]!.price).toBeGreaterThanOrEqual(0.03);
  });

  it('serves the seeded campaign: its creative, at its max bid, valid OpenRTB', async () => {
    const { response, bid } = await winWithSeededCampaign();
    expect(validateResponse(response)).toEqual([]);
    expect(response.seatbid!.find((sb) => sb.bid.includes(bid))!.seat).toBe('dealdesk');
    expect(bid.price).toBeCloseTo(BIDDING_DEMO.maxBidMinor / 100, 6);
    expect(bid.adm).toContain('width="300" height="250"');
    expect(bid.burl).toMatch(new RegExp(`^${stack.d.bidderUrl}/openrtb2/notice/bill\\?`));
  });

  it('refuses a request without the exchange key (401) and with an unknown key (401)', async () => {
    const { [stack.d.exchangeKeyHeader!]: _key, ...withoutKey } = stack.d.bidderHeaders!;
    expect((await auction(bannerRequest(), withoutKey)).status).toBe(401);
    expect((await auction(bannerRequest(), { ...withoutKey, [stack.d.exchangeKeyHeader!]: 'not-the-local-exchange-key' })).status).toBe(401);
  });

  describe('events and spend', () => {
    const kinesis = () => localKinesisClient(stack.d.kinesisEndpoint!);
    let doc: ReturnType<typeof createDocumentClient> | undefined;
    afterAll(() => doc?.destroy());

    async function events(): Promise<BidderEvent[]> {
      const client = kinesis();
      try {
        return (await readStream(client, stack.d.bidEventsStream!)).map((r) => decodeBase64Event(r.kinesis.data));
      } finally {
        client.destroy();
      }
    }

    async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    it('publishes an auction event per request to the bid-events stream (read back with the shard reader)', async () => {
      const request = bannerRequest();
      const r = await auction(request);
      expect([200, 204]).toContain(r.status);
      const event = await eventually('no auction event for the request', async () =>
        (await events()).find((e) => e.type === 'auction' && e.request.id === request.id),
      );
      expect(event).toMatchObject({ type: 'auction', request: { id: request.id, exchange: 'local-exchange' }, responseStatus: r.status });
    });

    it('turns a billing notice for the seeded campaign into committed spend in the Spend table', async () => {
      // Prepare: the seeded campaign wins an auction
      const { response, bid } = await winWithSeededCampaign();
      const campaignId = stack.d.biddingDemo!.campaignIds[0]!;
      doc = createDocumentClient(localClientConfig(stack.d.dynamodbEndpoint));
      const ledger = new DynamoSpendLedger({ client: doc, tableName: stack.d.spendTable! });
      const day = new Date().toISOString().slice(0, 10);
      const before = (await ledger.getSpend(campaignId, day)).amountNanos;
      const clearingCpm = 5;
      const burl = fillMacros(bid.burl!, {
        AUCTION_SEAT_ID: 'dealdesk',
        AUCTION_PRICE: String(clearingCpm),
        AUCTION_CURRENCY: 'USD',
      });
      // Act: the exchange fires the billing notice
      const notice = await fetch(burl);
      await notice.arrayBuffer();
      // Assess: the notice is on the stream with the committed spend, and the consumer recorded it
      expect(notice.status).toBeLessThan(300);
      const bill = await eventually('no notice.bill event with spend on the stream', async () =>
        (await events()).find((e) => e.type === 'notice.bill' && e.bidId === bid.id && e.spend !== undefined),
      );
      expect(bill.type === 'notice.bill' && bill.spend?.campaignId).toBe(campaignId);
      const expectedNanos = bill.type === 'notice.bill' ? bill.spend!.costNanos : 0;
      expect(expectedNanos).toBe((clearingCpm / 1000) * 1e9);
      const after = await eventually('no committed spend in the Spend table', async () => {
        const s = await ledger.getSpend(campaignId, bill.type === 'notice.bill' ? bill.spend!.day : day);
        return s.amountNanos > before ? s.amountNanos : undefined;
      });
      expect(after - before).toBe(expectedNanos);
    });

    it('refuses (400) forged, re-purposed and out-of-range notices; none reaches the stream or the Spend table', async () => {
      // Prepare: the seeded campaign wins an auction (floor 0.03 USD)
      const { bid } = await winWithSeededCampaign();
      const campaignId = stack.d.biddingDemo!.campaignIds[0]!;
      doc ??= createDocumentClient(localClientConfig(stack.d.dynamodbEndpoint));
      const ledger = new DynamoSpendLedger({ client: doc, tableName: stack.d.spendTable! });
      const day = new Date().toISOString().slice(0, 10);
      const before = (await ledger.getSpend(campaignId, day)).amountNanos;
      const filled = (url: string, price: string) => fillMacros(url, { AUCTION_SEAT_ID: 'dealdesk', AUCTION_PRICE: price, AUCTION_CURRENCY: 'USD', AUCTION_LOSS: '102' });
      const tampered = (url: string, edit: (u: URL) => void) => {
        const u = new URL(url);
        edit(u);
        return u.toString();
      };
      const attempts = {
        lossAsBill: filled(bid.lurl!, '5').replace('/notice/loss', '/notice/bill'),
        dustBill: filled(bid.burl!, '0.0001'),
        aboveBid: filled(bid.burl!, '1000'),
        unsignedLoss: tampered(filled(bid.lurl!, '5'), (u) => (u.searchParams.delete('h'), u.searchParams.delete('k'))),
        otherLease: tampered(filled(bid.burl!, '5'), (u) => u.searchParams.set('l', 'someone-elses.1')),
        madeUpWin: `${stack.d.bidderUrl}/openrtb2/notice/win?auction=a&imp=1&bid=made-up&s=i&a=victim.example&price=1`,
      };
      // Act
      const statuses: Record<string, number> = {};
      for (const [name, url] of Object.entries(attempts)) {
        const res = await fetch(url);
        await res.arrayBuffer();
        statuses[name] = res.status;
      }
      // Assess
      expect(statuses).toEqual({ lossAsBill: 400, dustBill: 400, aboveBid: 400, unsignedLoss: 400, otherLease: 400, madeUpWin: 400 });
      // The genuine bill still goes through, and it is the only notice of this bid on the stream.
      const genuine = await fetch(filled(bid.burl!, '5'));
      await genuine.arrayBuffer();
      expect(genuine.status).toBe(204);
      const notices = await eventually('no notice.bill event for the genuine bill', async () => {
        const mine = (await events()).filter((e) => e.type !== 'auction' && e.type !== 'stream.heartbeat' && 'bidId' in e && e.bidId === bid.id);
        return mine.some((e) => e.type === 'notice.bill') ? mine : undefined;
      });
      expect(notices.map((e) => e.type)).toEqual(['notice.bill']);
      expect(notices.some((e) => 'advertiser' in e && e.advertiser === 'victim.example')).toBe(false);
      const after = await eventually('no committed spend for the genuine bill', async () => {
        const s = await ledger.getSpend(campaignId, day);
        return s.amountNanos > before ? s.amountNanos : undefined;
      });
      expect(after - before).toBe(5_000_000);
    });
  });
});
