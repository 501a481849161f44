/**
 * DemandSource over the DSP fan-out (bidder/dsp): converts the service's wall-clock deadline to the
 * DSP clients' monotonic clock, summarizes results for metrics and events, and forwards notices.
 */
import { performance } from 'node:perf_hooks';
import type { BidRequest } from '../shared/bidding/openrtb/types.js';
import type { MacroValues, NoticeKind } from '../shared/bidding/response.js';
import { isAllowedNoticeUrl } from '../shared/bidding/dsp/response.js';
import { bidsOf, fanOut, type DspPool } from './dsp/fanout.js';
import type { NoticeForwarder } from './dsp/notices.js';
import type { DemandResult, DemandSource, DspNoticeTarget } from './ports.js';

export class DspDemand implements DemandSource {
  constructor(
    private readonly pool: DspPool,
    private readonly notices: NoticeForwarder,
    private readonly clock: () => number = Date.now,
  ) {}

  async collect(request: BidRequest, deadlineAt: number): Promise<DemandResult> {
    const out: DemandResult = { bids: [], dsp: {}, timedOut: [], breakerOpen: [], errors: [] };
    if (this.pool.clients.length === 0) return out;
    const deadline = performance.now() + (deadlineAt - this.clock());
    const results = await fanOut(request, this.pool, { deadline });
    out.bids = bidsOf(results);
    for (const r of results) {
      if (r.status === 'bid' || r.status === 'no-bid') out.dsp[r.dspId] = Math.round((r.latencyMs ?? 0) * 10) / 10;
      else if (r.status === 'timeout') {
        out.dsp[r.dspId] = 'timeout';
        out.timedOut.push(r.dspId);
      } else if (r.status === 'error') {
        out.dsp[r.dspId] = 'error';
        out.errors.push(r.dspId);
      } else {
        out.dsp[r.dspId] = 'skipped';
        if (r.status === 'skipped-breaker') out.breakerOpen.push(r.dspId);
      }
    }
    return out;
  }

  /** Only to a configured DSP, on one of its notice hosts (checked again here: the URL came back in a notice). */
  forward(kind: NoticeKind, target: DspNoticeTarget, values: MacroValues): boolean {
    const dsp = this.pool.get(target.dspId);
    if (!dsp || !isAllowedNoticeUrl(target.url, dsp.noticeHosts)) return false;
    void this.notices.forward(kind, target.url, values);
    return true;
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.notices.close();
  }
}
