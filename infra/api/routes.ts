/**
 * The HTTP API's route table: the single definition of routes. ApiStack creates one function and
 * one route per entry; the local stack reads the synthesized template; tests check the table
 * against docs/design.md. Plain data (no CDK imports), so handlers and tools may import it.
 */

import { GROUPS, type Group } from '../../shared/domain/actor.js';
import {
  type DynamoDbAction,
  type RepositoryCalls,
  type TableGrant,
  engagementStoreGrant,
  repositoryGrants,
} from '../../shared/adapters/dynamodb/iam-grants.js';
import type { EngagementStore } from '../../shared/ports/engagement-store.js';

export { GROUPS, type Group };
export type { DynamoDbAction, TableGrant };

export type HttpMethodName = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'ANY';

/** The tables a handler may be bound to, and the environment variable each binding sets. */
export const TABLE_ENV_VARS = {
  deals: 'DEALS_TABLE_NAME',
  history: 'HISTORY_TABLE_NAME',
  idempotency: 'IDEMPOTENCY_TABLE_NAME',
  engagement: 'ENGAGEMENT_TABLE_NAME',
} as const;
export type TableKey = keyof typeof TABLE_ENV_VARS;

/**
 * Every route behind the JWT authorizer is also bound to the client rate-limit table (the API stack
 * does it, so no route can be left out) and given the per-client limit.
 */
export const RATE_LIMIT_TABLE_ENV_VAR = 'RATE_LIMIT_TABLE_NAME';
export const CLIENT_RATE_LIMIT_ENV_VARS = {
  requests: 'CLIENT_RATE_LIMIT_REQUESTS',
  windowSeconds: 'CLIENT_RATE_LIMIT_WINDOW_SECONDS',
} as const;

export interface RouteDefinition {
  /** Construct id of the route's function (PascalCase, unique). */
  readonly id: string;
  readonly method: HttpMethodName;
  /** API Gateway path, e.g. `/deals/{dealId}`. */
  readonly path: string;
  /** Handler module relative to the repository root; exports `handler`. */
  readonly entry: string;
  /** `jwt`: the Cognito JWT authorizer guards the route; `none`: public. */
  readonly auth: 'jwt' | 'none';
  /**
   * Groups allowed to call the route (enforced by the handler; `admin` is always allowed).
   * `any`: any authenticated caller who belongs to at least one group. Empty for public routes.
   */
  readonly groups: readonly Group[] | 'any';
  /**
   * Tables the function is bound to, with exactly the DynamoDB actions its handler's calls need
   * (derive them from shared/adapters/dynamodb/iam-grants.ts, never by hand-picking a broad level).
   */
  readonly tables: Readonly<Partial<Record<TableKey, TableGrant>>>;
}

/**
 * Powertools idempotency (DynamoDBPersistenceLayer) on its own table: PutItem takes the record,
 * UpdateItem stores the response, DeleteItem releases the record of a failed request, and GetItem reads
 * an existing record when the put's condition fails without returning it.
 */
const IDEMPOTENCY_RECORDS: TableGrant = { actions: ['DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'] };

/** The tables of a handler that makes these repository calls (and no other). */
const calls = (made: RepositoryCalls) => repositoryGrants(made);
/** The same for a POST that honours Idempotency-Key. */
const idempotent = (made: RepositoryCalls) => ({ ...repositoryGrants(made), idempotency: IDEMPOTENCY_RECORDS });
/** The engagement table alone, for a handler that makes these EngagementStore calls (and no other). */
const engagement = (made: readonly (keyof EngagementStore)[]) => ({ engagement: engagementStoreGrant(made) });

const DEAL_WRITERS = ['deal_manager'] as const;
const CAMPAIGN_WRITERS = ['campaign_manager', 'deal_manager'] as const;

