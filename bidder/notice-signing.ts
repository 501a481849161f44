/**
 * Signed notice URLs. A billing notice (burl) lands on whichever bidder task the load balancer
 * picks, not necessarily the one that reserved the budget. So every internal bid's notice URLs
 * carry what a commit needs: the campaign-day (`cd`), the Redis lease the reservation was taken
 * from (`l`) and the reserved cost in nanos (`r`), plus `h`, an HMAC-SHA256 (truncated to 128 bits,
 * base64url) over those and the bid id, and `k`, the id of the key `h` was made with. Without a key
 * nobody can make a notice charge an arbitrary lease or amount; a notice with a missing or wrong `h`,
 * or a `k` this task does not hold, is refused (400, counted `ForgedNotices`).
 *
 * Keys (NOTICE_SIGNING_KEY, the same on every task) form a key ring so the key can be rotated
 * without refusing notices signed with the previous one (exchanges send billing notices minutes to
 * hours after the bid, and a rolling deployment mixes tasks of two secret versions):
 *
 *     {"current": "k2", "k1": "<≥ 32 chars>", "k2": "<≥ 32 chars>"}
 *
 * New notices are signed with `current`; a notice verifies with whichever key its `k` names. Flat
 * (key ids at the top level, next to `current`) because CloudFormation can generate only one
 * top-level field of a secret: BiddingStack creates `{"current":"k1","k1":"<generated>"}`. Rotation
 * is add a key (every task accepts it), then make it `current` (tasks sign with it), then drop the
 * old one once no notice signed with it can still arrive: docs/runbooks/bidding.md.
 *
 * A value not starting with `{` is a plain key (the format before key rings): the one key, with id
 * `legacy`. A notice without `k` (signed before key ids existed) is verified with key `legacy`: keep
 * the old value under that id while such notices may still arrive.
 *
 * Unset (tests, one local process): a random key per process; notices then only verify on the task
 * that made the bid.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { SignedReservation } from '../shared/budget/lease-manager.js';

/** Id of a plain-string key, and of the key that verifies notices without `k`. */
export const LEGACY_NOTICE_KEY_ID = 'legacy';
/** Key ids travel in every notice URL: short and URL-safe. */
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const MIN_KEY_CHARS = 32;
const KEY_RING_SHAPE = '{"current": "<keyId>", "<keyId>": "<key>", ...}';

export type NoticeKey = string | Buffer;

export interface NoticeKeyRing {
  /** Id of the key new notices are signed with (one of `keys`). */
  readonly current: string;
  /** Every key a notice is verified with, by id. */
  readonly keys: ReadonlyMap<string, NoticeKey>;
}

/** A plain key is the ring of that one key, so both forms go through the same checks. */
function keyRingFieldsOf(text: string, ctx: z.RefinementCtx): unknown {
  if (!text.trimStart().startsWith('{')) return { current: LEGACY_NOTICE_KEY_ID, [LEGACY_NOTICE_KEY_ID]: text };
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: `starts with "{" but is not valid JSON; expected a key ring ${KEY_RING_SHAPE}` });
    return z.NEVER;
  }
}

function checkKeyRing(fields: Record<string, string>, ctx: z.RefinementCtx): void {
  const { current, ...keys } = fields;
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  const ids = Object.keys(keys);
  if (current === undefined) problem(`"current" is missing: the id of the key that signs new notices, ${KEY_RING_SHAPE}`);
  else if (!Object.hasOwn(keys, current)) problem(`current key id "${current}" is not one of the keys (${ids.join(', ') || 'none'})`);
  for (const id of ids) {
    if (!KEY_ID.test(id)) problem(`key id "${id}" must be 1-16 characters of A-Z a-z 0-9 _ -`);
    if (keys[id]!.length < MIN_KEY_CHARS) problem(`key "${id}" must be at least ${MIN_KEY_CHARS} characters`);
  }
}

