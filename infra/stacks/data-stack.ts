import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * Key attributes (docs/data-model.md explains the access patterns behind them):
 *
 *   deals        pk (S) / sk (S)            DEAL#<dealId> / DEAL | CAMPAIGN#<campaignId>
 *     GSI byAccount        gsiAccountPk (S) / gsiAccountSk (S)        ACCOUNT#<acc> / <createdAt>#<dealId>
 *     GSI byAccountStatus  gsiAccountStatusPk (S) / gsiAccountSk (S)  ACCOUNT#<acc>#STATUS#<status> / same
 *     GSI byAccountType    gsiAccountTypePk (S) / gsiAccountSk (S)    ACCOUNT#<acc>#TYPE#<type> / same
 *     TTL expiresAt, stream NEW_AND_OLD_IMAGES
 *   history      pk (S) / sk (S)            DEAL#<dealId> / VERSION#<000000001> | CAMPAIGN#<cid>#VERSION#<…>
 *                                           | AUDIT#<at>#<entryId>      (append-only; no TTL, ever)
 *   idempotency  id (S)                     Powertools idempotency record; TTL expiration
 *   spend        pk (S) / sk (S)            CAMPAIGN#<campaignId> / DAY#<yyyy-mm-dd> (committed total)
 *                                           | EVENT#<eventId> (exactly-once marker; TTL expiresAt)
 *   rateLimit    pk (S)                     WINDOW#<window start>#CLIENT#<sub>: requests counted in one
 *                                           window (shared/adapters/dynamodb/client-rate-limiter.ts); TTL expiresAt
 *   changeEvents pk (S)                     APPLIED#<consumer>#<eventId> (a consumer applied that domain
 *                                           event; TTL expiresAt, 7 days) | HELD#<dealId> (events of the deal
 *                                           wait in the dead-letter queue behind a failed one)
 *   engagement   pk (S) / sk (S)            DEAL#<dealId> / ENGAGEMENT (a deal's score) | ACCOUNT#<acc> / HEALTH
 *     GSI byAccountScore      gsiAccountPk (S) / gsiScoreSk (S)        ACCOUNT#<acc> / <score, zero-padded>#<dealId>
 *     GSI byAccountTierScore  gsiAccountTierPk (S) / gsiScoreSk (S)    ACCOUNT#<acc>#TIER#<tier> / same
 *
 * Physical names are left to CloudFormation; handlers get them from DEALS_TABLE_NAME,
 * HISTORY_TABLE_NAME, IDEMPOTENCY_TABLE_NAME, SPEND_TABLE_NAME, RATE_LIMIT_TABLE_NAME,
 * CHANGE_EVENTS_TABLE_NAME and ENGAGEMENT_TABLE_NAME.
 */
export const DEALS_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const DEALS_INDEXES = {
  byAccount: { partitionKey: 'gsiAccountPk', sortKey: 'gsiAccountSk' },
  byAccountStatus: { partitionKey: 'gsiAccountStatusPk', sortKey: 'gsiAccountSk' },
  byAccountType: { partitionKey: 'gsiAccountTypePk', sortKey: 'gsiAccountSk' },
} as const;
export const DEALS_TTL_ATTRIBUTE = 'expiresAt';
export const HISTORY_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const IDEMPOTENCY_KEY = 'id';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';
export const SPEND_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** Set only on the per-event markers (shared/adapters/dynamodb/spend-ledger.ts); day totals never expire. */
export const SPEND_TTL_ATTRIBUTE = 'expiresAt';
export const RATE_LIMIT_KEY = 'pk';
export const RATE_LIMIT_TTL_ATTRIBUTE = 'expiresAt';
export const CHANGE_EVENTS_KEY = 'pk';
export const CHANGE_EVENTS_TTL_ATTRIBUTE = 'expiresAt';
export const ENGAGEMENT_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const ENGAGEMENT_INDEXES = {
  byAccountScore: { partitionKey: 'gsiAccountPk', sortKey: 'gsiScoreSk' },
  byAccountTierScore: { partitionKey: 'gsiAccountTierPk', sortKey: 'gsiScoreSk' },
} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DataStackProps extends StackProps {}

