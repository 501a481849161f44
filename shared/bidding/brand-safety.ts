/**
 * Block/allow list checks shared by eligibility (our line items) and the auction (external DSP bids).
 *
 * A request's lists (bcat, badv, bapp, wseat, bseat, a deal's wseat / wadomain) are checked many times
 * per request: per line item, creative and DSP bid. Past a handful of entries each list is turned into
 * a Set once (cached by the list itself, which lives as long as the request), so a check costs a few
 * lookups whatever the list's length; a hostile request with a long list costs its parsing, not
 * lists × line items × creatives comparisons.
 *
 * Matching rules (documented here, used everywhere):
 *  - categories: a blocked category also blocks its subcategories: bcat "IAB25" blocks "IAB25" and
 *    "IAB25-3" (IAB taxonomy 1.x tier-1 "IABn" / tier-2 "IABn-m"); exact match otherwise.
 *  - advertiser domains: a blocked domain also blocks its subdomains: badv "apple.com" blocks
 *    "apple.com" and "store.apple.com", never "pineapple.com". Case-insensitive.
 *  - app bundles: exact match.
 *  - seats: `wseat` (when non-empty) must contain the seat; `bseat` must not.
 */

/** Lists up to this long are scanned; longer ones are looked up in a Set made once. */
const SCAN_MAX = 8;
const exactSets = new WeakMap<readonly string[], ReadonlySet<string>>();
const lowerCaseSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function setOf(list: readonly string[], cache: WeakMap<readonly string[], ReadonlySet<string>>, lowerCase: boolean): ReadonlySet<string> {
  let set = cache.get(list);
  if (!set) {
    set = new Set(lowerCase ? list.map((entry) => entry.toLowerCase()) : list);
    cache.set(list, set);
  }
  return set;
}

/** `value` is on `list` (exact). */
function listed(list: readonly string[], value: string): boolean {
  return list.length <= SCAN_MAX ? list.includes(value) : setOf(list, exactSets, false).has(value);
}

/** A blocked category also blocks its subcategories: "IAB25" blocks "IAB25-3" (and "IAB25-3-1"). */
function categoryBlocked(cat: string, bcat: readonly string[]): boolean {
  if (listed(bcat, cat)) return true;
  for (let dash = cat.indexOf('-'); dash > 0; dash = cat.indexOf('-', dash + 1)) {
    if (listed(bcat, cat.slice(0, dash))) return true;
  }
  return false;
}

/** True when any of the creative's categories is blocked by `bcat`. */
export function isCategoryBlocked(cats: readonly string[] | undefined, bcat: readonly string[] | undefined): boolean {
  if (!cats || !bcat || bcat.length === 0) return false;
  for (let i = 0; i < cats.length; i++) if (categoryBlocked(cats[i] as string, bcat)) return true;
  return false;
}

/** `domain` or one of its parent domains is on `list` (case-insensitive): "store.apple.com" matches "apple.com". */
function domainListed(domain: string, list: readonly string[]): boolean {
  const d = domain.toLowerCase();
  if (list.length <= SCAN_MAX) {
    for (let i = 0; i < list.length; i++) {
      const l = (list[i] as string).toLowerCase();
      if (d === l || (d.length > l.length && d.charCodeAt(d.length - l.length - 1) === 46 /* . */ && d.endsWith(l))) return true;
    }
    return false;
  }
  const set = setOf(list, lowerCaseSets, true);
  if (set.has(d)) return true;
  for (let dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
    if (set.has(d.slice(dot + 1))) return true;
  }
  return false;
}

/** True when any advertiser domain is on `badv` (or is a subdomain of an entry). */
export function isAdvertiserBlocked(adomain: readonly string[] | undefined, badv: readonly string[] | undefined): boolean {
  if (!adomain || !badv || badv.length === 0) return false;
  for (let i = 0; i < adomain.length; i++) if (domainListed(adomain[i] as string, badv)) return true;
  return false;
}

/**
 * True when the deal restricts advertisers (`wadomain` non-empty) and none of the bid's domains is on it.
 * A bid without adomain cannot prove it is allowed, so it is not.
 */
export function isAdvertiserNotAllowed(adomain: readonly string[] | undefined, wadomain: readonly string[] | undefined): boolean {
  if (!wadomain || wadomain.length === 0) return false;
  if (!adomain) return true;
  for (let i = 0; i < adomain.length; i++) if (domainListed(adomain[i] as string, wadomain)) return false;
  return true;
}

/** True when the advertised app bundle is on `bapp`. */
export function isAppBlocked(bundle: string | undefined, bapp: readonly string[] | undefined): boolean {
  return bundle !== undefined && bapp !== undefined && listed(bapp, bundle);
}

/** True when `seat` may bid given an allow list (empty/absent = everyone) and a block list. */
export function isSeatAllowed(seat: string, wseat: readonly string[] | undefined, bseat?: readonly string[]): boolean {
  if (wseat && wseat.length > 0 && !listed(wseat, seat)) return false;
  if (bseat && listed(bseat, seat)) return false;
  return true;
}
