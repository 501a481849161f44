/**
 * What the bidder task is given: its port and image, the names of its environment variables, its
 * secrets (generated here, injected by ECS at start), its task definition and container, and its role, which may only read line items and
 * spend, open a campaign-day, put bid events and read its own secrets.
 */
import { Duration, IgnoreMode, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CAMPAIGN_DAY_OPENING_ATTRIBUTES } from '../../shared/adapters/dynamodb/spend-ledger.js';
import { tableResourceArns } from '../constructs/project-function.js';
import { BIDDER_METRICS } from './bidding-alarms.js';
import { REDIS_REPLICAS_TO_ACK } from './bidding-redis.js';

/** Port the bidder listens on (container and target group). */
export const BIDDER_PORT = 8080;
/** Dockerfile of the bidder, relative to the build context (the repository root). */
export const BIDDER_DOCKERFILE = 'bidder/Dockerfile';

/**
 * What the image build may read, kept in step with /.dockerignore (CDK reads that file too and adds
 * these patterns after it). Everything else (node_modules, cdk.out, .tools, .dealdesk, .git, test,
 * bench, docs, local, infra, functions) never reaches the asset staging directory, so a synth copies
 * a few hundred KB instead of the whole checkout.
 */
export const BIDDER_IMAGE_EXCLUDE: readonly string[] = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!bidder/',
  '!shared/',
  '**/node_modules',
  '**/*.test.ts',
];

/** Names of the environment variables the bidder container gets (plain values). */
export const BIDDER_ENV = {
  port: 'PORT',
  dealsTable: 'DEALS_TABLE_NAME',
  /** Committed spend per campaign-day: budgets are re-initialised from it after a Redis loss. */
  spendTable: 'SPEND_TABLE_NAME',
  bidEventsStream: 'BID_EVENTS_STREAM',
  redisHost: 'REDIS_HOST',
  redisPort: 'REDIS_PORT',
  redisTls: 'REDIS_TLS',
  /** Replicas each budget commit waits for (WAIT) before it counts as billed. */
  redisReplicasToAck: 'REDIS_REPLICAS_TO_ACK',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'LOG_LEVEL',
  exchangeKeysSecretArn: 'EXCHANGE_KEYS_SECRET_ARN',
  noticeBaseUrl: 'NOTICE_BASE_URL',
} as const;

/** Names of the variables injected from Secrets Manager / SSM at task start (never in the template). */
export const BIDDER_SECRET_ENV = {
  redisAuth: 'REDIS_AUTH',
  exchangeKeys: 'EXCHANGE_KEYS',
  /** HMAC key ring for notice URLs, the same on every task, so a bill is chargeable wherever it lands. */
  noticeSigningKey: 'NOTICE_SIGNING_KEY',
  dsps: 'DEALDESK_DSPS',
} as const;

/** Id of the key the generated NoticeSigningKey secret starts with (rotation adds k2, k3, ...). */
export const NOTICE_SIGNING_FIRST_KEY_ID = 'k1';

export interface BidderSecrets {
  redisAuth: secretsmanager.Secret;
  exchangeKeys: secretsmanager.Secret;
  noticeSigning: secretsmanager.Secret;
  dsps: ssm.StringParameter;
}

