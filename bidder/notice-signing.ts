/**
 * Signed notice URLs. The exchange calls the win (nurl), billing (burl) and loss (lurl) URLs of every
 * bid we return, on whichever bidder task the load balancer picks, hours later at most. Each URL
 * carries what handling it needs (bidder/notices.ts: the campaign-day, lease and reserved cost of an
 * internal bid; the DSP, its bid id and its own notice URL of a forwarded bid; the floor and price
 * that bound a bill; an expiry), plus `k`, the id of the signing key, and `h`, an HMAC-SHA256
 * (truncated to 128 bits, base64url) over the notice KIND and every one of our parameters, literal ids
 * included. Only the values the exchange substitutes (price, currency, seat, loss reason) are outside
 * the MAC. So a URL of one kind never passes for another (a loss URL with its path changed to /bill is
 * forged), no parameter can be changed, added or removed, and nobody without the key can make a
 * notice at all. A notice that does not verify is refused (400, counted `ForgedNotices`).
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
 * A value not starting with `{` is a plain key: the one key, with id `legacy`. A notice without `k`
 * is verified with key `legacy`.
 *
 * Unset (tests, one local process): a random key per process; notices then only verify on the task
 * that made the bid.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

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

/** The notice kinds a MAC can be made for; the kind is part of what is signed. */
export type SignedNoticeKind = 'win' | 'bill' | 'loss';

/** Our parameters of one notice URL (ids included), everything the MAC covers besides the kind. */
export type NoticeParams = Readonly<Record<string, string>>;

const MAC_CONTEXT = 'dealdesk-notice-v2';

/**
 * The MAC input: context, kind, then each parameter (sorted by name) as length-prefixed name and
 * value, so no two different parameter sets encode alike whatever characters the values hold.
 */
function macInput(kind: SignedNoticeKind, params: NoticeParams): string {
  let text = `${MAC_CONTEXT}\n${kind}\n`;
  for (const name of Object.keys(params).sort()) {
    const value = params[name] as string;
    text += `${name.length}:${name}${value.length}:${value}`;
  }
  return text;
}

type Mac = (kind: SignedNoticeKind, params: NoticeParams) => Buffer;

/** The key id only selects the key: a changed `k` selects a key that does not match `h`. */
const macWith = (key: NoticeKey): Mac => {
  // A KeyObject made once: with a raw key, createHmac prepares it again on every call (a CPU profile
  // of the bidder under load put 16-20 % of its main thread there).
  const secret = createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
  return (kind, params) => createHmac('sha256', secret).update(macInput(kind, params)).digest().subarray(0, 16);
};

/** `k` (key id) and `h` (MAC) of one notice URL. */
export interface NoticeSignature {
  k: string;
  h: string;
}

export interface NoticeSigner {
  /** The signature of a notice of `kind` carrying exactly `params` (ids included, `k`/`h` excluded). */
  sign(kind: SignedNoticeKind, params: NoticeParams): NoticeSignature;
  /**
   * `valid` when `h` is the MAC of `kind` and `params` under the key `k` names (`legacy` when absent);
   * `missing` when the notice carries no `h`; `invalid` otherwise (unknown key, malformed or wrong MAC).
   */
  verify(kind: SignedNoticeKind, params: NoticeParams, keyId: string | undefined, mac: string | undefined): 'valid' | 'missing' | 'invalid';
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
    sign: (kind, params) => ({ k: ring.current, h: signing(kind, params).toString('base64url') }),
    verify(kind, params, keyId, mac) {
      if (mac === undefined || mac === '') return 'missing';
      const macOf = macs.get(keyId ?? LEGACY_NOTICE_KEY_ID);
      if (!macOf) return 'invalid';
      const got = Buffer.from(mac, 'base64url');
      const want = macOf(kind, params);
      return got.length === want.length && timingSafeEqual(got, want) ? 'valid' : 'invalid';
    },
  };
}