/**
 * Stateful resources of dealdesk: the DynamoDB tables.
 *
 * Encryption: AWS managed KMS key (`aws/dynamodb`, SSEType KMS). Data is encrypted at rest with a
 * KMS key whose use is logged in CloudTrail, with no key policy to maintain and no per-consumer key
 * grants (every Lambda, the stream event source mapping and the bidder would otherwise need kms:Decrypt
 * on a customer key), and no key cost. A customer managed key becomes worth it when someone must be able
 * to revoke access independently of IAM, or share the tables across accounts; neither is a requirement.
 *
 * Billing: on demand (traffic is spiky: API writes and CDC bursts; no capacity planning to get wrong).
 */
export class DataStack extends Stack {
  /** Current state of deals and campaigns; its stream feeds CDC. */
  readonly dealsTable: dynamodb.Table;
  /** Immutable version snapshots and audit entries (append-only: grant with grantHistoryAppend). */
  readonly historyTable: dynamodb.Table;
  /** Powertools idempotency records. */
  readonly idempotencyTable: dynamodb.Table;
  /** Committed spend per campaign-day, reconciled from the bid event stream (exactly once per event). */
  readonly spendTable: dynamodb.Table;
  /** Requests per API caller and fixed window, for the per-client rate limit. */
  readonly rateLimitTable: dynamodb.Table;
  /** Which domain events each consumer applied (exactly one effect), and deals held behind a dead letter. */
  readonly changeEvents: dynamodb.Table;
  /** Engagement scores per deal (kept up to date from domain events) and per-account health. */
  readonly engagementTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataStackProps = {}) {
    super(scope, id, props);

    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    } satisfies Partial<dynamodb.TableProps>;

    this.dealsTable = new dynamodb.Table(this, 'Deals', {
      ...common,
      partitionKey: { name: DEALS_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: DEALS_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: DEALS_TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, keys] of Object.entries(DEALS_INDEXES)) {
      this.dealsTable.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING },
        // Lists return whole deals; ALL avoids a GetItem per listed deal.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.historyTable = new dynamodb.Table(this, 'History', {
      ...common,
      partitionKey: { name: HISTORY_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: HISTORY_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      // No TTL and no stream: audit entries are kept for good and never change.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.idempotencyTable = new dynamodb.Table(this, 'Idempotency', {
      ...common,
      partitionKey: { name: IDEMPOTENCY_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      // Records live for hours (TTL) and only guard against duplicate retries; losing them when the
      // whole stack is deleted is harmless, so the table goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.spendTable = new dynamodb.Table(this, 'Spend', {
      ...common,
      partitionKey: { name: SPEND_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SPEND_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      // Markers expire (kept well past the stream's retention); the DAY# totals carry no TTL attribute.
      timeToLiveAttribute: SPEND_TTL_ATTRIBUTE,
      // Committed spend is what budgets are rebuilt from after a Redis loss: never lost with the stack.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.rateLimitTable = new dynamodb.Table(this, 'RateLimit', {
      ...common,
      partitionKey: { name: RATE_LIMIT_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: RATE_LIMIT_TTL_ATTRIBUTE,
      // Counters of windows that are over within seconds: nothing worth keeping when the stack goes.
      // (Point-in-time recovery stays on with the rest: it costs next to nothing at this size.)
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.changeEvents = new dynamodb.Table(this, 'ChangeEvents', {
      ...common,
      partitionKey: { name: CHANGE_EVENTS_KEY, type: dynamodb.AttributeType.STRING },
      // Applied-event markers expire after 7 days (far past the topic's 5-minute deduplication window and
      // the dead-letter queue's 14-day retention is covered by the held-deal items, which never expire).
      timeToLiveAttribute: CHANGE_EVENTS_TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.engagementTable = new dynamodb.Table(this, 'Engagement', {
      ...common,
      partitionKey: { name: ENGAGEMENT_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ENGAGEMENT_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      // Derived from the event history, but rebuilding it means replaying every deal's events: keep it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, keys] of Object.entries(ENGAGEMENT_INDEXES)) {
      this.engagementTable.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING },
        // Listings return the whole score with its components.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /**
   * What the write path may do on the history table: read, and PutItem (always conditional on
   * attribute_not_exists in the code). Never UpdateItem or DeleteItem, so audit entries and version
   * snapshots cannot be changed or removed through the API's role.
   */
  grantHistoryAppend(grantee: iam.IGrantable): iam.Grant {
    return this.historyTable.grant(
      grantee,
      'dynamodb:PutItem',
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
    );
  }
}
