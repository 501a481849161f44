import type { z } from 'zod';
import { ACTION_GROUPS, ANY_GROUP, type AccessAction } from '../domain/access.js';
import type { Group } from '../domain/actor.js';
import { AuditListResponse } from './audit.js';
import { BiddingSettingsResponse, ReplaceBiddingSettingsRequest } from './bidding-settings.js';
import { AmendCampaignRequest, CampaignListResponse, CampaignResponse, CreateCampaignRequest } from './campaign.js';
import { PageQuery } from './common.js';
import { ErrorResponse } from './errors.js';
import {
  AmendDealRequest,
  CreateDealRequest,
  DealListResponse,
  DealResponse,
  DealVersionListResponse,
  ListDealsQuery,
} from './deal.js';
import { EngagementListResponse, EngagementResponse, ListEngagementQuery } from './engagement.js';
import { HealthResponse, OpenApiDocumentResponse } from './meta.js';
import { AccountPathParams, CampaignPathParams, DealPathParams, DealVersionPathParams } from './params.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'ANY';

export interface ApiOperation {
  method: HttpMethod;
  /** API Gateway path syntax, exactly as in design.md's route table. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** 'none' for the public routes (health, openapi.json, fallback); 'jwt' otherwise. */
  auth: 'none' | 'jwt';
  /** The access rule the handler enforces with assertMayAct; absent for public routes. */
  action?: AccessAction;
  /** Groups allowed besides admin: derived from `action` (see access.ts), 'any' for reads, [] when public. */
  groups: readonly Group[] | typeof ANY_GROUP;
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /**
   * Optimistic locking: a missing If-Match is 428, a stale one 412. `to-replace`: a PUT that creates
   * the resource when it does not exist (no If-Match) and needs If-Match to replace it.
   */
  requiresIfMatch: boolean | 'to-replace';
  /** POSTs accept Idempotency-Key: a retry with the same key and body replays the first answer. */
  acceptsIdempotencyKey: boolean;
  success: {
    status: 200 | 201;
    description: string;
    schema: z.ZodType;
    /** Single-entity answers carry `ETag: "<version>"`. */
    etag: boolean;
    /** 201 answers carry `Location` of the new entity. */
    location?: boolean;
    /** A PUT that may create: 201 (same body and ETag) when it did. */
    created?: { description: string };
  };
  /** Documented error statuses (bodies are ErrorResponse). */
  errors: readonly number[];
  /** false for the catch-all fallback, which is not part of the API document. */
  documented: boolean;
}

const READ_ERRORS = [401, 403, 404, 500] as const;
const CREATE_ERRORS = [400, 401, 403, 404, 409, 413, 415, 422, 500] as const;
const LOCKED_WRITE_ERRORS = [400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500] as const;

function groupsFor(action: AccessAction): readonly Group[] | typeof ANY_GROUP {
  return ACTION_GROUPS[action];
}

/** A JWT-protected operation; `groups` is derived from `action` so the two never disagree. */
function secured(op: Omit<ApiOperation, 'auth' | 'groups' | 'documented'> & { action: AccessAction }): ApiOperation {
  return { ...op, auth: 'jwt', groups: groupsFor(op.action), documented: true };
}

/**
 * Every API operation, keyed "METHOD /path" exactly as design.md's route table lists them.
 * infra/api/routes.ts maps the same keys to handler modules; a test checks both lists agree.
 */
