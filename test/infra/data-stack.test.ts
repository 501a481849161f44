import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataStack } from '../../infra/stacks/data-stack.js';

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
}

/** Synthesizes `app` with the AwsSolutions pack and returns every violation (errors and warnings). */
function runNag(app: App, outdir: string): Violation[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (err) {
    // Errors and warnings both fail synthesis; the report lists them all.
    if ((err as Error).name !== 'ValidationFailed') throw err;
  }
  const report = join(outdir, 'validation-report.json');
  if (!existsSync(report)) return [];
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { violations: Violation[] }[] };
  return parsed.pluginReports.flatMap((r) => r.violations);
}

const tables = (t: Template) => t.findResources('AWS::DynamoDB::Table');

type TableInfo = { id: string; props: Record<string, any>; resource: Record<string, any> };

describe('DataStack', () => {
  let template: Template;
  let deals: TableInfo;
  let history: TableInfo;
  let idempotency: TableInfo;
  let spend: TableInfo;
  let rateLimit: TableInfo;
  let changeEvents: TableInfo;
  let engagement: TableInfo;

  beforeAll(() => {
    // Prepare
    const app = new App();
    const stack = new DataStack(app, 'Data');
    // Act
    template = Template.fromStack(stack);
    const all = tables(template);
    const byLogicalId = (prefix: string): TableInfo => {
      const id = Object.keys(all).find((k) => k.startsWith(prefix))!;
      return { id, props: all[id]!.Properties, resource: all[id]! };
    };
    deals = byLogicalId('Deals');
    history = byLogicalId('History');
    idempotency = byLogicalId('Idempotency');
    spend = byLogicalId('Spend');
    rateLimit = byLogicalId('RateLimit');
    changeEvents = byLogicalId('ChangeEvents');
    engagement = byLogicalId('Engagement');
  });

  it('defines exactly seven tables, named by CloudFormation', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 7);
    for (const t of [deals, history, idempotency, spend, rateLimit, changeEvents, engagement]) expect(t.props.TableName).toBeUndefined();
  });

  it('keeps applied-event markers and held deals in a change-events table keyed by pk, expiring markers on expiresAt, retained', () => {
    // Assess
    expect(changeEvents.props.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(changeEvents.props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(changeEvents.props.StreamSpecification).toBeUndefined();
    // Held-deal items order replays after an outage: losing them with the stack would reorder events.
    expect(changeEvents.resource.DeletionPolicy).toBe('Retain');
    expect(changeEvents.props.DeletionProtectionEnabled).toBe(true);
  });

  it('lists engagement scores per account and per account and tier, highest first, through two indexes on one sort key', () => {
    // Assess
    expect(engagement.props.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const indexes = (engagement.props.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map((i) => [i.IndexName, i.KeySchema, i.Projection]);
    expect(indexes).toEqual([
      ['byAccountScore', [{ AttributeName: 'gsiAccountPk', KeyType: 'HASH' }, { AttributeName: 'gsiScoreSk', KeyType: 'RANGE' }], { ProjectionType: 'ALL' }],
      ['byAccountTierScore', [{ AttributeName: 'gsiAccountTierPk', KeyType: 'HASH' }, { AttributeName: 'gsiScoreSk', KeyType: 'RANGE' }], { ProjectionType: 'ALL' }],
    ]);
    expect(engagement.resource.DeletionPolicy).toBe('Retain');
  });

  it('counts requests per client and window in a rate-limit table keyed by pk, expiring on expiresAt, without a stream', () => {
    // Assess
    expect(rateLimit.props.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(rateLimit.props.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(rateLimit.props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(rateLimit.props.StreamSpecification).toBeUndefined();
    expect(rateLimit.props.GlobalSecondaryIndexes).toBeUndefined();
    // Counters of windows seconds long: nothing to keep when the stack goes.
    expect(rateLimit.resource.DeletionPolicy).toBe('Delete');
    expect(rateLimit.props.DeletionProtectionEnabled).toBeUndefined();
  });

  it('keys deals, history and spend by pk/sk strings and idempotency by id', () => {
    // Assess
    for (const t of [deals, history, spend]) {
      expect(t.props.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    }
    expect(idempotency.props.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(idempotency.props.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);
  });

  it('streams deal changes with old and new images; history and idempotency have no stream', () => {
    // Assess
    expect(deals.props.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(history.props.StreamSpecification).toBeUndefined();
    expect(idempotency.props.StreamSpecification).toBeUndefined();
    expect(spend.props.StreamSpecification).toBeUndefined();
  });

  it('is on demand, AWS-managed KMS encrypted and point-in-time recoverable', () => {
    // Assess
    for (const t of [deals, history, idempotency, spend, rateLimit]) {
      expect(t.props.BillingMode).toBe('PAY_PER_REQUEST');
      // SSEEnabled without SSEType/KMSMasterKeyId = KMS with the AWS managed key aws/dynamodb.
      expect(t.props.SSESpecification).toEqual({ SSEEnabled: true });
      expect(t.props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('expires deals items and spend event markers on expiresAt and idempotency records on expiration; never history', () => {
    // Assess
    expect(deals.props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(spend.props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(idempotency.props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(history.props.TimeToLiveSpecification).toBeUndefined();
  });

  it('lists deals by account, by account+status and by account+type, newest first by the shared sort key', () => {
    // Assess
    const gsi = (name: string, pk: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: 'gsiAccountSk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    expect(deals.props.GlobalSecondaryIndexes).toEqual([
      gsi('byAccount', 'gsiAccountPk'),
      gsi('byAccountStatus', 'gsiAccountStatusPk'),
      gsi('byAccountType', 'gsiAccountTypePk'),
    ]);
    expect(new Set(deals.props.AttributeDefinitions)).toEqual(
      new Set(
        ['pk', 'sk', 'gsiAccountPk', 'gsiAccountSk', 'gsiAccountStatusPk', 'gsiAccountTypePk'].map((n) => ({
          AttributeName: n,
          AttributeType: 'S',
        })),
      ),
    );
    expect(history.props.GlobalSecondaryIndexes).toBeUndefined();
    expect(spend.props.GlobalSecondaryIndexes).toBeUndefined();
    expect(spend.props.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
  });

  it('retains and deletion-protects deals, history and spend; idempotency goes with the stack', () => {
    // Assess
    for (const t of [deals, history, spend]) {
      expect(t.resource.DeletionPolicy).toBe('Retain');
      expect(t.resource.UpdateReplacePolicy).toBe('Retain');
      expect(t.props.DeletionProtectionEnabled).toBe(true);
    }
    expect(idempotency.resource.DeletionPolicy).toBe('Delete');
  });

  it('exposes the spend table to other stacks', () => {
    // Prepare
    const app = new App();
    const data = new DataStack(app, 'Data');
    // Assess
    expect(Stack.of(data).getLogicalId(data.spendTable.node.defaultChild as any)).toBe(spend.id);
  });

  it('grantHistoryAppend allows PutItem and reads on history, never UpdateItem or DeleteItem', () => {
    // Prepare
    const app = new App();
    const data = new DataStack(app, 'Data');
    const role = new iam.Role(data, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // Act
    data.grantHistoryAppend(role);
    // Assess
    const policies = Template.fromStack(data).findResources('AWS::IAM::Policy');
    const actions = Object.values(policies).flatMap((p: any) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()),
    );
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions).toContain('dynamodb:Query');
    expect(actions.some((a: string) => /UpdateItem|DeleteItem|\*/.test(a))).toBe(false);
    Template.fromStack(data).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Resource: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^History'), 'Arn'] }]) }),
        ]),
      },
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const outdir = () => {
      const d = mkdtempSync(join(tmpdir(), 'nag-'));
      dirs.push(d);
      return d;
    };

    it('reports nothing unacknowledged for DataStack (no acknowledgements are needed)', () => {
      // Prepare
      const dir = outdir();
      const app = new App({ outdir: dir });
      new DataStack(app, 'Data');
      // Act
      const violations = runNag(app, dir);
      // Assess
      expect(violations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.startsWith('Data/')))).toEqual([]);
    });

    it('is really checking: a table without PITR in the same harness is reported (AwsSolutions-DDB3)', () => {
      // Prepare
      const dir = outdir();
      const app = new App({ outdir: dir });
      const stack = new Stack(app, 'Control');
      new dynamodb.Table(stack, 'NoPitr', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
      // Act
      const violations = runNag(app, dir);
      // Assess
      expect(violations.map((v) => v.ruleName)).toContain('AwsSolutions-DDB3');
    });
  });
});
