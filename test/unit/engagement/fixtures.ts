/**
 * A deal's life as domain events, made by the real change-to-event rule (domainEventFromChange), so the
 * engagement tests see the events the change processor publishes.
 *
 *   const story = new DealStory({ dealId: 'deal-1' });
 *   story.created(at(0)); story.moved('pending_approval', at(1)); story.campaign('created', at(2));
 */
import type { Campaign, CampaignStatus } from '../../../shared/domain/campaign/campaign.js';
import type { Deal, DealStatus } from '../../../shared/domain/deal/deal.js';
import type { Money } from '../../../shared/domain/money.js';
import { domainEventFromChange } from '../../../shared/domain-events/from-change.js';
import type { CampaignEvent, DealEvent } from '../../../shared/domain-events/types.js';

export const DAY_MS = 24 * 3_600_000;
export const HOUR_MS = 3_600_000;
export const START = Date.parse('2026-03-02T09:00:00.000Z');

/** The moment `days` days (fractions allowed) after START. */
export const at = (days: number): string => new Date(START + days * DAY_MS).toISOString();

export interface StoryOptions {
  dealId?: string;
  accountId?: string;
  totalValue?: Money;
}

export class DealStory {
  readonly dealId: string;
  readonly accountId: string;
  private readonly initialValue: Money;
  private deal: Deal | undefined;
  private readonly campaigns = new Map<string, Campaign>();
  private events = 0;

  constructor(options: StoryOptions = {}) {
    this.dealId = options.dealId ?? 'deal-1';
    this.accountId = options.accountId ?? 'acct-demo';
    this.initialValue = options.totalValue ?? { amountMinor: 10_000_000, currency: 'USD' };
  }

  /** The deal as the last event left it. */
  get current(): Deal {
    if (!this.deal) throw new Error('the deal is not created yet');
    return this.deal;
  }

  created(when: string): DealEvent {
    const deal: Deal = {
      id: this.dealId,
      accountId: this.accountId,
      name: 'Spring launch',
      type: 'guaranteed',
      totalValue: { ...this.initialValue },
      startDate: '2026-03-01',
      endDate: '2026-06-30',
      ownerId: 'user-ana',
      status: 'draft',
      version: 1,
      createdAt: when,
      updatedAt: when,
      createdBy: 'user-ana',
      updatedBy: 'user-ana',
    };
    return this.dealChange(undefined, deal);
  }

  /** A change of the deal's terms (deal.amended). */
  amended(when: string, patch: Partial<Pick<Deal, 'name' | 'totalValue' | 'endDate'>> = { name: `Renamed ${this.events}` }): DealEvent {
    return this.dealChange(this.current, { ...this.current, ...patch, version: this.current.version + 1, updatedAt: when });
  }

  /** A status move (deal.submitted, deal.approved, …). */
  moved(status: DealStatus, when: string): DealEvent {
    return this.dealChange(this.current, { ...this.current, status, version: this.current.version + 1, updatedAt: when });
  }

  removed(): DealEvent {
    const before = this.current;
    this.deal = undefined;
    return this.event({ entity: 'deal', before }) as DealEvent;
  }

  /** A campaign of the deal created, amended or moved. */
  campaign(change: 'created' | 'amended' | CampaignStatus, when: string, campaignId = 'camp-1'): CampaignEvent {
    const before = this.campaigns.get(campaignId);
    const base: Campaign = before ?? {
      id: campaignId,
      dealId: this.dealId,
      accountId: this.accountId,
      name: 'Homepage takeover',
      type: 'display',
      status: 'draft',
      budget: { amountMinor: 400_000, currency: 'USD' },
      dailyBudget: { amountMinor: 20_000, currency: 'USD' },
      targeting: { audienceSegments: ['sports'], geo: { countries: ['USA'] }, devices: ['desktop'] },
      schedule: { startDate: '2026-03-01', endDate: '2026-03-31', pacing: 'even' },
      creativeSpecs: [{ format: 'banner', width: 300, height: 250, mimeTypes: ['image/png'] }],
      bidStrategy: 'max_cpm',
      maxBid: { amountMinor: 450, currency: 'USD' },
      version: 0,
      createdAt: when,
      updatedAt: when,
      createdBy: 'user-ana',
      updatedBy: 'user-ana',
    };
    const after: Campaign = {
      ...base,
      ...(change === 'amended' ? { name: `${base.name} (${this.events})` } : change === 'created' ? {} : { status: change }),
      version: base.version + 1,
      updatedAt: when,
    };
    this.campaigns.set(campaignId, after);
    return this.event(before ? { entity: 'campaign', before, after } : { entity: 'campaign', after }) as CampaignEvent;
  }

  private dealChange(before: Deal | undefined, after: Deal): DealEvent {
    this.deal = after;
    return this.event(before ? { entity: 'deal', before, after } : { entity: 'deal', after }) as DealEvent;
  }

  private event(change: { entity: 'deal'; before?: Deal; after?: Deal } | { entity: 'campaign'; before?: Campaign; after?: Campaign }) {
    const event = domainEventFromChange({ eventId: `${this.dealId}-event-${++this.events}`, ...change });
    if (!event) throw new Error('the change made no event');
    return event;
  }
}
