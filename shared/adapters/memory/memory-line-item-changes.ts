import { FEED_START, type FeedPosition, type FeedRead, type LineItemChange, type LineItemChanges } from '../../ports/line-item-changes.js';

/**
 * LineItemChanges in memory (tests): a bounded list shared by a publisher and any number of readers,
 * with the Redis adapter's rules (positions count the entries taken in; trimmed or reset → a gap) and
 * blocking reads that wake on publish. `reset()` loses everything, like a Redis node replaced empty.
 */
export class MemoryLineItemChanges implements LineItemChanges {
  private entries: { id: string; change: LineItemChange }[] = [];
  private added = 0;
  private generation = 1;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly maxLength = 10_000) {}

  async publish(change: LineItemChange): Promise<void> {
    this.added += 1;
    this.entries.push({ id: `${this.generation}-${this.added}`, change: structuredClone(change) });
    if (this.entries.length > this.maxLength) this.entries.splice(0, this.entries.length - this.maxLength);
    for (const wake of [...this.waiters]) wake();
  }

  async latest(): Promise<FeedPosition> {
    return this.added === 0 ? FEED_START : { id: `${this.generation}-${this.added}`, added: this.added };
  }

  async readAfter(position: FeedPosition, options: { maxWaitMs: number; maxChanges: number }): Promise<FeedRead> {
    if (this.closed) throw new Error('feed closed');
    if (this.added < position.added || (position.added > 0 && !position.id.startsWith(`${this.generation}-`))) return { kind: 'gap', reason: 'reset' };
    if (this.entries.length < this.added - position.added) return { kind: 'gap', reason: 'trimmed' };
    if (this.added === position.added) await this.waitForPublish(options.maxWaitMs);
    if (this.closed) throw new Error('feed closed');
    const after = this.entries.slice(this.entries.length - (this.added - position.added)).slice(0, options.maxChanges);
    const last = after.at(-1);
    return {
      kind: 'changes',
      changes: after.map((entry) => structuredClone(entry.change)),
      position: last ? { id: last.id, added: position.added + after.length } : position,
      malformed: 0,
    };
  }

  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  /** Loses every entry and starts counting again (a Redis node replaced without its data). */
  reset(): void {
    this.entries = [];
    this.added = 0;
    this.generation += 1;
  }

  private waitForPublish(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      this.waiters.add(wake);
    });
  }
}
