/**
 * Engagement scoring, pure: a small stored state per deal (and one per account) moved forward by each
 * domain event, and the five components, the score and the tier as functions of that state
 * (docs/engagement.md gives every formula). Nothing here reads a clock: times come from the events, so
 * replaying a deal's events gives the same scores.
 *
 * Applying an event twice is NOT a no-op here (the change counter would count it twice): exactly-once
 * is the store's job (EngagementStore.applyOnce records the event id with the new state).
 */
import type { CampaignEvent, DealEvent, DomainEvent } from '../domain-events/types.js';
import { DEAL_STATUSES, type DealStatus } from '../domain/deal/deal.js';
import { minorDigitsOf, type Money } from '../domain/money.js';
import type { EngagementComponent, EngagementConfig, EngagementTier } from './config.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What is kept per deal between events: every component is a function of this (and the account's counts). */
export interface DealEngagementState {
  dealId: string;
  accountId: string;
  /** The deal's version carried by the last deal event applied (campaign events leave it). */
  dealVersion: number;
  status: DealStatus;
  totalValue: Money;
  /** Time of the latest activity (an event's `at`); never moves back. */
  lastActivityAt: string;
  /** Milliseconds between the latest activity and the one before it; null after the first. */
  lastGapMs: number | null;
  /** Changes counted with exponential decay, as of `lastActivityAt`. */
  changeCount: number;
  /** When the deal was last submitted for approval; null before its first submission. */
  submittedAt: string | null;
  /** Hours from the latest submission to its approval; null until approved (again). */
  approvalHours: number | null;
  /** Amendments of the deal's terms after its first submission. */
  amendmentsAfterSubmit: number;
  rejections: number;
}

export type DealStatusCounts = Record<DealStatus, number>;

/** Per account: how many of its deals are in each status (deals the scoring has seen). */
export interface AccountHealthState {
  accountId: string;
  dealsByStatus: DealStatusCounts;
}

export type EngagementComponents = Record<EngagementComponent, number>;

/** A deal's score as stored and served. */
export interface EngagementScore {
  dealId: string;
  accountId: string;
  /** The version of the deal the score reflects. */
  dealVersion: number;
  /** 0..100, two decimals. */
  score: number;
  tier: EngagementTier;
  /** Each 0..100, two decimals. */
  components: EngagementComponents;
  /** When the score was computed (ISO-8601 UTC). */
  computedAt: string;
}

/** The score with the state it was computed from (what the store keeps per deal). */
export interface EngagementRecord extends EngagementScore {
  state: DealEngagementState;
}

/** What one event does. */
export type EngagementStep =
  | { kind: 'score'; record: EngagementRecord; account: AccountHealthState; accountChanged: boolean }
  | { kind: 'remove'; dealId: string; account: AccountHealthState }
  | { kind: 'ignore'; reason: EngagementIgnoreReason };

export type EngagementIgnoreReason =
  /** A campaign event, or a deal's removal, for a deal the scoring has not seen (it predates the consumer). */
  | 'deal_not_scored'
  /** A deal event older than the version already scored (a late redelivery). */
  | 'older_than_score';

export interface EngagementCurrent {
  deal?: DealEngagementState | undefined;
  account?: AccountHealthState | undefined;
}

const HEALTHY: readonly DealStatus[] = ['approved', 'active', 'completed'];
const FAILED: readonly DealStatus[] = ['rejected', 'cancelled'];

export function emptyAccountHealth(accountId: string): AccountHealthState {
  return { accountId, dealsByStatus: Object.fromEntries(DEAL_STATUSES.map((status) => [status, 0])) as DealStatusCounts };
}

/**
 * The step one domain event makes. `current` is what the store holds for the event's deal and account;
 * `computedAt` stamps the new score.
 */
export function applyEvent(
  current: EngagementCurrent,
  event: DomainEvent,
  config: EngagementConfig,
  computedAt: string,
): EngagementStep {
  const account = current.account ?? emptyAccountHealth(event.accountId);
  if (event.entity === 'campaign') return applyCampaignEvent(current.deal, account, event, config, computedAt);
  return applyDealEvent(current.deal, account, event, config, computedAt);
}

