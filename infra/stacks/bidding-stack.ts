import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  BIDDER_CONTEXT,
  BidderEndpointError,
  certificateRegion,
  checkHttpsEndpoint,
  type BidderEndpoint,
  type BidderHttpsEndpoint,
} from '../bidder-endpoint.js';
import type { EventConsumer } from '../constructs/event-consumer.js';
import { REPO_ROOT, type ProjectFunction } from '../constructs/project-function.js';
import { BIDDER_ENV, addBidderContainer, addBidderSecrets, addBidderTaskRole } from './bidder-task.js';
import { addBiddingAlarms } from './bidding-alarms.js';
import { REDIS_PORT, addBudgetStore } from './bidding-redis.js';
import { addLineItemPush } from './line-item-push.js';
import { addSpendReconciliation } from './spend-reconciliation.js';

export { BIDDER_DOCKERFILE, BIDDER_ENV, BIDDER_IMAGE_EXCLUDE, BIDDER_PORT, BIDDER_SECRET_ENV, NOTICE_SIGNING_FIRST_KEY_ID } from './bidder-task.js';
export { REDIS_PORT, REDIS_REPLICAS_TO_ACK } from './bidding-redis.js';
export { BIDDER_METRICS, BIDDING_RUNBOOK } from './bidding-alarms.js';
export { SPEND_RECONCILE_ENTRY } from './spend-reconciliation.js';
export { LINE_ITEMS_CONSUMER_ENTRY, LINE_ITEMS_CONSUMER_NAME } from './line-item-push.js';

export interface BiddingStackProps extends StackProps {
  /** Line items: campaigns of approved/active deals are read from it (never written). */
  readonly dealsTable: dynamodb.Table;
  /**
   * Committed spend per campaign and day, written by the reconciliation consumer. Optional until
   * DataStack has it; when given, the consumer gets exactly its calls' actions on it (SPEND_CONSUMER_GRANT) and SPEND_TABLE_NAME.
   */
  readonly spendTable: dynamodb.Table;
  /** Applied-event markers of the bidder's line-item consumer (DataStack.changeEvents). */
  readonly changeEventsTable: dynamodb.ITable;
  /** The domain-events topic (ChangeEventsStack.topic): changed deals and campaigns reach the bidder through it. */
  readonly domainEvents: sns.ITopic;
  /**
   * How exchanges reach the bidder (infra/bidder-endpoint.ts; build-app.ts reads it from CDK context):
   * HTTPS on 443 with the certificate (80 only redirects), admitting only the exchanges' CIDRs; or,
   * for the local stack and tests only, plain HTTP on 80 admitting nobody.
   */
  readonly endpoint: BidderEndpoint;
  /** @default 2 */
  readonly desiredCount?: number;
  /** @default 2 */
  readonly minTasks?: number;
  /** @default 20 */
  readonly maxTasks?: number;
  /** Target for ALBRequestCountPerTarget (requests per task per minute). @default 60_000 (1,000/s) */
  readonly requestsPerTargetPerMinute?: number;
  /** Alarm threshold for BidLatency p99, in ms (the tmax budget minus network margin). @default 80 */
  readonly bidLatencyP99BudgetMs?: number;
  /** @default 'cache.t4g.medium' */
  readonly redisNodeType?: string;
  /** Redis read replicas besides the primary, at least REDIS_REPLICAS_TO_ACK. @default 1 */
  readonly redisReplicas?: number;
  /**
   * Bid-events stream capacity: undefined = on-demand (default); a number = provisioned with that many
   * shards (cheaper once traffic is steady and measured).
   */
  readonly bidEventsShards?: number;
  /** Where handler entries are resolved (tests only). @default the repository root */
  readonly projectRoot?: string;
  /** Docker build context of the bidder image (tests only). @default the repository root */
  readonly imageContext?: string;
}

/**
 * The bid path (docs/architecture.md, bid path and budget): the OpenRTB bidder on Fargate (arm64) behind an
 * Application Load Balancer, its budget-lease store (ElastiCache Redis), the bid-events stream
 * (Kinesis) and the spend-reconciliation consumer, with least-privilege roles and the alarms that
 * watch them. docs/bidding-infra.md explains the choices.
 */
