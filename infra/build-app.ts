import { App } from 'aws-cdk-lib';
import type { Environment } from 'aws-cdk-lib';
import { bidderEndpointFromContext } from './bidder-endpoint.js';
import { applyNag } from './nag.js';
import { ApiStack } from './stacks/api-stack.js';
import { BiddingStack } from './stacks/bidding-stack.js';
import { ChangeEventsStack } from './stacks/change-events-stack.js';
import { DataStack } from './stacks/data-stack.js';

export interface BuildAppOptions {
  /** Cloud assembly directory. @default the CLI's, or cdk.out */
  readonly outdir?: string;
  /**
   * Extra context, e.g. `{ 'aws:cdk:bundling-stacks': [] }` to skip bundling in assertion tests.
   * Overrides the defaults below; context from the CLI/cdk.json still wins over both.
   */
  readonly context?: Record<string, unknown>;
}

export interface DealDeskApp {
  readonly app: App;
  readonly data: DataStack;
  readonly api: ApiStack;
  readonly events: ChangeEventsStack;
  readonly bidding: BiddingStack;
}

export const STACK_NAMES = { data: 'DealDesk-Data', api: 'DealDesk-Api', events: 'DealDesk-Events', bidding: 'DealDesk-Bidding' } as const;

/** Context every programmatic synthesis gets (the CLI sets the same ones by default). */
export const DEFAULT_CONTEXT: Readonly<Record<string, unknown>> = {
  // Functions carry `aws:asset:path` metadata: the local stack finds each bundle in cdk.out by it.
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:enable-path-metadata': true,
  // Table references from the API stack are CloudFormation exports/Fn::ImportValue: the data stack
  // cannot drop a table the API still uses. (Same value as cdk.json, for programmatic synthesis.)
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
};

/**
 * Builds the whole dealdesk app (stacks + cdk-nag). `infra/app.ts` synthesizes it for the CLI.
 * Throws BidderEndpointError unless the context holds the bidder's TLS settings (bidderCertificateArn,
 * bidderDomainName, exchangeCidrs) or, for the local stack and tests only, bidderInsecureLocalHttp=true.
 */
export function buildApp(options: BuildAppOptions = {}): DealDeskApp {
  const app = new App({
    ...(options.outdir !== undefined ? { outdir: options.outdir } : {}),
    context: { ...DEFAULT_CONTEXT, ...options.context },
  });
  // Checked first: a missing or bad key fails synthesis before any stack is built.
  const bidderEndpoint = bidderEndpointFromContext((key) => app.node.tryGetContext(key));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const env: Environment | undefined =
    account || region ? { ...(account ? { account } : {}), ...(region ? { region } : {}) } : undefined;

  const data = new DataStack(app, STACK_NAMES.data, {
    env,
    description: 'dealdesk: DynamoDB tables (deals, history, idempotency, spend, rate limits, change events, engagement)',
  });
  const api = new ApiStack(app, STACK_NAMES.api, {
    env,
    description: 'dealdesk: deal and campaign HTTP API, Cognito user pool, API functions',
    dealsTable: data.dealsTable,
    historyTable: data.historyTable,
    idempotencyTable: data.idempotencyTable,
    rateLimitTable: data.rateLimitTable,
    engagementTable: data.engagementTable,
  });
  const events = new ChangeEventsStack(app, STACK_NAMES.events, {
    env,
    description: 'dealdesk: change data capture (deals stream to domain events), event consumers, dead letters and redrive',
    dealsTable: data.dealsTable,
    changeEventsTable: data.changeEvents,
    engagementTable: data.engagementTable,
  });

  const bidding = new BiddingStack(app, STACK_NAMES.bidding, {
    env,
    description: 'dealdesk: OpenRTB bidder on Fargate, Redis budget leases, bid-events stream, spend reconciliation',
    dealsTable: data.dealsTable,
    spendTable: data.spendTable,
    changeEventsTable: data.changeEvents,
    domainEvents: events.topic,
    endpoint: bidderEndpoint,
  });

  applyNag(app);
  return { app, data, api, events, bidding };
}
