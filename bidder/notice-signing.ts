/**
 * Signed notice URLs. A billing notice (burl) lands on whichever bidder task the load balancer
 * picks, not necessarily the one that reserved the budget. So every internal bid's notice URLs
 * carry what a commit needs: the campaign-day (`cd`), the Redis lease the reservation was taken
 * from (`l`) and the reserved cost in nanos (`r`), plus `h`, an HMAC-SHA256 (truncated to 128 bits,
 * base64url) over those and the bid id, keyed with NOTICE_SIGNING_KEY, which every task shares.
 * Without the key nobody can make a notice charge an arbitrary lease or amount; a notice with a
 * missing or wrong `h` is refused (400, counted `ForgedNotices`).
 *
 * Where the key comes from: env NOTICE_SIGNING_KEY (≥ 32 characters). In AWS it must be the same
 * for every task of the service: a Secrets Manager secret injected by ECS like EXCHANGE_KEYS. When
 * unset (tests, one local process) a random key is generated per process: notices then only work on
 * the task that made the bid.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SignedReservation } from '../shared/budget/lease-manager.js';

export interface NoticeSigner {
  /** The extra notice-URL parameters for a reservation (`cd`, `l`, `r`, `h`). */
  sign(bidId: string, r: SignedReservation): Record<string, string>;
  /**
   * The signed reservation of a notice's extra parameters; `missing` when it carries none,
   * `invalid` when the parameters are malformed or the MAC does not match.
   */
  verify(bidId: string, extra: Readonly<Record<string, string>>): SignedReservation | 'missing' | 'invalid';
}

export function createNoticeSigner(key?: string | Buffer): NoticeSigner {
  const k = key === undefined || key.length === 0 ? randomBytes(32) : Buffer.from(key);
  const mac = (bidId: string, cd: string, l: string, r: string) =>
    createHmac('sha256', k).update(`dealdesk-notice-v1\n${bidId}\n${cd}\n${l}\n${r}`).digest().subarray(0, 16);
  return {
    sign(bidId, r) {
      const cost = String(r.cost);
      return { cd: r.campaignDay, l: r.leaseId, r: cost, h: mac(bidId, r.campaignDay, r.leaseId, cost).toString('base64url') };
    },
    verify(bidId, extra) {
      const { cd, l, r, h } = extra;
      if (cd === undefined && l === undefined && r === undefined && h === undefined) return 'missing';
      if (!cd || !l || !r || !h || !/^\d{1,16}$/.test(r)) return 'invalid';
      const got = Buffer.from(h, 'base64url');
      const want = mac(bidId, cd, l, r);
      if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
      const cost = Number(r);
      if (!Number.isSafeInteger(cost)) return 'invalid';
      return { campaignDay: cd, leaseId: l, cost };
    },
  };
}
