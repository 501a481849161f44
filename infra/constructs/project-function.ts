import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type DynamoDbAction, type TableGrant, WRITE_ACTIONS } from '../../shared/adapters/dynamodb/iam-grants.js';

/** The repository root: entries, the lock file and tsconfig.json are resolved against it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How a function may use a table: a named level, or exactly the actions it needs (a TableGrant from
 * shared/adapters/dynamodb/iam-grants.ts; the API's routes use only those).
 * - `read`: GetItem, BatchGetItem, Query, Scan, ConditionCheckItem, DescribeTable.
 * - `readWrite`: `read` plus PutItem, UpdateItem, DeleteItem, BatchWriteItem.
 * - `append`: `read` minus Scan/BatchGetItem, plus PutItem only. For tables whose items are
 *   never updated or deleted by this function (the audit/history table): no UpdateItem,
 *   DeleteItem or BatchWriteItem. A TransactWriteItems call needs PutItem on each item it puts.
 */
export type TableAccess = 'read' | 'readWrite' | 'append';
export type { DynamoDbAction, TableGrant };

export const TABLE_ACCESS_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  read: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
  ],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  append: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
    'dynamodb:PutItem',
  ],
};

export interface BindOptions {
  /** Environment variable that receives the table name, e.g. `DEALS_TABLE_NAME`. */
  readonly envVar: string;
  readonly access: TableAccess | TableGrant;
}

