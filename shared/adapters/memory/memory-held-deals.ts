import type { HeldDeals } from '../../ports/held-deals.js';

export class MemoryHeldDeals implements HeldDeals {
  readonly held = new Map<string, Set<string>>();
  failWrites = false;

  async heldAmong(dealIds: readonly string[]): Promise<Set<string>> {
    return new Set(dealIds.filter((dealId) => this.held.has(dealId)));
  }

  async hold(dealId: string, eventId: string): Promise<void> {
    if (this.failWrites) throw new Error('held-deals table unavailable');
    const events = this.held.get(dealId) ?? new Set<string>();
    events.add(eventId);
    this.held.set(dealId, events);
  }

  async release(dealId: string, eventId: string): Promise<void> {
    const events = this.held.get(dealId);
    if (!events) return;
    events.delete(eventId);
    if (events.size === 0) this.held.delete(dealId);
  }
}
