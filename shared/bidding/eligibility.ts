/**
 * Which of our line items may bid on one impression, at what price, with which creative; and for the
 * others, one reason each (for no-bid metrics). Pure: the only outside input is `ctx.frequencyCount`.
 *
 * Checks, cheapest first, the first failing one is the reason reported:
 *  1. currency      the line item's currency must be one the request allows (`cur`, default USD)
 *  2. PMP           a line item with `pmpDealId` bids only where imp.pmp.deals offers that deal, and
 *                   only if the deal's `wseat` (if any) lists its seat; a line item without one bids
 *                   only in the open auction, so never when `pmp.private_auction` = 1
 *  3. seat          request-level `wseat`/`bseat`
 *  4. floor         effective floor (./floors.ts) in the line item's currency; a floor in another
 *                   currency is not convertible -> `floor_currency`; maxBid below it -> `below_floor`
 *  5. geo           targeting.countries (alpha-3) vs device.geo.country (else user.geo.country);
 *                   unknown country with a geo target -> `geo_mismatch`
 *  6. device        targeting.devices vs device.devicetype (AdCOM list, see `deviceTypesOf`);
 *                   unknown device type with a device target -> `device_mismatch`
 *  7. creative      a creative of a format the imp offers (`format_mismatch`), of a size the banner
 *                   offers (`size_mismatch`), not blocked by bcat/badv/bapp (`blocked_category`,
 *                   `blocked_advertiser`, `blocked_app`) and, on a deal with wadomain, allowed by it
 *                   (`advertiser_not_allowed`); the first creative in the line item's order that passes wins
 *  8. frequency     with a cap: the user must be identifiable (user.id, else user.buyeruid, else
 *                   device.ifa; otherwise `no_user_id`: a cap we cannot check is not a cap) and
 *                   frequencyCount(user, campaign, periodHours) < cap.impressions (`frequency_capped`)
 *
 * Bid price: maxBidMicros (no shading), except on an at=3 deal, where the bid is the deal price.
 */
import {
  isAdvertiserBlocked,
  isAdvertiserNotAllowed,
  isAppBlocked,
  isCategoryBlocked,
  isSeatAllowed,
} from './brand-safety.js';
import { dealAuctionType, dealFloorMicros, effectiveDealFloor, findDeal, impFloorMicros, isCurrencyAllowed, isPrivateAuction, UNREACHABLE_FLOOR } from './floors.js';
import type { Creative, DeviceType, LineItem } from './line-item.js';
import { auctionTypeOf, type Banner, type BidRequest, type Deal, type Imp } from './openrtb/types.js';

