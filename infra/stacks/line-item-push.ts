/**
 * Line items by push (docs/bidder.md): the line-item consumer of the domain events. Its SQS FIFO queue
 * takes the deal and campaign events that can change what the bidder bids with (LINE_ITEM_EVENT_TYPES);
 * its function appends each one to the Redis stream every bidder task reads (LINE_ITEM_CHANGES_KEY),
 * and records it applied in the changeEvents table.
 *
 * The function reaches Redis as the bidder tasks do: in the VPC's private subnets, through its own
 * security group (allowed into the Redis group on 6379), with TLS and the AUTH token, which it reads
 * from the secret at cold start (ECS injects it into the tasks; Lambda has no such injection). Its
 * other egress is HTTPS for the AWS APIs: DynamoDB through the VPC's gateway endpoint, Secrets Manager
 * through the NAT gateway. Created directly in the bidding stack (not a child construct), beside the
 * Redis it writes to.
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { APPLIED_EVENTS_GRANT } from '../../shared/adapters/dynamodb/iam-grants.js';
import { LINE_ITEM_CHANGES_KEY } from '../../shared/adapters/redis/line-item-changes.js';
import { LINE_ITEM_EVENT_TYPES } from '../../shared/bidding/line-item-push.js';
import { EventConsumer } from '../constructs/event-consumer.js';
import { REDIS_PORT, REDIS_REPLICAS_TO_ACK } from './bidding-redis.js';

/** Entry of the line-item consumer. */
export const LINE_ITEMS_CONSUMER_ENTRY = 'functions/events/line-items.ts';
/** Its name in applied-event markers, metrics and alarms (EVENT_CONSUMER_NAME). */
export const LINE_ITEMS_CONSUMER_NAME = 'line-items';

export interface LineItemPushProps {
  readonly domainEvents: sns.ITopic;
  /** Applied-event markers: exactly PutItem and GetItem (APPLIED_EVENTS_GRANT). */
  readonly changeEventsTable: dynamodb.ITable;
  readonly vpc: ec2.IVpc;
  readonly redis: elasticache.CfnReplicationGroup;
  readonly redisSecurityGroup: ec2.SecurityGroup;
  readonly redisAuthSecret: secretsmanager.ISecret;
  readonly projectRoot: string;
}

export interface LineItemPush {
  readonly consumer: EventConsumer;
  readonly securityGroup: ec2.SecurityGroup;
}

export function addLineItemPush(stack: Stack, props: LineItemPushProps): LineItemPush {
  const securityGroup = new ec2.SecurityGroup(stack, 'LineItemsConsumerSecurityGroup', {
    vpc: props.vpc,
    description: 'dealdesk line-item consumer: Redis on 6379 and HTTPS to AWS APIs, nothing in',
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs: DynamoDB (gateway endpoint), Secrets Manager (NAT)');
  securityGroup.connections.allowTo(props.redisSecurityGroup, ec2.Port.tcp(REDIS_PORT), 'Redis from the line-item consumer');

  const consumer = new EventConsumer(stack, 'LineItemsConsumer', {
    topic: props.domainEvents,
    consumerName: LINE_ITEMS_CONSUMER_NAME,
    eventTypes: LINE_ITEM_EVENT_TYPES,
    function: {
      entry: LINE_ITEMS_CONSUMER_ENTRY,
      description: `Line items by push: deal and campaign events to the bidders' Redis stream (${LINE_ITEMS_CONSUMER_ENTRY})`,
      serviceName: 'dealdesk-line-items',
      // Cold start: reading the AUTH token and a TLS connection to Redis inside the VPC.
      timeout: Duration.seconds(20),
      memorySize: 512,
      projectRoot: props.projectRoot,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      environment: {
        REDIS_HOST: props.redis.attrPrimaryEndPointAddress,
        REDIS_PORT: props.redis.attrPrimaryEndPointPort,
        REDIS_TLS: 'true',
        REDIS_AUTH_SECRET_ARN: props.redisAuthSecret.secretArn,
        // An append survives a failover before the event counts as applied, as a billed commit does.
        REDIS_REPLICAS_TO_ACK: String(REDIS_REPLICAS_TO_ACK),
        LINE_ITEM_CHANGES_KEY,
      },
    },
  });
  consumer.handler.bind(props.changeEventsTable, { envVar: 'CHANGE_EVENTS_TABLE_NAME', access: APPLIED_EVENTS_GRANT });
  props.redisAuthSecret.grantRead(consumer.handler);
  return { consumer, securityGroup };
}
