/**
 * Where the local stack keeps its state, and what it writes to `.dealdesk/local.json` for clients,
 * tests, benchmarks and `./dev redrive`.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BiddingDescriptor } from './bidding/stack.js';
import type { BiddingSeedResult } from './bidding/seed.js';
import type { EventsDescriptor } from './events/stack.js';
import type { DevUser, TokenName } from './tokens.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_DIR = join(REPO_ROOT, '.dealdesk');
export const DEFAULT_DESCRIPTOR_PATH = join(STATE_DIR, 'local.json');

/**
 * What `.dealdesk/local.json` holds: everything a client, test or benchmark needs. Change data
 * capture's fields (eventsEndpoint, domainEventsTopicArn, eventConsumers, …): EventsDescriptor.
 */
export interface LocalStackDescriptor extends EventsDescriptor {
  apiUrl: string;
  /** The demo account every token but other_account belongs to. */
  accountId: string;
  otherAccountId: string;
  region: string;
  /** The AWS account id the emulator puts in requestContext.accountId. */
  awsAccountId: string;
  /** Tokens (Cognito-like ID tokens, valid for tokenLifetimeSeconds) by group; other_account is a deal manager of otherAccountId. */
  tokens: Record<TokenName, string>;
  users: Record<TokenName, DevUser>;
  /** Tokens the JWT authorizer refuses (for trying out 401s). */
  invalidTokens: { expired: string; wrongAudience: string; wrongIssuer: string; badSignature: string };
  tokenLifetimeSeconds: number;
  tokensExpireAt: string;
  issuer: string;
  jwksUrl: string;
  /** The user-pool client id; tokens' `aud`. */
  audience: string;
  /** The issuer the deployed authorizer would check (from the template), for reference. */
  templateIssuer: string | undefined;
  dynamodbEndpoint: string;
  /** Table logical id → local table name. */
  tables: Record<string, string>;
  /** Route keys served, from the template. */
  routes: string[];
  /** Function logical id → handler env (resolved) keys, for debugging. */
  functions: Record<string, { functionName: string; codeDir: string | undefined }>;
  cloudAssembly: string;
  stacks: string[];
  lambdaLogs: string;
  /** 'shared' or 'isolated:N' (see StartLocalStackOptions.lambdaInstances). */
  lambdaConcurrency: string;
  pid: number;
  startedAt: string;
  /** The bidder (absent when the bidding part is skipped). */
  bidderUrl?: string;
  /** Full auction URL a local exchange posts to: `${bidderUrl}/openrtb2/auction`. */
  bidderEndpoint?: string;
  /** The headers a local exchange sends, exchange key included. */
  bidderHeaders?: Record<string, string>;
  exchangeKeyHeader?: string;
  exchangeKey?: string;
  redisUrl?: string;
  kinesisEndpoint?: string;
  bidEventsStream?: string;
  spendTable?: string;
  dsps?: BiddingDescriptor['dsps'];
  bidderLogs?: string;
  bidderPid?: number;
  /** Ids of the bidding demo deal and campaigns when seeded. */
  biddingDemo?: BiddingSeedResult;
}
