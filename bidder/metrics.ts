/**
 * A tiny CloudWatch Embedded Metric Format emitter for a long-running process.
 *
 * Counters and the latency histogram accumulate in memory (one Map update per call, no I/O) and are
 * written as EMF JSON lines to stdout by `flush()`, which the service calls on a timer (default 10 s)
 * and at shutdown; never per request. Latency goes out as an EMF `Values`/`Counts` pair (values rounded
 * to 1 ms buckets under 100 ms, then coarser), so CloudWatch can compute p50/p99 from it.
 *
 * Why not Powertools Metrics: it works outside Lambda (publishStoredMetrics can be called by hand), but
 * it keeps every value as a separate entry per flush and its dimension sets are per instance; counters
 * by reason (NoBid by Reason, DspTimeouts by Dsp) would need one Metrics instance per dimension value.
 * This file is ~100 lines and does exactly what the bidder needs.
 */
export const BIDDER_NAMESPACE = 'DealDesk/Bidder';

type Unit = 'Count' | 'Milliseconds' | 'None';

export interface MetricsSink {
  count(name: string, value?: number, dimension?: { name: string; value: string }): void;
  latency(name: string, ms: number): void;
  gauge(name: string, value: number): void;
}

export class EmfMetrics implements MetricsSink {
  private counters = new Map<string, number>();
  private dimensioned = new Map<string, { metric: string; dimName: string; dimValue: string; value: number }>();
  private histograms = new Map<string, Map<number, number>>();
  private gauges = new Map<string, number>();

  constructor(
    private readonly options: { namespace?: string; service?: string; write?: (line: string) => void; clock?: () => number } = {},
  ) {}

  count(name: string, value = 1, dimension?: { name: string; value: string }): void {
    if (dimension) {
      const key = `${name}\u0000${dimension.name}\u0000${dimension.value}`;
      const entry = this.dimensioned.get(key);
      if (entry) entry.value += value;
      else this.dimensioned.set(key, { metric: name, dimName: dimension.name, dimValue: dimension.value, value });
      // Also counted without the dimension, for the service-wide total.
    }
    this.counters.set(name, (this.counters.get(name) ?? 0) + value);
  }

  latency(name: string, ms: number): void {
    const bucket = ms < 100 ? Math.round(ms) : ms < 1000 ? Math.round(ms / 10) * 10 : Math.round(ms / 100) * 100;
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = new Map()));
    h.set(bucket, (h.get(bucket) ?? 0) + 1);
  }

  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }

  /** Writes what accumulated since the last flush as EMF lines; returns how many lines. */
  flush(): number {
    const write = this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    const ts = (this.options.clock ?? Date.now)();
    const namespace = this.options.namespace ?? BIDDER_NAMESPACE;
    const service = this.options.service ?? 'bidder';
    let lines = 0;
    const doc = (dims: string[], metrics: Array<{ name: string; unit: Unit }>, values: Record<string, unknown>) => {
      if (metrics.length === 0) return;
      write(
        JSON.stringify({
          _aws: { Timestamp: ts, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [dims], Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })) }] },
          Service: service,
          ...values,
        }),
      );
      lines++;
    };
    const metrics: Array<{ name: string; unit: Unit }> = [];
    const values: Record<string, unknown> = {};
    for (const [name, value] of this.counters) {
      metrics.push({ name, unit: 'Count' });
      values[name] = value;
    }
    for (const [name, value] of this.gauges) {
      metrics.push({ name, unit: 'None' });
      values[name] = value;
    }
    for (const [name, h] of this.histograms) {
      metrics.push({ name, unit: 'Milliseconds' });
      values[name] = { Values: [...h.keys()], Counts: [...h.values()] };
    }
    // EMF allows at most 100 metrics per document.
    for (let i = 0; i < metrics.length; i += 100) {
      const chunk = metrics.slice(i, i + 100);
      const chunkValues: Record<string, unknown> = {};
      for (const m of chunk) chunkValues[m.name] = values[m.name];
      doc(['Service'], chunk, chunkValues);
    }
    for (const d of this.dimensioned.values()) {
      doc(['Service', d.dimName], [{ name: d.metric, unit: 'Count' }], { [d.dimName]: d.dimValue, [d.metric]: d.value });
    }
    this.counters = new Map();
    this.dimensioned = new Map();
    this.histograms = new Map();
    return lines;
  }
}

/** Keeps counts in memory, as `name` and, with a dimension, also `name:value` (tests, local checks). */
export class CountingMetrics implements MetricsSink {
  readonly counts = new Map<string, number>();
  count(name: string, value = 1, dimension?: { name: string; value: string }): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
    if (dimension) this.counts.set(`${name}:${dimension.value}`, (this.counts.get(`${name}:${dimension.value}`) ?? 0) + value);
  }
  /** The count of `name` (0 when never counted). */
  of(name: string): number {
    return this.counts.get(name) ?? 0;
  }
  latency(): void {}
  gauge(): void {}
}

/** Discards everything (benchmarks, tests that do not look at metrics). */
export class NoopMetrics implements MetricsSink {
  count(): void {}
  latency(): void {}
  gauge(): void {}
}
