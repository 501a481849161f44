import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AuctionBid } from '../../../shared/bidding/auction.js';
import type { Creative, LineItem } from '../../../shared/bidding/line-item.js';
import type { BidRequest, Imp } from '../../../shared/bidding/openrtb/types.js';

export const CONFORMANCE_DIR = '/work/shared/conformance/openrtb-2.6';
export const EXAMPLE_REQUESTS_DIR = join(CONFORMANCE_DIR, 'examples', 'bid-requests');

export function exampleRequests(): { name: string; json: unknown }[] {
  return readdirSync(EXAMPLE_REQUESTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(EXAMPLE_REQUESTS_DIR, name), 'utf8')) as unknown }));
}

let validator: ((value: unknown) => string[]) | undefined;

/** Validates against BidResponse.json with every schema of the conformance dir loaded (draft 2020-12). */
export function bidResponseErrors(value: unknown): string[] {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    for (const file of readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(CONFORMANCE_DIR, file), 'utf8')) as object);
    }
    const validate = ajv.getSchema('https://iabtechlab.com/openrtb/2.6/BidResponse.json');
    if (!validate) throw new Error('BidResponse.json schema not found');
    validator = (v) => (validate(v) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
  }
  // Validate the JSON form the exchange receives, not the in-memory object.
  return validator(JSON.parse(JSON.stringify(value)) as unknown);
}

export function aBanner(overrides: Partial<Creative> = {}): Creative {
  return {
    id: 'cr-300x250',
    format: 'banner',
    w: 300,
    h: 250,
    adm: '<a href="https://shoes.example"><img src="https://cdn.example/300x250.png"></a>',
    adomain: ['shoes.example'],
    cat: ['IAB18-3'],
    ...overrides,
  };
}

export function aLineItem(overrides: Partial<LineItem> = {}): LineItem {
  return {
    id: 'camp-1',
    campaignId: 'camp-1',
    dealId: 'deal-1',
    accountId: 'acct-1',
    seat: 'dealdesk',
    currency: 'USD',
    maxBidMicros: 2_000_000,
    creatives: [aBanner()],
    targeting: { countries: [], devices: [] },
    pacing: 'even',
    ...overrides,
  };
}

export function anImp(overrides: Partial<Imp> = {}): Imp {
  return { id: '1', banner: { w: 300, h: 250 }, bidfloor: 0.5, ...overrides };
}

export function aRequest(overrides: Partial<BidRequest> = {}): BidRequest {
  return {
    id: 'req-1',
    at: 1,
    cur: ['USD'],
    imp: [anImp()],
    site: { id: 'site-1', domain: 'news.example', page: 'https://news.example/a' },
    device: { devicetype: 2, geo: { country: 'USA' } },
    user: { id: 'user-1' },
    ...overrides,
  };
}

export function aBid(overrides: Partial<AuctionBid> = {}): AuctionBid {
  return {
    id: 'b1',
    impId: '1',
    source: 'external',
    sourceId: 'dsp-1',
    seat: 'seat-1',
    priceMicros: 1_000_000,
    currency: 'USD',
    adomain: ['brand.example'],
    cat: ['IAB1'],
    arrival: 0,
    ...overrides,
  };
}
