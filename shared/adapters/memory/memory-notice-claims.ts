import type { NoticeKind } from '../../bidding/response.js';
import type { NoticeClaims } from '../../ports/notice-claims.js';

/** NoticeClaims of one process (tests; a single local bidder). Expired claims are swept as it goes. */
export class MemoryNoticeClaims implements NoticeClaims {
  private readonly claims = new Map<string, number>();
  private lastSweep = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async claim(kind: NoticeKind, bidId: string, expiresAt: number): Promise<boolean> {
    const now = this.clock();
    if (now - this.lastSweep > 10_000) {
      this.lastSweep = now;
      for (const [key, until] of this.claims) if (until <= now) this.claims.delete(key);
    }
    const key = `${kind}:${bidId}`;
    const held = this.claims.get(key);
    if (held !== undefined && held > now) return false;
    this.claims.set(key, Math.max(expiresAt, now + 1_000));
    return true;
  }
}