export interface ProjectFunctionProps {
  /** Handler module, relative to the repository root, e.g. `functions/api/deals/create.ts`. */
  readonly entry: string;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  readonly description?: string;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** POWERTOOLS_SERVICE_NAME. @default 'dealdesk' */
  readonly serviceName?: string;
  /** POWERTOOLS_METRICS_NAMESPACE. @default 'DealDesk' */
  readonly metricsNamespace?: string;
  /** LOG_LEVEL read by the Powertools logger. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Extra environment variables. */
  readonly environment?: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Directory `entry` is relative to (holds package-lock.json and tsconfig.json). @default REPO_ROOT */
  readonly projectRoot?: string;
  /** Runs the function in this VPC (to reach something only there, e.g. ElastiCache); its role may then manage the function's network interfaces. */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The project's Lambda function: nodejs24.x on arm64, X-Ray active tracing, minified ESM bundle with
 * source maps built by the locally installed esbuild (never Docker), an explicit log group with
 * one-month retention, and its own execution role that may write only to that log group (no
 * AWSLambdaBasicExecutionRole managed policy).
 *
 * Tables are attached with `bind(table, { envVar, access })`, which grants the access and sets the
 * environment variable in one step, so a handler never has a table name without the permission
 * or the other way round.
 */
export class ProjectFunction extends NodejsFunction {
  /** The function's log group (explicit, with retention; also `this.logGroup`). */
  readonly functionLogGroup: logs.LogGroup;
  /** Repository-relative entry, as given. */
  readonly entryPath: string;
  /** Table bindings made so far: env var → access. */
  readonly bindings: Record<string, TableAccess | TableGrant> = {};

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const root = props.projectRoot ?? REPO_ROOT;
    const entry = join(root, props.entry);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry,
      handler: props.handler ?? 'handler',
      description: props.description ?? props.entry,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups } : {}),
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'dealdesk',
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'DealDesk',
        LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
      bundling: {
        // Local esbuild only: CDK finds it with require.resolve('esbuild') from aws-cdk-lib (the
        // devDependency in node_modules) and runs it through `npx --no-install esbuild`.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // Bundle the SDK too: the version we test against is the version that runs, and the
        // bundle runs unchanged outside Lambda (the local stack runs the assets from cdk.out).
        bundleAwsSDK: true,
        logLevel: LogLevel.WARNING,
        tsconfig: join(root, 'tsconfig.json'),
        // ESM bundles of CommonJS dependencies still call require() for Node built-ins.
        banner:
          "import { createRequire as __ddCreateRequire } from 'node:module'; const require = __ddCreateRequire(import.meta.url);",
      },
    });
    this.functionLogGroup = logGroup;
    this.entryPath = props.entry;

    // The network interfaces of a function in a VPC: what the managed AWSLambdaVPCAccessExecutionRole
    // grants (CDK adds that policy only to roles it creates), inline instead of a managed policy.
    if (props.vpc) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }

    // X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions; Lambda
    // adds them with Resource "*" when tracing is active. With the VPC's interface actions above, the
    // only wildcards on the role.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.vpc
        ? 'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so Lambda grants them on "*"; and the function runs in a VPC: Lambda creates and deletes its network interfaces with the ec2 actions of AWSLambdaVPCAccessExecutionRole, granted on "*" as in that managed policy (Describe* support no resource-level permissions). Table, secret and log permissions are scoped to their ARNs.'
        : 'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so Lambda grants them on "*". Table and log permissions are scoped to their ARNs.',
    });
  }

  /**
   * Grants this function `access` to `table` and sets `envVar` to the table's name.
   * A named level covers the table and each of its secondary indexes, named explicitly (no `index/*`).
   * A TableGrant puts its `actions` on the table only and its `indexActions` on the indexes only; a
   * grant with no action at all sets the variable and adds no statement.
   */
  bind(table: dynamodb.ITable, options: BindOptions): this {
    const existing = this.bindings[options.envVar];
    if (existing !== undefined) {
      throw new Error(`${this.node.path}: ${options.envVar} is already bound (${JSON.stringify(existing)})`);
    }
    this.bindings[options.envVar] = options.access;
    const arns = tableResourceArns(table);
    const statements: { actions: readonly string[]; resources: string[] }[] =
      typeof options.access === 'string'
        ? [{ actions: TABLE_ACCESS_ACTIONS[options.access], resources: arns }]
        : [
            { actions: options.access.actions.map(withPrefix), resources: [table.tableArn] },
            { actions: (options.access.indexActions ?? []).map(withPrefix), resources: arns.slice(1) },
          ];
    const granted = statements.filter((statement) => statement.actions.length > 0 && statement.resources.length > 0);
    for (const statement of granted) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: [...statement.actions], resources: statement.resources }));
    }
    const actions = granted.flatMap((statement) => statement.actions);
    if (table.encryptionKey && actions.length > 0) {
      const writes = actions.some((action) => (WRITE_ACTIONS as readonly string[]).includes(action.replace(/^dynamodb:/, '')));
      if (writes) table.encryptionKey.grantEncryptDecrypt(this);
      else table.encryptionKey.grantDecrypt(this);
    }
    this.addEnvironment(options.envVar, table.tableName);
    return this;
  }
}

const withPrefix = (action: DynamoDbAction): string => `dynamodb:${action}`;

/** The table's ARN plus one ARN per secondary index, read from the table's CloudFormation shape. */
export function tableResourceArns(table: dynamodb.ITable): string[] {
  const arns = [table.tableArn];
  const cfn = table.node.defaultChild as dynamodb.CfnTable | undefined;
  if (!cfn || !(cfn instanceof Object) || !('globalSecondaryIndexes' in cfn)) {
    // An imported table: we cannot see its indexes, so allow them all.
    arns.push(`${table.tableArn}/index/*`);
    return arns;
  }
  const stack = Stack.of(cfn);
  const names = new Set<string>();
  for (const list of [cfn.globalSecondaryIndexes, cfn.localSecondaryIndexes]) {
    const resolved: unknown = stack.resolve(list);
    if (!Array.isArray(resolved)) continue;
    for (const index of resolved) {
      const name = (index as { indexName?: unknown; IndexName?: unknown }).indexName ??
        (index as { IndexName?: unknown }).IndexName;
      if (typeof name !== 'string') throw new Error(`cannot read an index name of ${table.node.path}`);
      names.add(name);
    }
  }
  for (const name of names) arns.push(`${table.tableArn}/index/${name}`);
  return arns;
}

