/**
 * Block/allow list checks shared by eligibility (our line items) and the auction (external DSP bids).
 * Plain loops over small arrays: request block lists are tens of entries, creatives carry a handful.
 *
 * Matching rules (documented here, used everywhere):
 *  - categories: a blocked category also blocks its subcategories: bcat "IAB25" blocks "IAB25" and
 *    "IAB25-3" (IAB taxonomy 1.x tier-1 "IABn" / tier-2 "IABn-m"); exact match otherwise.
 *  - advertiser domains: a blocked domain also blocks its subdomains: badv "apple.com" blocks
 *    "apple.com" and "store.apple.com", never "pineapple.com". Case-insensitive.
 *  - app bundles: exact match.
 *  - seats: `wseat` (when non-empty) must contain the seat; `bseat` must not.
 */

function categoryBlocked(cat: string, blocked: string): boolean {
  if (cat === blocked) return true;
  return cat.length > blocked.length && cat.charCodeAt(blocked.length) === 45 /* - */ && cat.startsWith(blocked);
}

/** True when any of the creative's categories is blocked by `bcat`. */
export function isCategoryBlocked(cats: readonly string[] | undefined, bcat: readonly string[] | undefined): boolean {
  if (!cats || !bcat || bcat.length === 0) return false;
  for (let i = 0; i < cats.length; i++) {
    const cat = cats[i] as string;
    for (let j = 0; j < bcat.length; j++) if (categoryBlocked(cat, bcat[j] as string)) return true;
  }
  return false;
}

function sameOrSubdomain(domain: string, listed: string): boolean {
  const d = domain.length === 0 ? domain : domain.toLowerCase();
  const l = listed.toLowerCase();
  if (d === l) return true;
  return d.length > l.length && d.charCodeAt(d.length - l.length - 1) === 46 /* . */ && d.endsWith(l);
}

/** True when any advertiser domain is on `badv` (or is a subdomain of an entry). */
export function isAdvertiserBlocked(adomain: readonly string[] | undefined, badv: readonly string[] | undefined): boolean {
  if (!adomain || !badv || badv.length === 0) return false;
  for (let i = 0; i < adomain.length; i++) {
    for (let j = 0; j < badv.length; j++) if (sameOrSubdomain(adomain[i] as string, badv[j] as string)) return true;
  }
  return false;
}

/**
 * True when the deal restricts advertisers (`wadomain` non-empty) and none of the bid's domains is on it.
 * A bid without adomain cannot prove it is allowed, so it is not.
 */
export function isAdvertiserNotAllowed(adomain: readonly string[] | undefined, wadomain: readonly string[] | undefined): boolean {
  if (!wadomain || wadomain.length === 0) return false;
  if (!adomain) return true;
  for (let i = 0; i < adomain.length; i++) {
    for (let j = 0; j < wadomain.length; j++) if (sameOrSubdomain(adomain[i] as string, wadomain[j] as string)) return false;
  }
  return true;
}

/** True when the advertised app bundle is on `bapp`. */
export function isAppBlocked(bundle: string | undefined, bapp: readonly string[] | undefined): boolean {
  if (bundle === undefined || !bapp) return false;
  for (let i = 0; i < bapp.length; i++) if (bapp[i] === bundle) return true;
  return false;
}

/** True when `seat` may bid given an allow list (empty/absent = everyone) and a block list. */
export function isSeatAllowed(seat: string, wseat: readonly string[] | undefined, bseat?: readonly string[]): boolean {
  if (wseat && wseat.length > 0 && !wseat.includes(seat)) return false;
  if (bseat && bseat.includes(seat)) return false;
  return true;
}