function applyCampaignEvent(
  deal: DealEngagementState | undefined,
  account: AccountHealthState,
  event: CampaignEvent,
  config: EngagementConfig,
  computedAt: string,
): EngagementStep {
  if (!deal) return { kind: 'ignore', reason: 'deal_not_scored' };
  // A campaign change is activity on its deal; the deal's own version, value and status stay.
  const state = recordActivity(deal, event.at, config);
  return { kind: 'score', record: scoreRecord(state, account, config, computedAt), account, accountChanged: false };
}

function applyDealEvent(
  deal: DealEngagementState | undefined,
  account: AccountHealthState,
  event: DealEvent,
  config: EngagementConfig,
  computedAt: string,
): EngagementStep {
  if (deal && event.version < deal.dealVersion) return { kind: 'ignore', reason: 'older_than_score' };
  if (event.type === 'deal.removed') {
    if (!deal) return { kind: 'ignore', reason: 'deal_not_scored' };
    return { kind: 'remove', dealId: deal.dealId, account: countMove(account, deal.status, undefined) };
  }
  const seen = deal ? recordActivity(deal, event.at, config) : firstActivity(event);
  const state: DealEngagementState = {
    ...behaviourAfter(seen, event),
    dealVersion: event.version,
    status: event.deal.status,
    totalValue: { ...event.deal.totalValue },
  };
  const accountChanged = !deal || deal.status !== state.status;
  const nextAccount = accountChanged ? countMove(account, deal?.status, state.status) : account;
  return { kind: 'score', record: scoreRecord(state, nextAccount, config, computedAt), account: nextAccount, accountChanged };
}

/** The state of a deal seen for the first time (its creation, or any event of a deal older than the scoring). */
function firstActivity(event: DealEvent): DealEngagementState {
  return {
    dealId: event.dealId,
    accountId: event.accountId,
    dealVersion: event.version,
    status: event.deal.status,
    totalValue: { ...event.deal.totalValue },
    lastActivityAt: event.at,
    lastGapMs: null,
    changeCount: 1,
    submittedAt: null,
    approvalHours: null,
    amendmentsAfterSubmit: 0,
    rejections: 0,
  };
}

/** One more change at `at`: the gap since the previous one, and the decayed counter plus one. */
function recordActivity(state: DealEngagementState, at: string, config: EngagementConfig): DealEngagementState {
  const previous = Date.parse(state.lastActivityAt);
  const now = Date.parse(at);
  // Events of one deal arrive in commit order, but a campaign's and its deal's clocks may disagree by a
  // little: a change never counts as older than the latest one.
  const gapMs = Number.isFinite(now) && Number.isFinite(previous) ? Math.max(0, now - previous) : 0;
  return {
    ...state,
    lastActivityAt: gapMs > 0 ? at : state.lastActivityAt,
    lastGapMs: gapMs,
    changeCount: state.changeCount * halve(gapMs, config.frequency.halfLifeDays * DAY_MS) + 1,
  };
}

/** Approval speed, amendments after submission and rejections, moved by the event's type. */
function behaviourAfter(state: DealEngagementState, event: DealEvent): DealEngagementState {
  switch (event.type) {
    case 'deal.submitted':
      // A new submission starts a new approval: its speed is what counts from now on.
      return { ...state, submittedAt: event.at, approvalHours: null };
    case 'deal.approved': {
      const submitted = state.submittedAt === null ? NaN : Date.parse(state.submittedAt);
      const hours = (Date.parse(event.at) - submitted) / HOUR_MS;
      return { ...state, approvalHours: Number.isFinite(hours) ? Math.max(0, hours) : null };
    }
    case 'deal.rejected':
      return { ...state, rejections: state.rejections + 1 };
    case 'deal.amended':
      return state.submittedAt === null ? state : { ...state, amendmentsAfterSubmit: state.amendmentsAfterSubmit + 1 };
    default:
      return state;
  }
}

/** The account's counts with one deal moved from `from` to `to` (either absent: added or removed). */
function countMove(account: AccountHealthState, from: DealStatus | undefined, to: DealStatus | undefined): AccountHealthState {
  const dealsByStatus = { ...emptyAccountHealth(account.accountId).dealsByStatus, ...account.dealsByStatus };
  if (from) dealsByStatus[from] = Math.max(0, dealsByStatus[from] - 1);
  if (to) dealsByStatus[to] += 1;
  return { accountId: account.accountId, dealsByStatus };
}

