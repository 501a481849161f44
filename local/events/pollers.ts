/**
 * What the local event source mappings have in common: a poller that reports how much it took from
 * its source and whether it is quiet (source read to its end, nothing pending or in flight), and a
 * sleep that a stop cuts short.
 */

export interface SourcePoller {
  /** The mapping, for logs (`<stack>/<logicalId>`). */
  readonly name: string;
  /** Records or messages taken from the source so far. */
  readonly taken: number;
  /** Whether the source was seen empty after `sinceMs`, with nothing pending or in flight. */
  quietSince(sinceMs: number): Promise<boolean>;
  /** Stops polling; a batch in flight finishes first (its function invocation is not cut short). */
  stop(): Promise<void>;
}

/** setTimeout as a promise, resolved early by `wakeAll` (a stopping poller must not wait out its interval). */
export class Sleeper {
  private readonly waiting = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  wakeAll(): void {
    for (const done of [...this.waiting]) done();
  }
}