export class BiddingStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService;
  readonly taskRole: iam.Role;
  readonly container: ecs.ContainerDefinition;
  readonly redis: elasticache.CfnReplicationGroup;
  /** `maxmemory-policy noeviction`: budget state is never evicted. */
  readonly redisParameters: elasticache.CfnParameterGroup;
  readonly redisSecurityGroup: ec2.SecurityGroup;
  readonly redisAuthSecret: secretsmanager.Secret;
  readonly exchangeKeysSecret: secretsmanager.Secret;
  readonly noticeSigningSecret: secretsmanager.Secret;
  readonly dspsParameter: ssm.StringParameter;
  readonly bidEvents: kinesis.Stream;
  readonly reconcile: ProjectFunction;
  readonly reconcileDlq: sqs.Queue;
  /** Domain events of deals and campaigns to the Redis stream every bidder task reads (infra/stacks/line-item-push.ts). */
  readonly lineItemsConsumer: EventConsumer;
  /** ALB access-log bucket; undefined when the stack's region is unknown at synth time (see ELB2). */
  readonly accessLogBucket?: s3.Bucket;
  /** Alarms by name (BidLatencyP99, Http5xx, AlbTarget5xx, DspBreakerOpen, Overspend, EventBufferDrops, ForgedNotices, RedisMemory, ReconcileDlqDepth, ...). */
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  readonly bidderUrl: string;

  constructor(scope: Construct, id: string, props: BiddingStackProps) {
    super(scope, id, props);
    const root = props.projectRoot ?? REPO_ROOT;

    // --- network ----------------------------------------------------------------------------------
    // Two AZs (the service and Redis both span them), one NAT gateway (cost: an AZ outage leaves the
    // other AZ's tasks without egress to DSPs until it returns; DynamoDB and S3 go through free
    // gateway endpoints regardless).
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
      restrictDefaultSecurityGroup: true,
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    // --- bid events (Kinesis) ----------------------------------------------------------------------
    // On-demand by default: bid traffic follows exchange day-parting and campaign launches, and the
    // stream must never throttle the bidder's batches; no shard arithmetic to get wrong before there
    // are production figures. `bidEventsShards` switches to provisioned once traffic is measured.
    // Encrypted with the AWS managed key aws/kinesis (same reasoning as the tables in DataStack: KMS
    // encryption with CloudTrail-logged use, no key policy and no kms grants for producer and
    // consumer). 48 h retention: a consumer outage found the next morning can still be replayed.
    this.bidEvents = new kinesis.Stream(this, 'BidEvents', {
      ...(props.bidEventsShards !== undefined
        ? { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: props.bidEventsShards }
        : { streamMode: kinesis.StreamMode.ON_DEMAND }),
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(48),
    });

    // --- secrets and config ------------------------------------------------------------------------
    const secrets = addBidderSecrets(this);
    this.redisAuthSecret = secrets.redisAuth;
    this.exchangeKeysSecret = secrets.exchangeKeys;
    this.noticeSigningSecret = secrets.noticeSigning;
    this.dspsParameter = secrets.dsps;

    // --- Redis (budget leases, frequency caps) ------------------------------------------------------
    const budgetStore = addBudgetStore(this, {
      vpc: this.vpc,
      authSecret: this.redisAuthSecret,
      nodeType: props.redisNodeType ?? 'cache.t4g.medium',
      replicas: props.redisReplicas ?? 1,
    });
    this.redis = budgetStore.replicationGroup;
    this.redisParameters = budgetStore.parameterGroup;
    this.redisSecurityGroup = budgetStore.securityGroup;

    // --- bidder service ------------------------------------------------------------------------------
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskRole = addBidderTaskRole(this, { dealsTable: props.dealsTable, spendTable: props.spendTable, bidEvents: this.bidEvents, secrets });

    const { taskDefinition, container } = addBidderContainer(this, {
      taskRole: this.taskRole,
      imageContext: props.imageContext ?? REPO_ROOT,
      dealsTable: props.dealsTable,
      spendTable: props.spendTable,
      bidEvents: this.bidEvents,
      redis: this.redis,
      secrets,
    });
    this.container = container;

    const https = props.endpoint.kind === 'https' ? this.checkedHttpsEndpoint(props.endpoint) : undefined;
    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Bidder', {
      cluster: this.cluster,
      taskDefinition,
      desiredCount: props.desiredCount ?? 2,
      publicLoadBalancer: true,
      // Never 0.0.0.0/0: the exchanges' CIDRs are admitted below (none at all without TLS).
      openListener: false,
      ...(https
        ? {
            certificate: acm.Certificate.fromCertificateArn(this, 'BidderCertificate', https.certificateArn),
            protocol: elbv2.ApplicationProtocol.HTTPS,
            redirectHTTP: true,
            // TLS 1.3 and 1.2, forward-secret AES-GCM ciphers only.
            sslPolicy: elbv2.SslPolicy.TLS13_RES,
          }
        : { protocol: elbv2.ApplicationProtocol.HTTP, listenerPort: 80 }),
      targetProtocol: elbv2.ApplicationProtocol.HTTP,
      assignPublicIp: false,
      taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
      // Exchanges keep connections alive; the bidder's keepAliveTimeout must exceed this.
      idleTimeout: Duration.seconds(60),
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    const alb = this.service.loadBalancer;
    // The certificate is for the domain name, not the load balancer's own DNS name.
    this.bidderUrl = https ? `https://${https.domainName}` : `http://${alb.loadBalancerDnsName}`;
    // Notice URLs (nurl/burl/lurl) in bid responses point back at the public endpoint.
    this.container.addEnvironment(BIDDER_ENV.noticeBaseUrl, this.bidderUrl);
    alb.setAttribute('routing.http.drop_invalid_header_fields.enabled', 'true');
    for (const cidr of https?.exchangeCidrs ?? []) {
      alb.connections.allowFrom(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), `exchange ${cidr}`);
      alb.connections.allowFrom(ec2.Peer.ipv4(cidr), ec2.Port.tcp(80), `exchange ${cidr} (redirect to 443)`);
    }

    const targetGroup = this.service.targetGroup;
    targetGroup.configureHealthCheck({
      path: '/health',
      healthyHttpCodes: '200',
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    });
    // Graceful draining: in-flight auctions finish within tmax (~100 ms), so 10 s is ample.
    targetGroup.setAttribute('deregistration_delay.timeout_seconds', '10');
    // Latency-sensitive: send each request to the task with the fewest in flight.
    targetGroup.setAttribute('load_balancing.algorithm.type', 'least_outstanding_requests');

    this.redisSecurityGroup.addIngressRule(
      ec2.Peer.securityGroupId(this.service.service.connections.securityGroups[0]!.securityGroupId),
      ec2.Port.tcp(REDIS_PORT),
      'Redis from the bidder tasks',
    );

    // --- line items by push: domain events to the stream the tasks read -----------------------------
    this.lineItemsConsumer = addLineItemPush(this, {
      domainEvents: props.domainEvents,
      changeEventsTable: props.changeEventsTable,
      vpc: this.vpc,
      redis: this.redis,
      redisSecurityGroup: this.redisSecurityGroup,
      redisAuthSecret: this.redisAuthSecret,
      projectRoot: root,
    }).consumer;

    // ALB access logs need the log-delivery principal of the region, known only with a concrete region.
    if (!Token.isUnresolved(this.region)) {
      this.accessLogBucket = new s3.Bucket(this, 'AlbAccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED, // ALB log delivery supports SSE-S3 only
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: false,
        lifecycleRules: [{ expiration: Duration.days(90) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      alb.logAccessLogs(this.accessLogBucket, 'bidder-alb');
      Validations.of(this.accessLogBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'This bucket only receives the load balancer\'s access logs; server access logging on it would log the log deliveries themselves into yet another bucket.',
      });
    } else {
      Validations.of(alb).acknowledge({
        id: 'AwsSolutions-ELB2',
        reason:
          'Access logs are enabled whenever the stack has a concrete region (cdk synth/deploy through the CLI always has one): the S3 bucket policy must name the region\'s ELB log-delivery principal. Only region-agnostic programmatic synthesis (tests, the local stack) has no bucket.',
      });
    }

    const scaling = this.service.service.autoScaleTaskCount({
      minCapacity: props.minTasks ?? 2,
      maxCapacity: props.maxTasks ?? 20,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: props.requestsPerTargetPerMinute ?? 60_000,
      targetGroup,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });

    // The execution role pulls the image, writes the container's log stream and fetches the secrets.
    // ecr:GetAuthorizationToken has no resource-level permissions.
    const executionRole = taskDefinition.obtainExecutionRole();
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken (image pull by the ECS agent) does not support resource-level permissions, so ECS grants it on "*"; repository, log group and secret permissions are scoped to their ARNs.',
    });

    // --- spend reconciliation (Kinesis consumer) ---------------------------------------------------
    const reconciliation = addSpendReconciliation(this, { bidEvents: this.bidEvents, spendTable: props.spendTable, projectRoot: root });
    this.reconcileDlq = reconciliation.dlq;
    this.reconcile = reconciliation.consumer;
    // A consumer must know an event type before bidders publish it (else poison records): on a deploy
    // that adds one, the function is updated before the service rolls out new tasks.
    this.service.service.node.addDependency(this.reconcile);

    // --- alarms, next to what they watch ------------------------------------------------------------
    Object.assign(
      this.alarms,
      addBiddingAlarms(this, {
        loadBalancer: alb,
        redisMemoryUsagePercent: budgetStore.memoryUsagePercent,
        reconcileDlq: this.reconcileDlq,
        bidLatencyP99BudgetMs: props.bidLatencyP99BudgetMs ?? 80,
      }),
    );

    // --- outputs -----------------------------------------------------------------------------------
    new CfnOutput(this, 'BidderUrl', { value: this.bidderUrl, description: 'Base URL of the bid endpoint (POST /openrtb2/auction)' });
    new CfnOutput(this, 'BidEventsStreamName', { value: this.bidEvents.streamName, description: 'Kinesis stream of bid events' });
  }

  /** The endpoint checked (props may bypass build-app's context parsing); the certificate must be in this region. */
  private checkedHttpsEndpoint(endpoint: BidderHttpsEndpoint): BidderHttpsEndpoint {
    const checked = checkHttpsEndpoint(endpoint);
    const region = certificateRegion(checked.certificateArn);
    if (!Token.isUnresolved(this.region) && region !== this.region) {
      throw new BidderEndpointError(
        `${BIDDER_CONTEXT.certificateArn} is a certificate of ${region}, but ${this.stackName} deploys to ${this.region}: a load balancer needs an ACM certificate of its own region.`,
      );
    }
    return checked;
  }
}
