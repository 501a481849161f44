/**
 * Bid ids: 128 random bits, base64url (22 characters). A bid id names the bid in every notice URL, so
 * it must not be guessable from another bid's id (a per-process prefix and a counter were). Random
 * bytes are drawn 4 KiB at a time: one system call per 256 ids instead of one per id.
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const POOL_BYTES = 4096;

export class BidIds {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;

  next(): string {
    if (this.offset + ID_BYTES > POOL_BYTES) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const id = this.pool.toString('base64url', this.offset, this.offset + ID_BYTES);
    this.offset += ID_BYTES;
    return id;
  }
}