export const ROUTES: readonly RouteDefinition[] = [
  { id: 'Health', method: 'GET', path: '/health', entry: 'functions/api/health.ts', auth: 'none', groups: [], tables: {} },
  { id: 'OpenApi', method: 'GET', path: '/openapi.json', entry: 'functions/api/openapi.ts', auth: 'none', groups: [], tables: {} },

  { id: 'DealsCreate', method: 'POST', path: '/deals', entry: 'functions/api/deals/create.ts', auth: 'jwt', groups: DEAL_WRITERS, tables: idempotent({ repo: ['findCreation', 'createDeal', 'getDealVersion'] }) },
  { id: 'DealsList', method: 'GET', path: '/deals', entry: 'functions/api/deals/list.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['listDeals'] }) },
  { id: 'DealsGet', method: 'GET', path: '/deals/{dealId}', entry: 'functions/api/deals/get.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['getDeal'] }) },
  { id: 'DealsAmend', method: 'PATCH', path: '/deals/{dealId}', entry: 'functions/api/deals/amend.ts', auth: 'jwt', groups: DEAL_WRITERS, tables: calls({ repo: ['getDeal', 'listCampaigns', 'saveDeal'] }) },
  { id: 'DealsCancel', method: 'POST', path: '/deals/{dealId}/cancel', entry: 'functions/api/deals/cancel.ts', auth: 'jwt', groups: DEAL_WRITERS, tables: idempotent({ repo: ['getDeal', 'saveDeal'] }) },
  { id: 'DealsSubmit', method: 'POST', path: '/deals/{dealId}/submit', entry: 'functions/api/deals/submit.ts', auth: 'jwt', groups: DEAL_WRITERS, tables: idempotent({ repo: ['getDeal', 'saveDeal'] }) },
  { id: 'DealVersionsList', method: 'GET', path: '/deals/{dealId}/versions', entry: 'functions/api/deals/versions-list.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['getDeal', 'listDealVersions'] }) },
  { id: 'DealVersionsGet', method: 'GET', path: '/deals/{dealId}/versions/{version}', entry: 'functions/api/deals/versions-get.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['getDeal', 'getDealVersion'] }) },
  { id: 'DealAuditList', method: 'GET', path: '/deals/{dealId}/audit', entry: 'functions/api/deals/audit-list.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['getDeal', 'listAudit'] }) },

  { id: 'CampaignsCreate', method: 'POST', path: '/deals/{dealId}/campaigns', entry: 'functions/api/campaigns/create.ts', auth: 'jwt', groups: CAMPAIGN_WRITERS, tables: idempotent({ repo: ['getDeal', 'findCreation', 'listCampaigns', 'createCampaign', 'getCampaignVersion'], biddingSettings: ['getBiddingSettings'] }) },
  { id: 'CampaignsList', method: 'GET', path: '/deals/{dealId}/campaigns', entry: 'functions/api/campaigns/list.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['getDeal', 'listCampaigns'] }) },
  { id: 'CampaignsGet', method: 'GET', path: '/deals/{dealId}/campaigns/{campaignId}', entry: 'functions/api/campaigns/get.ts', auth: 'jwt', groups: 'any', tables: calls({ repo: ['getDeal', 'getCampaign'] }) },
  { id: 'CampaignsAmend', method: 'PATCH', path: '/deals/{dealId}/campaigns/{campaignId}', entry: 'functions/api/campaigns/amend.ts', auth: 'jwt', groups: CAMPAIGN_WRITERS, tables: calls({ repo: ['getDeal', 'getCampaign', 'listCampaigns', 'saveCampaign'], biddingSettings: ['getBiddingSettings'] }) },

  // Engagement scores, kept by the engagement consumer from domain events: read only, never recomputed here.
  { id: 'DealEngagementGet', method: 'GET', path: '/deals/{dealId}/engagement', entry: 'functions/api/engagement/get.ts', auth: 'jwt', groups: 'any', tables: engagement(['get']) },
  { id: 'EngagementList', method: 'GET', path: '/engagement', entry: 'functions/api/engagement/list.ts', auth: 'jwt', groups: 'any', tables: engagement(['listByAccount']) },

  // An account's allowed buyer seats and PMP deal ids: its members read them, only admins write them.
  { id: 'BiddingSettingsGet', method: 'GET', path: '/accounts/{accountId}/bidding-settings', entry: 'functions/api/accounts/bidding-settings-get.ts', auth: 'jwt', groups: 'any', tables: calls({ biddingSettings: ['getBiddingSettings'] }) },
  { id: 'BiddingSettingsPut', method: 'PUT', path: '/accounts/{accountId}/bidding-settings', entry: 'functions/api/accounts/bidding-settings-put.ts', auth: 'jwt', groups: ['admin'], tables: calls({ biddingSettings: ['getBiddingSettings', 'createBiddingSettings', 'saveBiddingSettings'] }) },

  // Catch-all: 404, or 405 with Allow when the path exists under another method (reads API_ROUTES).
  { id: 'Fallback', method: 'ANY', path: '/{proxy+}', entry: 'functions/api/fallback.ts', auth: 'none', groups: [], tables: {} },
];

/** Route keys as API Gateway writes them: `METHOD /path`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** The environment variable the fallback function reads: JSON array of the other routes' keys. */
export const API_ROUTES_ENV_VAR = 'API_ROUTES';

/** Route keys of every route except the catch-all, for the fallback's 404/405 decision. */
export function concreteRouteKeys(routes: readonly RouteDefinition[] = ROUTES): string[] {
  return routes.filter((r) => r.method !== 'ANY').map(routeKey);
}