function scoreRecord(state: DealEngagementState, account: AccountHealthState, config: EngagementConfig, computedAt: string): EngagementRecord {
  const exact = componentsOf(state, account, config);
  const score = scoreOf(exact, config);
  const components = Object.fromEntries(Object.entries(exact).map(([name, value]) => [name, round2(value)])) as EngagementComponents;
  return {
    dealId: state.dealId,
    accountId: state.accountId,
    dealVersion: state.dealVersion,
    score,
    tier: tierOf(score, config),
    components,
    computedAt,
    state,
  };
}

// --- the components -----------------------------------------------------------------------------------

/** Each component, 0..100, unrounded. */
export function componentsOf(state: DealEngagementState, account: AccountHealthState, config: EngagementConfig): EngagementComponents {
  return {
    recency: recencyOf(state, config),
    frequency: frequencyOf(state, config),
    monetary: monetaryOf(state.totalValue, config),
    behavioral: behavioralOf(state, config),
    accountHealth: accountHealthOf(account, config),
  };
}

/** 100 for a first activity; halves with every `halfLifeDays` of gap before the latest one. */
export function recencyOf(state: Pick<DealEngagementState, 'lastGapMs'>, config: EngagementConfig): number {
  if (state.lastGapMs === null) return 100;
  return 100 * halve(state.lastGapMs, config.recency.halfLifeDays * DAY_MS);
}

/** The decayed change counter against the saturation point. */
export function frequencyOf(state: Pick<DealEngagementState, 'changeCount'>, config: EngagementConfig): number {
  return 100 * Math.min(1, state.changeCount / config.frequency.saturationChanges);
}

/** Log-scaled value in major units (by the currency's exponent) against the currency's reference value. */
export function monetaryOf(value: Money, config: EngagementConfig): number {
  const major = value.amountMinor / 10 ** minorDigitsOf(value.currency);
  const reference = config.monetary.referenceValueByCurrency[value.currency] ?? config.monetary.referenceValue;
  return 100 * Math.min(1, Math.log10(1 + Math.max(0, major)) / Math.log10(1 + reference));
}

/** Baseline, plus the fast-approval bonus, minus amendments after submission and rejections; 0..100. */
export function behavioralOf(
  state: Pick<DealEngagementState, 'approvalHours' | 'amendmentsAfterSubmit' | 'rejections'>,
  config: EngagementConfig,
): number {
  const rules = config.behavioral;
  const fast = state.approvalHours !== null && state.approvalHours < rules.fastApprovalHours;
  const points =
    rules.baseline +
    (fast ? rules.fastApprovalBonus : 0) -
    state.amendmentsAfterSubmit * rules.amendmentPenalty -
    state.rejections * rules.rejectionPenalty;
  return clamp(points);
}

/** Healthy deals count fully, open ones by `openDealShare`, rejected and cancelled ones not at all. */
export function accountHealthOf(account: AccountHealthState, config: EngagementConfig): number {
  let total = 0;
  let healthy = 0;
  for (const status of DEAL_STATUSES) {
    const count = account.dealsByStatus[status] ?? 0;
    total += count;
    if (HEALTHY.includes(status)) healthy += count;
    else if (!FAILED.includes(status)) healthy += count * config.accountHealth.openDealShare;
  }
  return total === 0 ? config.accountHealth.withoutDeals : clamp((100 * healthy) / total);
}

/** The weighted sum of the components, 0..100, rounded to two decimals. */
export function scoreOf(components: EngagementComponents, config: EngagementConfig): number {
  let sum = 0;
  for (const [name, weight] of Object.entries(config.weights) as [EngagementComponent, number][]) sum += weight * components[name];
  return round2(clamp(sum));
}

export function tierOf(score: number, config: EngagementConfig): EngagementTier {
  if (score >= config.tiers.hot) return 'hot';
  if (score >= config.tiers.warm) return 'warm';
  if (score >= config.tiers.cold) return 'cold';
  return 'at_risk';
}

/**
 * The listing order of scores: the score in hundredths, zero-padded to 5 digits (`100.00` → `10000`),
 * then the deal id, so that sorting the keys as strings, descending, lists the highest score first and
 * equal scores in a stable order.
 */
export function scoreRankKey(score: number, dealId: string): string {
  const hundredths = Math.round(clamp(score) * 100);
  return `${String(hundredths).padStart(5, '0')}#${dealId}`;
}

const halve = (elapsedMs: number, halfLifeMs: number): number => 0.5 ** (elapsedMs / halfLifeMs);
const clamp = (value: number): number => Math.min(100, Math.max(0, value));
const round2 = (value: number): number => Math.round(value * 100) / 100;
