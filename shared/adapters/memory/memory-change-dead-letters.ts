import type { ChangeDeadLetter, ChangeDeadLetterQueue, ReceivedDeadLetter } from '../../ports/change-dead-letters.js';

/** A FIFO dead-letter queue in memory: deduplicated by event id and attempt count, in order per deal. */
export class MemoryChangeDeadLetterQueue implements ChangeDeadLetterQueue {
  private readonly messages: { body: string; receipt: string; dealId: string; inFlight: boolean; receives: number }[] = [];
  private readonly dedup = new Set<string>();
  private sequence = 0;
  failSends = false;

  get letters(): ChangeDeadLetter[] {
    return this.messages.map((m) => JSON.parse(m.body) as ChangeDeadLetter);
  }

  async send(letters: readonly ChangeDeadLetter[]): Promise<void> {
    if (this.failSends) throw new Error('dead-letter queue unavailable');
    for (const letter of letters) {
      const key = `${letter.eventId}-${letter.attempts}`;
      if (this.dedup.has(key)) continue;
      this.dedup.add(key);
      this.messages.push({ body: JSON.stringify(letter), receipt: `r${++this.sequence}`, dealId: letter.dealId, inFlight: false, receives: 0 });
    }
  }

  /** Adds a message that is not a dead letter (what a person or another system might leave there). */
  sendRaw(body: string, dealId = 'unknown'): void {
    this.messages.push({ body, receipt: `r${++this.sequence}`, dealId, inFlight: false, receives: 0 });
  }

  async receive(options: { max: number }): Promise<ReceivedDeadLetter[]> {
    // FIFO: a group with a message in flight hands out nothing more until it is removed or returned.
    const busy = new Set(this.messages.filter((m) => m.inFlight).map((m) => m.dealId));
    const out: ReceivedDeadLetter[] = [];
    for (const message of this.messages) {
      if (out.length >= options.max) break;
      if (message.inFlight || busy.has(message.dealId)) continue;
      message.inFlight = true;
      message.receives += 1;
      let letter: ChangeDeadLetter | undefined;
      try {
        letter = JSON.parse(message.body) as ChangeDeadLetter;
        if (typeof letter.eventId !== 'string') letter = undefined;
      } catch {
        letter = undefined;
      }
      out.push({ ...(letter ? { letter } : {}), body: message.body, receipt: message.receipt, receiveCount: message.receives });
    }
    return out;
  }

  /** Makes every in-flight message visible again (its visibility timeout ran out). */
  expireInFlight(): void {
    for (const message of this.messages) message.inFlight = false;
  }

  async remove(receipts: readonly string[]): Promise<void> {
    for (const receipt of receipts) {
      const index = this.messages.findIndex((m) => m.receipt === receipt);
      if (index >= 0) this.messages.splice(index, 1);
    }
  }

  async returnToQueue(receipts: readonly string[]): Promise<void> {
    for (const message of this.messages) if (receipts.includes(message.receipt)) message.inFlight = false;
  }
}