export const API_OPERATIONS = {
  'GET /health': {
    method: 'GET',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Liveness check',
    auth: 'none',
    groups: [],
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The service answers', schema: HealthResponse, etag: false },
    errors: [500],
    documented: true,
  },
  'GET /openapi.json': {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    auth: 'none',
    groups: [],
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The OpenAPI document', schema: OpenApiDocumentResponse, etag: false },
    errors: [500],
    documented: true,
  },
  'POST /deals': secured({
    method: 'POST',
    path: '/deals',
    operationId: 'createDeal',
    summary: 'Create a deal (draft, version 1)',
    action: 'deal.create',
    body: CreateDealRequest,
    requiresIfMatch: false,
    acceptsIdempotencyKey: true,
    success: { status: 201, description: 'Created', schema: DealResponse, etag: true, location: true },
    errors: CREATE_ERRORS.filter((s) => s !== 404),
  }),
  'GET /deals': secured({
    method: 'GET',
    path: '/deals',
    operationId: 'listDeals',
    summary: "List an account's deals",
    description: 'accountId is required unless the caller belongs to exactly one account.',
    action: 'deal.read',
    query: ListDealsQuery,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'A page of deals', schema: DealListResponse, etag: false },
    errors: [400, 401, 403, 500],
  }),
  'GET /deals/{dealId}': secured({
    method: 'GET',
    path: '/deals/{dealId}',
    operationId: 'getDeal',
    summary: 'Get the current version of a deal',
    action: 'deal.read',
    pathParams: DealPathParams,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The deal', schema: DealResponse, etag: true },
    errors: READ_ERRORS,
  }),
  'PATCH /deals/{dealId}': secured({
    method: 'PATCH',
    path: '/deals/{dealId}',
    operationId: 'amendDeal',
    summary: 'Amend a deal',
    description: 'draft and rejected deals accept every field; other open statuses only name and ownerId.',
    action: 'deal.amend',
    pathParams: DealPathParams,
    body: AmendDealRequest,
    requiresIfMatch: true,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The amended deal (new version)', schema: DealResponse, etag: true },
    errors: LOCKED_WRITE_ERRORS.filter((s) => s !== 422),
  }),
  'POST /deals/{dealId}/cancel': secured({
    method: 'POST',
    path: '/deals/{dealId}/cancel',
    operationId: 'cancelDeal',
    summary: 'Cancel a deal',
    action: 'deal.cancel',
    pathParams: DealPathParams,
    requiresIfMatch: true,
    acceptsIdempotencyKey: true,
    success: { status: 200, description: 'The cancelled deal (new version)', schema: DealResponse, etag: true },
    errors: LOCKED_WRITE_ERRORS,
  }),
  'POST /deals/{dealId}/submit': secured({
    method: 'POST',
    path: '/deals/{dealId}/submit',
    operationId: 'submitDeal',
    summary: 'Submit a draft deal for approval',
    action: 'deal.submit',
    pathParams: DealPathParams,
    requiresIfMatch: true,
    acceptsIdempotencyKey: true,
    success: { status: 200, description: 'The submitted deal (new version)', schema: DealResponse, etag: true },
    errors: LOCKED_WRITE_ERRORS,
  }),
  'GET /deals/{dealId}/versions': secured({
    method: 'GET',
    path: '/deals/{dealId}/versions',
    operationId: 'listDealVersions',
    summary: 'List every version of a deal, newest first',
    action: 'deal.read',
    pathParams: DealPathParams,
    query: PageQuery,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'A page of versions', schema: DealVersionListResponse, etag: false },
    errors: [400, ...READ_ERRORS],
  }),
  'GET /deals/{dealId}/versions/{version}': secured({
    method: 'GET',
    path: '/deals/{dealId}/versions/{version}',
    operationId: 'getDealVersion',
    summary: 'Get one version of a deal',
    action: 'deal.read',
    pathParams: DealVersionPathParams,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'That version of the deal', schema: DealResponse, etag: true },
    errors: [400, ...READ_ERRORS],
  }),
  'GET /deals/{dealId}/audit': secured({
    method: 'GET',
    path: '/deals/{dealId}/audit',
    operationId: 'listDealAudit',
    summary: "List the audit entries of a deal and its campaigns, oldest first",
    action: 'deal.read',
    pathParams: DealPathParams,
    query: PageQuery,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'A page of audit entries', schema: AuditListResponse, etag: false },
    errors: [400, ...READ_ERRORS],
  }),
  'GET /deals/{dealId}/engagement': secured({
    method: 'GET',
    path: '/deals/{dealId}/engagement',
    operationId: 'getDealEngagement',
    summary: "Get a deal's engagement score",
    description: 'The score as of the latest change of the deal or its campaigns. 404 when the deal has no score yet (or the caller may not see it).',
    action: 'deal.read',
    pathParams: DealPathParams,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The engagement score', schema: EngagementResponse, etag: false },
    errors: READ_ERRORS,
  }),
  'GET /engagement': secured({
    method: 'GET',
    path: '/engagement',
    operationId: 'listEngagement',
    summary: "List an account's deals by engagement score, highest first",
    description: 'accountId is required unless the caller belongs to exactly one account; tier narrows the list to one tier.',
    action: 'deal.read',
    query: ListEngagementQuery,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'A page of scores', schema: EngagementListResponse, etag: false },
    errors: [400, 401, 403, 500],
  }),
  'POST /deals/{dealId}/campaigns': secured({
    method: 'POST',
    path: '/deals/{dealId}/campaigns',
    operationId: 'createCampaign',
    summary: 'Add a campaign to a deal',
    action: 'campaign.create',
    pathParams: DealPathParams,
    body: CreateCampaignRequest,
    requiresIfMatch: false,
    acceptsIdempotencyKey: true,
    success: { status: 201, description: 'Created', schema: CampaignResponse, etag: true, location: true },
    errors: CREATE_ERRORS,
  }),
  'GET /deals/{dealId}/campaigns': secured({
    method: 'GET',
    path: '/deals/{dealId}/campaigns',
    operationId: 'listCampaigns',
    summary: "List a deal's campaigns",
    action: 'campaign.read',
    pathParams: DealPathParams,
    query: PageQuery,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'A page of campaigns', schema: CampaignListResponse, etag: false },
    errors: [400, ...READ_ERRORS],
  }),
  'GET /deals/{dealId}/campaigns/{campaignId}': secured({
    method: 'GET',
    path: '/deals/{dealId}/campaigns/{campaignId}',
    operationId: 'getCampaign',
    summary: 'Get a campaign',
    action: 'campaign.read',
    pathParams: CampaignPathParams,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The campaign', schema: CampaignResponse, etag: true },
    errors: READ_ERRORS,
  }),
  'PATCH /deals/{dealId}/campaigns/{campaignId}': secured({
    method: 'PATCH',
    path: '/deals/{dealId}/campaigns/{campaignId}',
    operationId: 'amendCampaign',
    summary: 'Amend a campaign or move its status',
    action: 'campaign.amend',
    pathParams: CampaignPathParams,
    body: AmendCampaignRequest,
    requiresIfMatch: true,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: 'The amended campaign (new version)', schema: CampaignResponse, etag: true },
    errors: LOCKED_WRITE_ERRORS.filter((s) => s !== 422),
  }),
  'GET /accounts/{accountId}/bidding-settings': secured({
    method: 'GET',
    path: '/accounts/{accountId}/bidding-settings',
    operationId: 'getBiddingSettings',
    summary: "Get an account's bidding settings (allowed buyer seats and PMP deal ids)",
    description: 'Members of the account and admins. 404 when the account has none yet (or the caller may not see it).',
    action: 'biddingSettings.read',
    pathParams: AccountPathParams,
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    success: { status: 200, description: "The account's bidding settings", schema: BiddingSettingsResponse, etag: true },
    errors: READ_ERRORS,
  }),
  'PUT /accounts/{accountId}/bidding-settings': secured({
    method: 'PUT',
    path: '/accounts/{accountId}/bidding-settings',
    operationId: 'replaceBiddingSettings',
    summary: "Create or replace an account's bidding settings (admin only)",
    description:
      'Without If-Match creates the settings when the account has none (201). Once they exist, replacing them needs If-Match ' +
      '(428 without it, 412 when stale, as is a create that lost a race). ' +
      "Campaigns may then name only these seats and PMP deal ids; the bidder drops line items the settings no longer allow.",
    action: 'biddingSettings.replace',
    pathParams: AccountPathParams,
    body: ReplaceBiddingSettingsRequest,
    requiresIfMatch: 'to-replace',
    acceptsIdempotencyKey: false,
    success: {
      status: 200,
      description: 'The replaced settings (new version; unchanged when the lists are the same)',
      schema: BiddingSettingsResponse,
      etag: true,
      created: { description: 'Created (version 1)' },
    },
    errors: [400, 401, 403, 412, 413, 415, 428, 500],
  }),
  'ANY /{proxy+}': {
    method: 'ANY',
    path: '/{proxy+}',
    operationId: 'fallback',
    summary: 'Unknown path (404) or known path under another method (405 with Allow)',
    auth: 'none',
    groups: [],
    requiresIfMatch: false,
    acceptsIdempotencyKey: false,
    // Never succeeds; the entry exists so the operation list covers the whole route table.
    success: { status: 200, description: 'Never: always answers 404 or 405', schema: ErrorResponse, etag: false },
    errors: [404, 405],
    documented: false,
  },
} as const satisfies Record<string, ApiOperation>;

export type OperationKey = keyof typeof API_OPERATIONS;
export const OPERATION_KEYS = Object.keys(API_OPERATIONS) as OperationKey[];

export function operationKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** The operation for a route key, typed loosely for callers holding plain strings (e.g. infra route tables). */
export function findOperation(key: string): ApiOperation | undefined {
  return (API_OPERATIONS as Record<string, ApiOperation>)[key];
}
