import type { AppliedEvents } from '../../ports/applied-events.js';

/** AppliedEvents of one process (tests): markers are kept for the life of the process. */
export class MemoryAppliedEvents implements AppliedEvents {
  private readonly markers = new Set<string>();

  async markApplied(consumer: string, eventId: string): Promise<boolean> {
    const key = this.key(consumer, eventId);
    if (this.markers.has(key)) return false;
    this.markers.add(key);
    return true;
  }

  async hasApplied(consumer: string, eventId: string): Promise<boolean> {
    return this.markers.has(this.key(consumer, eventId));
  }

  private key(consumer: string, eventId: string): string {
    return `${consumer}#${eventId}`;
  }
}