/** The bidder's secrets and its DSP list, created in `scope` (the bidding stack). */
export function addBidderSecrets(scope: Construct): BidderSecrets {
  const redisAuth = new secretsmanager.Secret(scope, 'RedisAuthToken', {
    description: 'dealdesk bidder: Redis AUTH token of the budget-lease store',
    // ElastiCache AUTH tokens: 16-128 printable characters without @, " or /.
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
  });
  Validations.of(redisAuth).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The Redis AUTH token is not rotated automatically yet: rotating it needs a rotation Lambda inside the VPC that calls ModifyReplicationGroup with AuthTokenUpdateStrategy ROTATE then SET, and bidders that accept both tokens meanwhile. Access is already limited to the bidder security group and TLS. Tracked in docs/bidding-infra.md.',
  });
  const exchangeKeys = new secretsmanager.Secret(scope, 'ExchangeKeys', {
    description: 'dealdesk bidder: per-exchange API keys, JSON object {"<exchangeId>": "<key>"}',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({}),
      generateStringKey: 'example-exchange',
      passwordLength: 40,
      excludePunctuation: true,
    },
  });
  Validations.of(exchangeKeys).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Exchange keys are agreed with each exchange and changed together with it (the exchange must send the new key), so a scheduled rotation Lambda cannot rotate them on its own; ops update the JSON by hand and bidders re-read it.',
  });
  // A key ring (bidder/notice-signing.ts): {"current":"k1","k1":"<48 generated>"}. Key ids sit at
  // the top level because CloudFormation generates exactly one top-level field (generateStringKey).
  // Changing generateSecretString regenerates the value on the next deploy: never edit it on a
  // live stack, rotate with the runbook instead.
  const noticeSigning = new secretsmanager.Secret(scope, 'NoticeSigningKey', {
    description: 'dealdesk bidder: HMAC key ring {"current":"<keyId>","<keyId>":"<key>",...} that signs win/bill/loss notice URLs (shared by every task)',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ current: NOTICE_SIGNING_FIRST_KEY_ID }),
      generateStringKey: NOTICE_SIGNING_FIRST_KEY_ID,
      passwordLength: 48,
      excludePunctuation: true,
    },
  });
  Validations.of(noticeSigning).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The notice-signing key is rotated by hand in three steps, each a secret update plus an ECS redeploy (add a key so every task accepts it, make it current, drop the old key once no notice signed with it can arrive; docs/runbooks/bidding.md). A rotation Lambda flips the value at once, so tasks started before and after would refuse each other\'s notices.',
  });
  const dsps = new ssm.StringParameter(scope, 'Dsps', {
    description: 'dealdesk bidder: external DSP list (JSON, shared/bidding/dsp/config.ts); [] = none',
    stringValue: '[]',
  });
  return { redisAuth, exchangeKeys, noticeSigning, dsps };
}

export interface BidderTaskRoleProps {
  dealsTable: dynamodb.ITable;
  spendTable: dynamodb.ITable;
  bidEvents: kinesis.IStream;
  secrets: BidderSecrets;
}

/** The task role, created in `scope` (the bidding stack). */
export function addBidderTaskRole(scope: Construct, props: BidderTaskRoleProps): iam.Role {
  const role = new iam.Role(scope, 'TaskRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    description: 'dealdesk bidder task: read line items, put bid events, read its secrets',
  });
  // Line items: reads only, on the table and each of its indexes (no writes, no index/*).
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
      resources: tableResourceArns(props.dealsTable),
    }),
  );
  // ListShards: heartbeats go to every open shard, and a budget rebuild waits for each shard's watermark.
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['kinesis:PutRecords', 'kinesis:ListShards'], resources: [props.bidEvents.streamArn] }),
  );
  // Spend ledger (DynamoSpendLedger): reads spend totals and the consumer watermarks to open and
  // rebuild campaign-day budgets ...
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      resources: tableResourceArns(props.spendTable),
    }),
  );
  // ... and writes only the opening of a campaign-day (openCampaignDay): UpdateItem limited to those
  // attributes, so a bidder can never change recorded spend or a watermark.
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [props.spendTable.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...CAMPAIGN_DAY_OPENING_ATTRIBUTES] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
  );
  // Re-read at run time (exchange keys change without a deploy); injected at start as well.
  props.secrets.exchangeKeys.grantRead(role);
  props.secrets.redisAuth.grantRead(role);
  props.secrets.noticeSigning.grantRead(role);
  return role;
}

export interface BidderContainerProps {
  taskRole: iam.IRole;
  /** Directory the image is built from (the repository root). */
  imageContext: string;
  dealsTable: dynamodb.ITable;
  spendTable: dynamodb.ITable;
  bidEvents: kinesis.IStream;
  redis: elasticache.CfnReplicationGroup;
  secrets: BidderSecrets;
}

