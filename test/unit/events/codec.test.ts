import { describe, expect, it } from 'vitest';
import { decodeBase64Event, decodeEvent, encodeEvent, EventDecodeError, partitionKeyOf } from '../../../shared/events/index.js';
import { auctionEvent, billEvent, noBidEvent } from './fixtures.js';

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('event codec', () => {
  it('round-trips every event type', () => {
    const events = [auctionEvent(), noBidEvent(), billEvent('b1', { campaignId: 'c', day: '2026-11-22', costNanos: 5 })];
    for (const e of events) expect(decodeEvent(encodeEvent(e))).toEqual(e);
    expect(decodeBase64Event(Buffer.from(encodeEvent(events[0]!)).toString('base64'))).toEqual(events[0]);
  });

  it('refuses what is not an event: bad bytes, bad JSON, unknown version or type', () => {
    expect(() => decodeEvent(new Uint8Array([0xff, 0xfe]))).toThrow(EventDecodeError);
    expect(() => decodeEvent(new TextEncoder().encode('{"type":'))).toThrow(/UTF-8 JSON/);
    expect(() => decodeEvent(bytes({ ...auctionEvent(), schemaVersion: 2 }))).toThrow(/schemaVersion/);
    expect(() => decodeEvent(bytes({ ...auctionEvent(), type: 'notice.click' }))).toThrow(/type/);
    expect(() => decodeEvent(bytes({ ...auctionEvent(), at: 'yesterday' }))).toThrow(/at/);
  });

  it('validates the whole of a billing notice: spend must be exact and dated', () => {
    const ok = billEvent('b1', { campaignId: 'c', day: '2026-11-22', costNanos: 5 });
    expect(() => decodeEvent(bytes({ ...ok, spend: { ...ok.spend, costNanos: 1.5 } }))).toThrow(/spend.costNanos/);
    expect(() => decodeEvent(bytes({ ...ok, spend: { ...ok.spend, costNanos: -1 } }))).toThrow(/costNanos/);
    expect(() => decodeEvent(bytes({ ...ok, spend: { ...ok.spend, day: '2026-02-30' } }))).toThrow(/spend.day/);
    expect(() => decodeEvent(bytes({ ...ok, bidId: undefined }))).toThrow(/bidId/);
    expect(decodeEvent(bytes(billEvent('b2', undefined)))).toMatchObject({ type: 'notice.bill', bidId: 'b2' });
  });

  it('partition key: advertiser, else auction id, capped at 256 characters', () => {
    expect(partitionKeyOf(auctionEvent({ advertiser: 'a.example' }))).toBe('a.example');
    expect(partitionKeyOf(noBidEvent({ auctionId: 'auc-x' }))).toBe('auc-x');
    expect(partitionKeyOf(auctionEvent({ advertiser: 'x'.repeat(300) }))).toHaveLength(256);
  });
});
