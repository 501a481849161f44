/**
 * NoticeClaims on Redis: `SET notice:<kind>:{<bidId>} 1 PXAT <expiresAt> NX`, one round trip. Each
 * claim expires with its notice, so the keys never outlive the notices they guard.
 */
import type { Redis } from 'ioredis';
import type { NoticeKind } from '../../bidding/response.js';
import type { NoticeClaims } from '../../ports/notice-claims.js';

/** Longest a claim is kept, whatever the notice says (a bound on memory if an expiry is far off). */
const MAX_CLAIM_MS = 7 * 86_400_000;

export class RedisNoticeClaims implements NoticeClaims {
  constructor(
    private readonly redis: Redis,
    private readonly clock: () => number = Date.now,
  ) {}

  async claim(kind: NoticeKind, bidId: string, expiresAt: number): Promise<boolean> {
    const until = Math.min(Math.max(expiresAt, this.clock() + 1_000), this.clock() + MAX_CLAIM_MS);
    const reply = await this.redis.set(`notice:${kind}:{${bidId}}`, '1', 'PXAT', until, 'NX');
    return reply === 'OK';
  }
}