/**
 * The bidder's Fargate task definition and its one container: ARM64, the image from bidder/Dockerfile,
 * read-only root, the environment and the injected secrets the bidder reads (bidder/config.ts), a
 * health check, non-blocking logs.
 */
export function addBidderContainer(scope: Construct, props: BidderContainerProps): { taskDefinition: ecs.FargateTaskDefinition; container: ecs.ContainerDefinition } {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
    cpu: 1024,
    memoryLimitMiB: 2048,
    runtimePlatform: {
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
    taskRole: props.taskRole,
  });
  const containerLogs = new logs.LogGroup(scope, 'BidderLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const image = ecs.ContainerImage.fromAsset(props.imageContext, {
    file: BIDDER_DOCKERFILE,
    platform: ecrAssets.Platform.LINUX_ARM64,
    ignoreMode: IgnoreMode.DOCKER,
    exclude: [...BIDDER_IMAGE_EXCLUDE],
  });
  const healthCommand =
    "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health', { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))";
  const container = taskDefinition.addContainer('bidder', {
    image,
    containerName: 'bidder',
    essential: true,
    portMappings: [{ containerPort: BIDDER_PORT, protocol: ecs.Protocol.TCP }],
    user: 'node',
    readonlyRootFilesystem: true,
    // ECS sends SIGTERM after the load balancer has drained the task, SIGKILL this long after it:
    // time to flush the Kinesis buffer and return unspent leases.
    stopTimeout: Duration.seconds(30),
    healthCheck: {
      command: ['CMD', 'node', '-e', healthCommand],
      interval: Duration.seconds(10),
      timeout: Duration.seconds(3),
      retries: 3,
      startPeriod: Duration.seconds(20),
    },
    environment: {
      [BIDDER_ENV.port]: String(BIDDER_PORT),
      [BIDDER_ENV.dealsTable]: props.dealsTable.tableName,
      [BIDDER_ENV.spendTable]: props.spendTable.tableName,
      [BIDDER_ENV.bidEventsStream]: props.bidEvents.streamName,
      [BIDDER_ENV.redisHost]: props.redis.attrPrimaryEndPointAddress,
      [BIDDER_ENV.redisPort]: props.redis.attrPrimaryEndPointPort,
      [BIDDER_ENV.redisTls]: 'true',
      [BIDDER_ENV.redisReplicasToAck]: String(REDIS_REPLICAS_TO_ACK),
      [BIDDER_ENV.metricsNamespace]: BIDDER_METRICS.namespace,
      [BIDDER_ENV.serviceName]: BIDDER_METRICS.service,
      [BIDDER_ENV.logLevel]: 'INFO',
      [BIDDER_ENV.exchangeKeysSecretArn]: props.secrets.exchangeKeys.secretArn,
    },
    secrets: {
      [BIDDER_SECRET_ENV.redisAuth]: ecs.Secret.fromSecretsManager(props.secrets.redisAuth),
      [BIDDER_SECRET_ENV.exchangeKeys]: ecs.Secret.fromSecretsManager(props.secrets.exchangeKeys),
      [BIDDER_SECRET_ENV.noticeSigningKey]: ecs.Secret.fromSecretsManager(props.secrets.noticeSigning),
      [BIDDER_SECRET_ENV.dsps]: ecs.Secret.fromSsmParameter(props.secrets.dsps),
    },
    logging: ecs.LogDrivers.awsLogs({
      logGroup: containerLogs,
      streamPrefix: 'bidder',
      // Never let a slow log pipe block stdout writes on the bid path; EMF lines go through it too.
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(25),
    }),
  });
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The plain environment variables are non-secret configuration only (table and stream names, Redis endpoint, port, TLS flag and replicas to acknowledge, metrics namespace, log level, a secret ARN, the public base URL). The Redis AUTH token, the exchange keys and the DSP list are injected from Secrets Manager and SSM (ecs secrets), never written in the template.',
  });
  return { taskDefinition, container };
}
