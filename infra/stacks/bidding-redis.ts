import { Duration, Validations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Redis port (the engine default; see the AEC5 acknowledgement). */
export const REDIS_PORT = 6379;
export const REDIS_ENGINE_VERSION = '7.1';
/** ElastiCache parameter-group family of REDIS_ENGINE_VERSION (Redis 7.x: `redis7`). */
export const REDIS_PARAMETER_GROUP_FAMILY = `redis${REDIS_ENGINE_VERSION.split('.')[0]}`;
/**
 * Budget and frequency-cap state must never be evicted: at maxmemory Redis refuses writes instead
 * (the bidder then stops its own line items, fail closed) rather than silently dropping a campaign-day.
 */
export const REDIS_MAXMEMORY_POLICY = 'noeviction';
/**
 * Replicas a budget commit waits for (WAIT) before the bidder treats it as billed: a failover then
 * promotes a replica that holds it. The task gets it as REDIS_REPLICAS_TO_ACK.
 */
export const REDIS_REPLICAS_TO_ACK = 1;
/** Memory alarm threshold (DatabaseMemoryUsagePercentage of the fullest node). */
export const REDIS_MEMORY_ALARM_PERCENT = 80;

export interface BudgetStoreProps {
  readonly vpc: ec2.IVpc;
  readonly authSecret: secretsmanager.ISecret;
  readonly nodeType: string;
  /** Read replicas besides the primary; at least REDIS_REPLICAS_TO_ACK, at most 5 (ElastiCache). */
  readonly replicas: number;
}

export interface BudgetStore {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly parameterGroup: elasticache.CfnParameterGroup;
  readonly securityGroup: ec2.SecurityGroup;
  /** DatabaseMemoryUsagePercentage of the fullest node, per minute (the primary moves on failover). */
  readonly memoryUsagePercent: cloudwatch.IMetric;
}

/**
 * The budget-lease and frequency-cap store: an ElastiCache Redis replication group with failover,
 * TLS, AUTH and its own parameter group. Created directly in `stack`, not in a child construct: a
 * construct would change the logical ids, and CloudFormation would replace the replication group.
 */
export function addBudgetStore(stack: Stack, props: BudgetStoreProps): BudgetStore {
  if (!Number.isInteger(props.replicas) || props.replicas < REDIS_REPLICAS_TO_ACK || props.replicas > 5) {
    throw new Error(
      `redisReplicas must be a whole number from ${REDIS_REPLICAS_TO_ACK} to 5: budget commits wait for ${REDIS_REPLICAS_TO_ACK} replica(s) (REDIS_REPLICAS_TO_ACK), got ${props.replicas}`,
    );
  }
  const securityGroup = new ec2.SecurityGroup(stack, 'RedisSecurityGroup', {
    vpc: props.vpc,
    description: 'dealdesk Redis: 6379 from the bidder tasks only',
    allowAllOutbound: false,
  });
  const subnets = new elasticache.CfnSubnetGroup(stack, 'RedisSubnets', {
    description: 'dealdesk Redis: private subnets',
    subnetIds: props.vpc.privateSubnets.map((s) => s.subnetId),
  });
  // The default group (default.redis7) evicts keys with a TTL under memory pressure (volatile-lru),
  // and budget keys have TTLs.
  const parameterGroup = new elasticache.CfnParameterGroup(stack, 'RedisParameters', {
    cacheParameterGroupFamily: REDIS_PARAMETER_GROUP_FAMILY,
    description: 'dealdesk budget leases and frequency caps: never evict (noeviction)',
    properties: { 'maxmemory-policy': REDIS_MAXMEMORY_POLICY },
  });
  const nodeCount = 1 + props.replicas;
  const replicationGroup = new elasticache.CfnReplicationGroup(stack, 'Redis', {
    replicationGroupDescription: 'dealdesk budget leases and frequency caps',
    engine: 'redis',
    engineVersion: REDIS_ENGINE_VERSION,
    cacheNodeType: props.nodeType,
    cacheParameterGroupName: parameterGroup.ref,
    numCacheClusters: nodeCount,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    atRestEncryptionEnabled: true,
    transitEncryptionEnabled: true,
    transitEncryptionMode: 'required',
    authToken: props.authSecret.secretValue.unsafeUnwrap(),
    port: REDIS_PORT,
    cacheSubnetGroupName: subnets.ref,
    securityGroupIds: [securityGroup.securityGroupId],
    autoMinorVersionUpgrade: true,
    // Leases are short-lived and budgets live in DynamoDB: a day of snapshots is enough to inspect.
    snapshotRetentionLimit: 1,
  });
  Validations.of(replicationGroup).acknowledge({
    id: 'AwsSolutions-AEC5',
    reason:
      'Redis listens on its default port 6379: the replication group is only reachable inside the VPC from the bidder security group, with TLS and an AUTH token; a non-default port would add no protection beyond that.',
  });

  // ElastiCache publishes per node; the member clusters of a replication group are `<id>-001`, `-002`, ...
  const perNode = Object.fromEntries(
    Array.from({ length: nodeCount }, (_, index) => {
      const memberId = `${replicationGroup.ref}-${String(index + 1).padStart(3, '0')}`;
      const metric = new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName: 'DatabaseMemoryUsagePercentage',
        dimensionsMap: { CacheClusterId: memberId },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
      return [`node${index + 1}`, metric];
    }),
  );
  const memoryUsagePercent = new cloudwatch.MathExpression({
    expression: `MAX([${Object.keys(perNode).join(', ')}])`,
    usingMetrics: perNode,
    label: 'Redis memory used of maxmemory, fullest node (%)',
    period: Duration.minutes(1),
  });
  return { replicationGroup, parameterGroup, securityGroup, memoryUsagePercent };
}