/**
 * NOTICE_SIGNING_KEY's text → its key ring: a JSON key ring, or a plain key (≥ 32 characters) that
 * becomes the ring of key `legacy`. Config validation (bidder/config.ts) and the signer share it.
 */
export const NoticeKeyRingText = z
  .string()
  .transform(keyRingFieldsOf)
  .pipe(
    z
      .record(z.string(), z.string({ error: `every value must be a string: ${KEY_RING_SHAPE}` }), {
        error: `must be a plain key or a JSON key ring ${KEY_RING_SHAPE}`,
      })
      .superRefine(checkKeyRing),
  )
  .transform(({ current, ...keys }): NoticeKeyRing => ({ current: current!, keys: new Map(Object.entries(keys)) }));

/** The ring of a configured key; throws (naming every problem) rather than sign with a bad one. */
function keyRingOf(key: NoticeKey | undefined): NoticeKeyRing {
  if (key === undefined || key.length === 0) return { current: LEGACY_NOTICE_KEY_ID, keys: new Map([[LEGACY_NOTICE_KEY_ID, randomBytes(32)]]) };
  if (Buffer.isBuffer(key)) return { current: LEGACY_NOTICE_KEY_ID, keys: new Map([[LEGACY_NOTICE_KEY_ID, key]]) };
  const parsed = NoticeKeyRingText.safeParse(key);
  if (!parsed.success) throw new Error(`invalid notice-signing key: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

type Mac = (bidId: string, cd: string, l: string, r: string) => Buffer;

/**
 * The key id is deliberately not part of the MAC input: `k` only selects the key (a changed `k`
 * selects a key that does not match `h`), and an unchanged input keeps notices signed by tasks
 * older than key rings verifiable, and theirs ours, while both run.
 */
const macWith = (key: NoticeKey): Mac => {
  // A KeyObject made once: with a raw key, createHmac prepares it again on every call (a CPU profile
  // of the bidder under load put 16-20 % of its main thread there).
  const secret = createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
  return (bidId, cd, l, r) => createHmac('sha256', secret).update(`dealdesk-notice-v1\n${bidId}\n${cd}\n${l}\n${r}`).digest().subarray(0, 16);
};

export interface NoticeSigner {
  /** The extra notice-URL parameters for a reservation (`cd`, `l`, `r`, `k`, `h`). */
  sign(bidId: string, r: SignedReservation): Record<string, string>;
  /**
   * The signed reservation of a notice's extra parameters; `missing` when it carries none,
   * `invalid` when the parameters are malformed, name an unknown key, or the MAC does not match.
   */
  verify(bidId: string, extra: Readonly<Record<string, string>>): SignedReservation | 'missing' | 'invalid';
}

/**
 * `key`: NOTICE_SIGNING_KEY's text (a key ring or a plain key), a raw key, or nothing for a random
 * per-process key. Throws when the text is not a valid key ring.
 */
export function createNoticeSigner(key?: NoticeKey): NoticeSigner {
  const ring = keyRingOf(key);
  const macs = new Map([...ring.keys].map(([id, k]) => [id, macWith(k)] as const));
  const signing = macs.get(ring.current)!;
  return {
    sign(bidId, r) {
      const cost = String(r.cost);
      const h = signing(bidId, r.campaignDay, r.leaseId, cost).toString('base64url');
      return { cd: r.campaignDay, l: r.leaseId, r: cost, k: ring.current, h };
    },
    verify(bidId, extra) {
      const { cd, l, r, k, h } = extra;
      if (cd === undefined && l === undefined && r === undefined && k === undefined && h === undefined) return 'missing';
      if (!cd || !l || !r || !h || !/^\d{1,16}$/.test(r)) return 'invalid';
      const mac = macs.get(k ?? LEGACY_NOTICE_KEY_ID);
      if (!mac) return 'invalid';
      const got = Buffer.from(h, 'base64url');
      const want = mac(bidId, cd, l, r);
      if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
      const cost = Number(r);
      if (!Number.isSafeInteger(cost)) return 'invalid';
      return { campaignDay: cd, leaseId: l, cost };
    },
  };
}
