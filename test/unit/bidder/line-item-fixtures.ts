import type { MetricsSink } from '../../../bidder/metrics.js';
import type { Campaign, CampaignCreative } from '../../../shared/domain/campaign/campaign.js';
import type { Deal, DealStatus } from '../../../shared/domain/deal/deal.js';
import type { LineItemChange } from '../../../shared/ports/line-item-changes.js';
import { aCampaign, aDealIn } from '../domain/fixtures.js';

/** Inside the fixtures' campaign flight (2026-03-01 … 2026-03-31). */
export const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const creative: CampaignCreative = { id: 'cr1', format: 'banner', w: 300, h: 250, adm: '<img>', adomain: ['a.example'], cat: [] };

export function dealOf(id: string, status: DealStatus, version = 1): Deal {
  return aDealIn(status, { id, version });
}

export function campaignOf(deal: Deal, id: string, overrides: Partial<Campaign> = {}): Campaign {
  return aCampaign(deal, { id, status: 'active', creatives: [creative], version: 1, ...overrides });
}

export function changeOf(entity: { id: string; version: number; dealId?: string }, type: LineItemChange['type'], at = new Date(NOW - 300).toISOString()): LineItemChange {
  const isCampaign = type.startsWith('campaign.');
  return {
    dealId: entity.dealId ?? entity.id,
    entity: isCampaign ? 'campaign' : 'deal',
    entityId: entity.id,
    version: entity.version,
    type,
    eventId: `evt-${entity.id}-${entity.version}-${type}`,
    at,
  };
}

/** Counts and latencies by name. */
export class RecordingMetrics implements MetricsSink {
  readonly counts = new Map<string, number>();
  readonly latencies = new Map<string, number[]>();
  readonly gauges = new Map<string, number>();
  count(name: string, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
  latency(name: string, ms: number): void {
    this.latencies.set(name, [...(this.latencies.get(name) ?? []), ms]);
  }
  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }
}
