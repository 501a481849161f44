import type { NoticeKind } from '../bidding/response.js';

/**
 * At most once per notice kind and bid, across every bidder task: an exchange may send a notice twice,
 * and anyone holding a notice URL may replay it to any task. Whoever claims (kind, bid) first acts on it
 * (forwards it to the DSP, records the impression); a repeat changes nothing.
 */
export interface NoticeClaims {
  /**
   * True for the first claim of (kind, bidId), false for a repeat. The claim is kept until `expiresAt`
   * (epoch ms), after which the notice itself is refused as expired. Throws when it cannot tell.
   */
  claim(kind: NoticeKind, bidId: string, expiresAt: number): Promise<boolean>;
}