export const REJECTION_REASONS = [
  'currency_not_allowed',
  'deal_not_offered',
  'private_auction',
  'seat_not_allowed',
  'floor_currency',
  'below_floor',
  'geo_mismatch',
  'device_mismatch',
  'format_mismatch',
  'size_mismatch',
  'blocked_category',
  'blocked_advertiser',
  'blocked_app',
  'advertiser_not_allowed',
  'no_user_id',
  'frequency_capped',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface EligibilityContext {
  /**
   * Impressions already served to this user for this campaign within the last `periodHours`.
   * Synchronous on purpose: the bidder keeps counts local (Redis sync happens off the hot path).
   * Only called for line items with a frequency cap that passed every other check.
   */
  frequencyCount?: (userId: string, campaignId: string, periodHours: number) => number;
}

export interface Candidate {
  lineItem: LineItem;
  creative: Creative;
  impId: string;
  /** What we bid: CPM in integer micros of `currency`. */
  priceMicros: number;
  currency: string;
  /** Exchange-side deal id when bidding on a PMP deal (bid.dealid). */
  dealId?: string;
  /** The floor this bid must meet, micros of `currency`. */
  floorMicros: number;
  /** Auction type for this bid: deal.at, else request.at, else 2. */
  auctionType: number;
}

export interface Rejection {
  lineItemId: string;
  reason: RejectionReason;
}

export interface EligibilityResult {
  candidates: Candidate[];
  rejections: Rejection[];
}

// AdCOM 1.0 List: Device Types -> our device classes. 1 = "Mobile/Tablet - General" matches either.
const DEVICE_MAP: readonly (readonly DeviceType[])[] = Object.freeze([
  [], // 0 unused
  ['mobile', 'tablet'], // 1 Mobile/Tablet - General
  ['desktop'], // 2 Personal Computer
  ['ctv'], // 3 Connected TV
  ['mobile'], // 4 Phone
  ['tablet'], // 5 Tablet
  ['ctv'], // 6 Connected Device (streaming stick, console)
  ['ctv'], // 7 Set Top Box
  [], // 8 OOH device: none of our classes
]);
const NO_DEVICE: readonly DeviceType[] = Object.freeze([]);

/** Our device classes for an AdCOM device type (empty when unknown or absent). */
export function deviceTypesOf(devicetype: number | undefined): readonly DeviceType[] {
  if (devicetype === undefined) return NO_DEVICE;
  return DEVICE_MAP[devicetype] ?? NO_DEVICE;
}

/** The id a frequency cap is counted against: user.id, else user.buyeruid, else device.ifa. */
export function userIdOf(request: BidRequest): string | undefined {
  const user = request.user;
  if (user?.id) return user.id;
  if (user?.buyeruid) return user.buyeruid;
  const ifa = request.device?.ifa;
  return ifa ? ifa : undefined;
}

function countryOf(request: BidRequest): string | undefined {
  return request.device?.geo?.country ?? request.user?.geo?.country;
}

function bannerOffersSize(banner: Banner, w: number, h: number): boolean {
  const formats = banner.format;
  if (formats && formats.length > 0) {
    for (let i = 0; i < formats.length; i++) {
      const f = formats[i];
      if (f && f.w === w && f.h === h) return true;
    }
  }
  return banner.w === w && banner.h === h;
}

function mimesCompatible(offered: readonly string[] | undefined, creative: readonly string[] | undefined): boolean {
  if (!offered || offered.length === 0 || !creative || creative.length === 0) return true;
  for (let i = 0; i < creative.length; i++) if (offered.includes(creative[i] as string)) return true;
  return false;
}

// Creative selection outcome: index into line item creatives, or a negative stage code.
const NO_FORMAT = -1;
const NO_SIZE = -2;
const BLOCKED_CATEGORY = -3;
const BLOCKED_ADVERTISER = -4;
const BLOCKED_APP = -5;
const NOT_ALLOWED = -6;
const STAGE_REASON: Record<number, RejectionReason> = {
  [NO_FORMAT]: 'format_mismatch',
  [NO_SIZE]: 'size_mismatch',
  [BLOCKED_CATEGORY]: 'blocked_category',
  [BLOCKED_ADVERTISER]: 'blocked_advertiser',
  [BLOCKED_APP]: 'blocked_app',
  [NOT_ALLOWED]: 'advertiser_not_allowed',
};

/** Index of the first creative that fits the imp and passes brand safety, or the furthest failure stage. */
function pickCreative(request: BidRequest, imp: Imp, creatives: readonly Creative[], deal: Deal | undefined): number {
  let furthest = NO_FORMAT;
  for (let i = 0; i < creatives.length; i++) {
    const c = creatives[i] as Creative;
    let fits: boolean;
    switch (c.format) {
      case 'banner':
        if (!imp.banner) continue;
        fits = bannerOffersSize(imp.banner, c.w, c.h);
        break;
      case 'video':
        if (!imp.video) continue;
        fits = mimesCompatible(imp.video.mimes, c.mimes);
        break;
      case 'audio':
        if (!imp.audio) continue;
        fits = mimesCompatible(imp.audio.mimes, c.mimes);
        break;
      case 'native':
        if (!imp.native) continue;
        fits = true;
        break;
      default:
        continue;
    }
    if (!fits) {
      if (furthest > NO_SIZE) furthest = NO_SIZE;
      continue;
    }
    let stage: number;
    if (isCategoryBlocked(c.cat, request.bcat)) stage = BLOCKED_CATEGORY;
    else if (isAdvertiserBlocked(c.adomain, request.badv)) stage = BLOCKED_ADVERTISER;
    else if (isAppBlocked(c.bundle, request.bapp)) stage = BLOCKED_APP;
    else if (deal && isAdvertiserNotAllowed(c.adomain, deal.wadomain)) stage = NOT_ALLOWED;
    else return i;
    if (stage < furthest) furthest = stage;
  }
  return furthest;
}

/**
 * Decide, for one impression of a parsed request, which line items bid (candidates, in input order)
 * and why each of the others does not (rejections, in input order).
 */
export function eligibleBids(request: BidRequest, imp: Imp, lineItems: readonly LineItem[], ctx: EligibilityContext = {}): EligibilityResult {
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  const privateAuction = isPrivateAuction(imp);
  const requestAt = auctionTypeOf(request);
  // Computed lazily, once per request: most line items are rejected before these are needed.
  let country: string | undefined | null = null;
  let devices: readonly DeviceType[] | null = null;
  let userId: string | undefined | null = null;
  // Imp floor for the currency last converted (line items almost always share one currency).
  let floorCurrency = '';
  let impFloor = 0;

  for (let n = 0; n < lineItems.length; n++) {
    const li = lineItems[n] as LineItem;

    // 1. currency
    if (!isCurrencyAllowed(request, li.currency)) {
      rejections.push({ lineItemId: li.id, reason: 'currency_not_allowed' });
      continue;
    }

    // 2. PMP
    let deal: Deal | undefined;
    if (li.pmpDealId !== undefined) {
      deal = findDeal(imp, li.pmpDealId);
      if (!deal) {
        rejections.push({ lineItemId: li.id, reason: 'deal_not_offered' });
        continue;
      }
      if (!isSeatAllowed(li.seat, deal.wseat)) {
        rejections.push({ lineItemId: li.id, reason: 'seat_not_allowed' });
        continue;
      }
    } else if (privateAuction) {
      rejections.push({ lineItemId: li.id, reason: 'private_auction' });
      continue;
    }

    // 3. request-level seats
    if (!isSeatAllowed(li.seat, request.wseat, request.bseat)) {
      rejections.push({ lineItemId: li.id, reason: 'seat_not_allowed' });
      continue;
    }

    // 4. floor
    if (floorCurrency !== li.currency) {
      floorCurrency = li.currency;
      impFloor = impFloorMicros(imp, li.currency);
    }
    let floor: number;
    let auctionType: number;
    if (deal) {
      auctionType = dealAuctionType(request, deal);
      const dealFloor = dealFloorMicros(deal, li.currency);
      floor = effectiveDealFloor(impFloor, dealFloor, auctionType);
    } else {
      auctionType = requestAt;
      floor = impFloor;
    }
    if (floor === UNREACHABLE_FLOOR) {
      rejections.push({ lineItemId: li.id, reason: 'floor_currency' });
      continue;
    }
    if (li.maxBidMicros < floor || li.maxBidMicros <= 0) {
      rejections.push({ lineItemId: li.id, reason: 'below_floor' });
      continue;
    }

    // 5. geo
    const countries = li.targeting.countries;
    if (countries.length > 0) {
      if (country === null) country = countryOf(request);
      if (country === undefined || !countries.includes(country)) {
        rejections.push({ lineItemId: li.id, reason: 'geo_mismatch' });
        continue;
      }
    }

    // 6. device
    const wanted = li.targeting.devices;
    if (wanted.length > 0) {
      if (devices === null) devices = deviceTypesOf(request.device?.devicetype);
      let match = false;
      for (let i = 0; i < devices.length && !match; i++) match = wanted.includes(devices[i] as DeviceType);
      if (!match) {
        rejections.push({ lineItemId: li.id, reason: 'device_mismatch' });
        continue;
      }
    }

    // 7. creative
    const picked = pickCreative(request, imp, li.creatives, deal);
    if (picked < 0) {
      rejections.push({ lineItemId: li.id, reason: STAGE_REASON[picked] as RejectionReason });
      continue;
    }

    // 8. frequency cap
    const cap = li.frequencyCap;
    if (cap) {
      if (userId === null) userId = userIdOf(request);
      if (userId === undefined) {
        rejections.push({ lineItemId: li.id, reason: 'no_user_id' });
        continue;
      }
      const seen = ctx.frequencyCount ? ctx.frequencyCount(userId, li.campaignId, cap.periodHours) : 0;
      if (seen >= cap.impressions) {
        rejections.push({ lineItemId: li.id, reason: 'frequency_capped' });
        continue;
      }
    }

    const candidate: Candidate = {
      lineItem: li,
      creative: li.creatives[picked] as Creative,
      impId: imp.id,
      priceMicros: auctionType === 3 && deal ? floor : li.maxBidMicros,
      currency: li.currency,
      floorMicros: floor,
      auctionType,
    };
    if (deal) candidate.dealId = deal.id;
    candidates.push(candidate);
  }
  return { candidates, rejections };
}
