// CDK assertions for the bidding stack, plus the bidder's Dockerfile and .dockerignore. Bundling is
// skipped (context `aws:cdk:bundling-stacks: []`) and the consumer's entry is a stub in a temporary
// project root (as in api-stack.test.ts); the image asset is staged (never built) from the repo root.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoticeKeyRingText } from '../../bidder/notice-signing.js';
import { LINE_ITEM_EVENT_TYPES } from '../../shared/bidding/line-item-push.js';
import { INSECURE_LOCAL_HTTP, type BidderHttpsEndpoint } from '../../infra/bidder-endpoint.js';
import { DEFAULT_CONTEXT } from '../../infra/build-app.js';
import { REPO_ROOT } from '../../infra/constructs/project-function.js';
import { applyNag, nagAcknowledgements, nagFindings } from '../../infra/nag.js';
import {
  BIDDER_DOCKERFILE,
  BIDDER_ENV,
  BIDDER_IMAGE_EXCLUDE,
  BIDDER_METRICS,
  BIDDER_SECRET_ENV,
  BIDDING_RUNBOOK,
  BiddingStack,
  NOTICE_SIGNING_FIRST_KEY_ID,
  LINE_ITEMS_CONSUMER_ENTRY,
  REDIS_REPLICAS_TO_ACK,
  SPEND_RECONCILE_ENTRY,
  type BiddingStackProps,
} from '../../infra/stacks/bidding-stack.js';
import { CHANGE_EVENTS_RUNBOOK } from '../../infra/stacks/change-events-alarms.js';
import { CHANGE_PROCESSOR_ENTRY, CHANGE_REDRIVE_ENTRY, ChangeEventsStack, ENGAGEMENT_CONSUMER_ENTRY } from '../../infra/stacks/change-events-stack.js';
import { DEALS_INDEXES, DataStack } from '../../infra/stacks/data-stack.js';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown>; DependsOn?: unknown };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const SKIP_BUNDLING = { ...DEFAULT_CONTEXT, 'aws:cdk:bundling-stacks': [] };
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

let stubRoot: string;

interface Built {
  app: App;
  data: DataStack;
  bidding: BiddingStack;
  template: Template;
  resources: Record<string, Resource>;
  assembly: CloudAssembly;
  outdir: string;
}

/** Data + bidding stacks in one app, with cdk-nag on, synthesized into a temporary directory. */
function build(props: Partial<BiddingStackProps> = {}, options: { region?: string } = {}): Built {
  const outdir = tempDir('dealdesk-bidding-');
  const app = new App({ outdir, context: SKIP_BUNDLING });
  const env = options.region ? { region: options.region } : undefined;
  const data = new DataStack(app, 'DealDesk-Data', { env });
  const events = new ChangeEventsStack(app, 'DealDesk-Events', {
    env,
    dealsTable: data.dealsTable,
    changeEventsTable: data.changeEvents,
    engagementTable: data.engagementTable,
    projectRoot: stubRoot,
  });
  const bidding = new BiddingStack(app, 'DealDesk-Bidding', {
    env,
    dealsTable: data.dealsTable,
    spendTable: data.spendTable,
    changeEventsTable: data.changeEvents,
    domainEvents: events.topic,
    projectRoot: stubRoot,
    endpoint: INSECURE_LOCAL_HTTP,
    ...props,
  });
  applyNag(app);
  const assembly = app.synth();
  const template = Template.fromStack(bidding);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return { app, data, bidding, template, resources, assembly, outdir };
}

const ofType = (b: Built, type: string): [string, Resource][] => Object.entries(b.resources).filter(([, r]) => r.Type === type);
const one = (b: Built, type: string): Resource => {
  const all = ofType(b, type);
  expect(all, type).toHaveLength(1);
  return all[0]![1];
};

function statementsOfRole(b: Built, roleLogicalId: string): Statement[] {
  return ofType(b, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The spend consumer's Kinesis mapping (the line-item consumer has an SQS one). */
const kinesisMapping = (b: Built): Resource => {
  const mappings = ofType(b, 'AWS::Lambda::EventSourceMapping').filter(([, r]) => r.Properties.StartingPosition !== undefined);
  expect(mappings).toHaveLength(1);
  return mappings[0]![1];
};
const lineItemsFunctionId = (b: Built): string => {
  const functions = ofType(b, 'AWS::Lambda::Function').filter(([, r]) => String(r.Properties.Description).includes(LINE_ITEMS_CONSUMER_ENTRY));
  expect(functions).toHaveLength(1);
  return functions[0]![0];
};

let plain: Built; // no region, insecure local HTTP (as the local stack synthesizes it)
let regional: Built; // us-east-1 (as `cdk synth` through the CLI), HTTPS endpoint with exchange CIDRs

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';
const EXCHANGE_CIDRS = ['198.51.100.0/24', '203.0.113.0/24'];
const HTTPS_ENDPOINT: BidderHttpsEndpoint = {
  kind: 'https',
  certificateArn: CERTIFICATE_ARN,
  domainName: 'bid.example.com',
  exchangeCidrs: EXCHANGE_CIDRS,
};

beforeAll(() => {
  stubRoot = tempDir('dealdesk-bidding-stubs-');
  writeFileSync(join(stubRoot, 'package-lock.json'), '{"lockfileVersion":3}');
  mkdirSync(dirname(join(stubRoot, SPEND_RECONCILE_ENTRY)), { recursive: true });
  writeFileSync(join(stubRoot, SPEND_RECONCILE_ENTRY), 'export const handler = async () => ({ batchItemFailures: [] });\n');
  for (const entry of [CHANGE_PROCESSOR_ENTRY, CHANGE_REDRIVE_ENTRY, ENGAGEMENT_CONSUMER_ENTRY, LINE_ITEMS_CONSUMER_ENTRY]) {
    mkdirSync(dirname(join(stubRoot, entry)), { recursive: true });
    writeFileSync(join(stubRoot, entry), 'export const handler = async () => ({});\n');
  }
  plain = build();
  regional = build({ endpoint: HTTPS_ENDPOINT }, { region: 'us-east-1' });
}, 120_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bidder/Dockerfile', () => {
  const text = readFileSync(join(REPO_ROOT, BIDDER_DOCKERFILE), 'utf8');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const froms = lines.filter((l) => /^FROM\s/i.test(l));
  const runtime = lines.slice(lines.lastIndexOf(froms.at(-1)!));

  it('is multi-stage on node 24 bookworm-slim: a build stage and a runtime stage', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]).toMatch(/\bAS build\b/i);
    expect(froms.at(-1)).toMatch(/\bAS runtime\b/i);
    expect(text).toMatch(/NODE_IMAGE=node:24\.\d+-bookworm-slim/);
  });

  it('installs with npm ci and bundles bidder/main.ts with esbuild (esm, node24, source map, createRequire banner)', () => {
    expect(text).toMatch(/RUN .*npm ci/);
    expect(text).toContain('bidder=bidder/main.ts');
    for (const flag of ['--bundle', '--platform=node', '--format=esm', '--target=node24', '--sourcemap', '--outdir=dist', '--out-extension:.js=.mjs']) {
      expect(text).toContain(flag);
    }
    expect(text).toContain("import { createRequire as __ddCreateRequire } from 'node:module'; const require = __ddCreateRequire(import.meta.url);");
  });

  it('runs as the unprivileged node user, never root', () => {
    const users = lines.filter((l) => /^USER\s/i.test(l));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).toBe('USER node');
    expect(runtime).toContain('USER node');
    expect(users.some((u) => /^USER\s+(root|0)(:|\s|$)/i.test(u))).toBe(false);
  });

  it('ships only the bundles and their source maps into the runtime stage', () => {
    const copies = runtime.filter((l) => /^COPY\s/i.test(l));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/--from=build/);
    expect(copies[0]).toContain('/src/dist/bidder.mjs /src/dist/bidder.mjs.map');
    expect(runtime.some((l) => /node_modules/.test(l))).toBe(false);
  });

  it('exposes 8080, checks /health, stops on SIGTERM and starts node dist/bidder.mjs with source maps', () => {
    expect(runtime).toContain('EXPOSE 8080');
    expect(text).toMatch(/NODE_OPTIONS=--enable-source-maps/);
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/health/);
    expect(runtime).toContain('STOPSIGNAL SIGTERM');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/bidder.mjs"]');
  });
});

describe('image build context', () => {
  it('.dockerignore and the fromAsset exclude list are the same allow-list', () => {
    const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(patterns).toEqual([...BIDDER_IMAGE_EXCLUDE]);
    expect(patterns[0]).toBe('*');
  });

  it('stages only package files, tsconfig, bidder/ and shared/ (no node_modules, .tools, .git, tests, docs)', () => {
    // The asset manifest CDK writes next to the template (what `cdk deploy` builds and publishes).
    const manifest = JSON.parse(readFileSync(join(plain.outdir, 'DealDesk-Bidding.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source.dockerFile).toBe(BIDDER_DOCKERFILE);
    expect(images[0]!.source.platform).toBe('linux/arm64');
    const dir = join(plain.outdir, images[0]!.source.directory);
    const top = readdirSync(dir).sort();
    expect(top).toEqual(['.dockerignore', 'bidder', 'package-lock.json', 'package.json', 'shared', 'tsconfig.json']);
    let bytes = 0;
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        expect(name, join(d, name)).not.toBe('node_modules');
        const p = join(d, name);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else bytes += st.size;
      }
    };
    walk(dir);
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
  });
});

describe('network and cluster', () => {
  it('has a VPC over 2 AZs with one NAT gateway and a flow log', () => {
    expect(ofType(plain, 'AWS::EC2::Subnet')).toHaveLength(4);
    expect(ofType(plain, 'AWS::EC2::NatGateway')).toHaveLength(1);
    const flow = one(plain, 'AWS::EC2::FlowLog');
    expect(flow.Properties.ResourceType).toBe('VPC');
    expect(flow.Properties.LogDestinationType).toBe('cloud-watch-logs');
  });

  it('has an ECS cluster with Container Insights', () => {
    expect(one(plain, 'AWS::ECS::Cluster').Properties.ClusterSettings).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
  });
});

describe('bidder service', () => {
  const taskDef = (b: Built) => one(b, 'AWS::ECS::TaskDefinition');
  const container = (b: Built) => (taskDef(b).Properties.ContainerDefinitions as Record<string, any>[])[0]!;

  it('is a Fargate ARM64 (Graviton) task from the bidder image asset', () => {
    const td = taskDef(plain);
    expect(td.Properties.RequiresCompatibilities).toEqual(['FARGATE']);
    expect(td.Properties.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    expect(td.Properties.NetworkMode).toBe('awsvpc');
    expect(JSON.stringify(container(plain).Image)).toContain('container-assets');
  });

  it('runs the container as node, read-only root, port 8080, health check, 30 s stop timeout, non-blocking logs', () => {
    const c = container(plain);
    expect(c.User).toBe('node');
    expect(c.ReadonlyRootFilesystem).toBe(true);
    expect(c.PortMappings).toEqual([{ ContainerPort: 8080, Protocol: 'tcp' }]);
    expect(c.StopTimeout).toBe(30);
    expect(JSON.stringify(c.HealthCheck.Command)).toContain('/health');
    expect(c.LogConfiguration.LogDriver).toBe('awslogs');
    expect(c.LogConfiguration.Options.mode).toBe('non-blocking');
  });

  it('gives the container exactly the documented environment and secrets', () => {
    const c = container(plain);
    const env = Object.fromEntries((c.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(Object.keys(env).sort()).toEqual(Object.values(BIDDER_ENV).sort());
    expect(JSON.stringify(env.NOTICE_BASE_URL)).toMatch(/http:\/\/.*DNSName/);
    const regionalEnv = (container(regional).Environment as { Name: string; Value: unknown }[]).map((e) => e.Name);
    expect(regionalEnv.sort()).toEqual(Object.values(BIDDER_ENV).sort());
    expect(env).toMatchObject({
      PORT: '8080',
      REDIS_TLS: 'true',
      REDIS_REPLICAS_TO_ACK: '1',
      POWERTOOLS_METRICS_NAMESPACE: 'DealDesk/Bidder',
      POWERTOOLS_SERVICE_NAME: 'bidder',
    });
    expect(JSON.stringify(env.DEALS_TABLE_NAME)).toContain('Fn::ImportValue');
    expect(env.REDIS_HOST).toEqual({ 'Fn::GetAtt': ['Redis', 'PrimaryEndPoint.Address'] });
    expect(env.REDIS_PORT).toEqual({ 'Fn::GetAtt': ['Redis', 'PrimaryEndPoint.Port'] });
    const secrets = Object.fromEntries((c.Secrets as { Name: string; ValueFrom: unknown }[]).map((s) => [s.Name, s.ValueFrom]));
    expect(Object.keys(secrets).sort()).toEqual(Object.values(BIDDER_SECRET_ENV).sort());
    const secretIds = ofType(plain, 'AWS::SecretsManager::Secret').map(([id]) => id);
    expect(secrets.REDIS_AUTH).toEqual({ Ref: secretIds.find((i) => i.startsWith('RedisAuthToken')) });
    expect(secrets.EXCHANGE_KEYS).toEqual({ Ref: secretIds.find((i) => i.startsWith('ExchangeKeys')) });
    expect(secrets.NOTICE_SIGNING_KEY).toEqual({ Ref: secretIds.find((i) => i.startsWith('NoticeSigningKey')) });
    // No secret value in plain text anywhere in the task definition.
    expect(JSON.stringify(taskDef(plain))).not.toMatch(/resolve:secretsmanager/);
  });

  it('generates the notice-signing secret as a key ring the bidder reads: {"current":"k1","k1":"<48 chars>"}', () => {
    const [, secret] = ofType(plain, 'AWS::SecretsManager::Secret').find(([id]) => id.startsWith('NoticeSigningKey'))!;
    const generate = secret.Properties.GenerateSecretString;
    expect(generate).toEqual({ SecretStringTemplate: '{"current":"k1"}', GenerateStringKey: 'k1', PasswordLength: 48, ExcludePunctuation: true });
    // What Secrets Manager stores on creation: the template plus the generated key (alphanumerics).
    const created = JSON.stringify({ ...JSON.parse(generate.SecretStringTemplate), [generate.GenerateStringKey]: 'a1'.repeat(24) });
    const ring = NoticeKeyRingText.parse(created);
    expect(ring.current).toBe(NOTICE_SIGNING_FIRST_KEY_ID);
    expect([...ring.keys.keys()]).toEqual([NOTICE_SIGNING_FIRST_KEY_ID]);
  });

  it('runs 2 tasks in private subnets, rolls back failed deployments and keeps full capacity while deploying', () => {
    const svc = one(plain, 'AWS::ECS::Service');
    expect(svc.Properties.DesiredCount).toBe(2);
    expect(svc.Properties.LaunchType).toBe('FARGATE');
    expect(svc.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(svc.Properties.DeploymentConfiguration).toMatchObject({
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
  });

  it('is behind a public ALB whose target group checks /health and drains for 10 s', () => {
    const lb = one(plain, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties.Scheme).toBe('internet-facing');
    expect(lb.Properties.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    );
    const tg = one(plain, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(tg.Properties).toMatchObject({ HealthCheckPath: '/health', Port: 80, Protocol: 'HTTP', TargetType: 'ip', Matcher: { HttpCode: '200' } });
    expect(tg.Properties.TargetGroupAttributes).toEqual(
      expect.arrayContaining([
        { Key: 'deregistration_delay.timeout_seconds', Value: '10' },
        { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
      ]),
    );
  });

  const listeners = (b: Built) => ofType(b, 'AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties);
  const lbSecurityGroupId = (b: Built) => ofType(b, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('BidderLBSecurityGroup'))![0];
  /** Every ingress rule of a security group: inline ones and separate AWS::EC2::SecurityGroupIngress resources. */
  const ingressOf = (b: Built, groupId: string): Record<string, unknown>[] => [
    ...((b.resources[groupId]!.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []),
    ...ofType(b, 'AWS::EC2::SecurityGroupIngress')
      .filter(([, r]) => JSON.stringify(r.Properties.GroupId).includes(groupId))
      .map(([, r]) => r.Properties),
  ];

  it('serves HTTPS on 443 with the certificate and a TLS 1.2+/1.3 forward-secret policy; 80 only redirects to 443', () => {
    const tls = listeners(regional);
    expect(tls).toHaveLength(2);
    expect(tls.find((l) => l.Port === 443)).toMatchObject({
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
    });
    const redirect = tls.find((l) => l.Port === 80)!;
    expect(redirect.Protocol).toBe('HTTP');
    expect(redirect.DefaultActions).toEqual([
      { Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } },
    ]);
    expect(regional.template.toJSON().Outputs.BidderUrl.Value).toBe('https://bid.example.com');
  });

  it('builds notice URLs on https://<bidderDomainName>, the host the certificate is for', () => {
    const env = (container(regional).Environment as { Name: string; Value: unknown }[]).find((e) => e.Name === BIDDER_ENV.noticeBaseUrl);
    expect(env?.Value).toBe('https://bid.example.com');
  });

  it('admits exactly the exchanges\' CIDRs on 443 and 80 (the redirect), nothing else', () => {
    const rules = ingressOf(regional, lbSecurityGroupId(regional)).map((r) => ({ cidr: r.CidrIp, from: r.FromPort, to: r.ToPort, protocol: r.IpProtocol }));
    const expected = EXCHANGE_CIDRS.flatMap((cidr) => [443, 80].map((port) => ({ cidr, from: port, to: port, protocol: 'tcp' })));
    expect(rules).toHaveLength(expected.length);
    expect(rules).toEqual(expect.arrayContaining(expected));
  });

  it('has no ingress from 0.0.0.0/0 or ::/0 anywhere, with TLS or in the local-only HTTP mode', () => {
    for (const b of [plain, regional]) {
      for (const [id] of ofType(b, 'AWS::EC2::SecurityGroup')) {
        for (const rule of ingressOf(b, id)) {
          expect(rule.CidrIp, id).not.toBe('0.0.0.0/0');
          expect(rule.CidrIpv6, id).not.toBe('::/0');
        }
      }
    }
  });

  it('in the local-only HTTP mode, listens on plain HTTP 80 and admits nobody', () => {
    const local = listeners(plain);
    expect(local).toHaveLength(1);
    expect(local[0]).toMatchObject({ Port: 80, Protocol: 'HTTP' });
    expect(ingressOf(plain, lbSecurityGroupId(plain))).toEqual([]);
  });

  it('refuses a certificate of another region, and checks CIDRs given as props', () => {
    const otherRegion = { ...HTTPS_ENDPOINT, certificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') };
    expect(() => build({ endpoint: otherRegion }, { region: 'us-east-1' })).toThrow(/bidderCertificateArn is a certificate of eu-west-1.*us-east-1/);
    expect(() => build({ endpoint: { ...HTTPS_ENDPOINT, exchangeCidrs: ['0.0.0.0/0'] } })).toThrow(/exchangeCidrs entry 1 "0.0.0.0\/0": .*whole internet/);
  });

  it('writes ALB access logs to an SSL-only, encrypted, private bucket when the region is known', () => {
    const lb = one(regional, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties.LoadBalancerAttributes).toEqual(expect.arrayContaining([{ Key: 'access_logs.s3.enabled', Value: 'true' }]));
    const bucket = one(regional, 'AWS::S3::Bucket');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = one(regional, 'AWS::S3::BucketPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    );
    // Without a region there is no bucket, and ELB2 is acknowledged instead.
    expect(ofType(plain, 'AWS::S3::Bucket')).toHaveLength(0);
    expect(nagAcknowledgements(plain.bidding).some((a) => a.id === 'AwsSolutions-ELB2')).toBe(true);
    expect(nagAcknowledgements(regional.bidding).some((a) => a.id === 'AwsSolutions-ELB2')).toBe(false);
  });

  it('autoscales 2-20 tasks on CPU (60 %) and on ALB requests per target', () => {
    const target = one(plain, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target.Properties).toMatchObject({ MinCapacity: 2, MaxCapacity: 20, ScalableDimension: 'ecs:service:DesiredCount' });
    const policies = ofType(plain, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration);
    expect(policies).toHaveLength(2);
    const byType = Object.fromEntries(policies.map((p) => [p.PredefinedMetricSpecification.PredefinedMetricType, p]));
    expect(byType.ECSServiceAverageCPUUtilization.TargetValue).toBe(60);
    expect(byType.ALBRequestCountPerTarget.TargetValue).toBeGreaterThan(0);
    expect(JSON.stringify(byType.ALBRequestCountPerTarget.PredefinedMetricSpecification.ResourceLabel)).toContain('TargetGroupFullName');
  });
});

describe('Redis (ElastiCache)', () => {
  it('is a 2-node Redis 7 replication group with automatic failover, Multi-AZ, TLS, encryption at rest and AUTH', () => {
    const rg = one(plain, 'AWS::ElastiCache::ReplicationGroup');
    expect(rg.Properties).toMatchObject({
      Engine: 'redis',
      EngineVersion: expect.stringMatching(/^7\./),
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      Port: 6379,
    });
    const secretId = ofType(plain, 'AWS::SecretsManager::Secret').find(([id]) => id.startsWith('RedisAuthToken'))![0];
    expect(rg.Properties.AuthToken).toEqual({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] });
    const secret = plain.resources[secretId]!;
    expect(secret.Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true, PasswordLength: 64 });
  });

  it('has at least as many replicas as a budget commit waits for (REDIS_REPLICAS_TO_ACK)', () => {
    const rg = one(plain, 'AWS::ElastiCache::ReplicationGroup');
    expect(REDIS_REPLICAS_TO_ACK).toBeGreaterThanOrEqual(1);
    expect(rg.Properties.NumCacheClusters - 1).toBeGreaterThanOrEqual(REDIS_REPLICAS_TO_ACK);
    expect(() => build({ redisReplicas: 0 })).toThrow(/redisReplicas must be a whole number from 1 to 5.*REDIS_REPLICAS_TO_ACK/);
  });

  it('uses its own parameter group, of the engine version\'s family, that never evicts (maxmemory-policy noeviction)', () => {
    const [groupId, group] = ofType(plain, 'AWS::ElastiCache::ParameterGroup')[0] ?? [];
    expect(group, 'an AWS::ElastiCache::ParameterGroup').toBeDefined();
    const rg = one(plain, 'AWS::ElastiCache::ReplicationGroup');
    expect(rg.Properties.CacheParameterGroupName).toEqual({ Ref: groupId });
    const major = String(rg.Properties.EngineVersion).split('.')[0];
    expect(group!.Properties.CacheParameterGroupFamily).toBe(`redis${major}`);
    expect(group!.Properties.Properties).toEqual({ 'maxmemory-policy': 'noeviction' });
  });

  it('lives in the private subnets behind a security group open on 6379 to the bidder tasks and the line-item consumer only', () => {
    const subnets = one(plain, 'AWS::ElastiCache::SubnetGroup').Properties.SubnetIds as { Ref: string }[];
    expect(subnets.map((s) => s.Ref).every((r) => r.includes('private'))).toBe(true);
    const rg = one(plain, 'AWS::ElastiCache::ReplicationGroup');
    const sgId = rg.Properties.SecurityGroupIds[0]['Fn::GetAtt'][0] as string;
    const sg = plain.resources[sgId]!;
    const serviceSg = one(plain, 'AWS::ECS::Service').Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0];
    const separate = ofType(plain, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties.GroupId).includes(sgId));
    const rules = [...((sg.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []), ...separate.map(([, r]) => r.Properties)];
    const consumerSg = plain.resources[lineItemsFunctionId(plain)]!.Properties.VpcConfig.SecurityGroupIds[0];
    expect(rules).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, SourceSecurityGroupId: serviceSg }),
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, SourceSecurityGroupId: consumerSg }),
    ]);
    expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]); // no egress
  });
});

describe('bid events and spend reconciliation', () => {
  it('streams bid events to a KMS-encrypted Kinesis stream kept at least 24 h', () => {
    const stream = one(plain, 'AWS::Kinesis::Stream');
    expect(stream.Properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    expect(stream.Properties.RetentionPeriodHours).toBeGreaterThanOrEqual(24);
    expect(stream.Properties.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(Object.keys(plain.template.toJSON().Outputs)).toEqual(expect.arrayContaining(['BidderUrl', 'BidEventsStreamName']));
  });

  it('rolls new bidder tasks out only after the spend consumer is updated (it must know every event type they publish)', () => {
    const service = one(plain, 'AWS::ECS::Service');
    const consumerId = ofType(plain, 'AWS::Lambda::Function').find(([id]) => id.startsWith('SpendReconcile'))![0];
    expect(service.DependsOn).toEqual(expect.arrayContaining([consumerId]));
  });

  it('consumes them with partial batch failures, bisection, bounded retries and an SQS DLQ', () => {
    const esm = kinesisMapping(plain);
    expect(esm.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(esm.Properties.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
    const dlqId = esm.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
    const dlq = plain.resources[dlqId]!;
    expect(dlq.Type).toBe('AWS::SQS::Queue');
    expect(dlq.Properties.SqsManagedSseEnabled).toBe(true);
    const queuePolicy = ofType(plain, 'AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties.Queues).includes(dlqId))![1];
    expect(queuePolicy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
    const fn = plain.resources[esm.Properties.FunctionName.Ref as string]!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(fn.Properties.Description).toContain(SPEND_RECONCILE_ENTRY);
  });

  it('binds the spend table (SPEND_TABLE_NAME) to the consumer with exactly the actions it uses: no Scan, GetItem, DeleteItem or BatchWriteItem', () => {
    const fnOf = (b: Built) => b.resources[kinesisMapping(b).Properties.FunctionName.Ref as string]!;
    expect(JSON.stringify(fnOf(regional).Properties.Environment.Variables.SPEND_TABLE_NAME)).toContain('Fn::ImportValue');
    const roleId = fnOf(regional).Properties.Role['Fn::GetAtt'][0] as string;
    const onSpend = statementsOfRole(regional, roleId).filter((s) => JSON.stringify(s.Resource).includes('Spend'));
    const dynamodbActions = onSpend.flatMap(actionsOf).filter((action) => action.startsWith('dynamodb:'));
    expect(dynamodbActions.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });
});

describe('line-item consumer (line items by push)', () => {
  const queueOf = (b: Built, prefix: string): [string, Resource] => {
    const queues = ofType(b, 'AWS::SQS::Queue').filter(([id]) => id.startsWith(prefix));
    expect(queues, prefix).toHaveLength(1);
    return queues[0]!;
  };
  const roleStatements = (b: Built) => statementsOfRole(b, b.resources[lineItemsFunctionId(b)]!.Properties.Role['Fn::GetAtt'][0] as string);

  it('has its own FIFO queue on the domain-events topic: raw delivery, only the event types that change line items, a FIFO dead-letter queue after 5 receives', () => {
    const [queueId, queue] = queueOf(regional, 'LineItemsConsumerQueue');
    const [deadLettersId, deadLetters] = queueOf(regional, 'LineItemsConsumerDeadLetters');
    expect(queue.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
    expect(deadLetters.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
    expect(queue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 5 });
    const subscriptions = ofType(regional, 'AWS::SNS::Subscription').filter(([, r]) => JSON.stringify(r.Properties.Endpoint).includes(queueId));
    expect(subscriptions).toHaveLength(1);
    const subscription = subscriptions[0]![1].Properties;
    expect(subscription).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true });
    expect(JSON.stringify(subscription.TopicArn)).toContain('DomainEvents');
    expect(subscription.FilterPolicy).toEqual({ type: [...LINE_ITEM_EVENT_TYPES] });
    expect(subscription.FilterPolicy.type).toEqual(expect.arrayContaining(['deal.approved', 'deal.paused', 'campaign.activated', 'campaign.amended']));
    expect(subscription.FilterPolicy.type).not.toContain('deal.created');
  });

  it('reads the queue in batches of 10 with partial batch failures', () => {
    const [queueId] = queueOf(regional, 'LineItemsConsumerQueue');
    const mappings = ofType(regional, 'AWS::Lambda::EventSourceMapping').filter(([, r]) => JSON.stringify(r.Properties.EventSourceArn).includes(queueId));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], FunctionName: { Ref: lineItemsFunctionId(regional) } });
  });

  it('runs in the private subnets with the Redis endpoint, TLS, the AUTH secret\'s ARN (never the token), the replicas to wait for and the stream key', () => {
    const fn = regional.resources[lineItemsFunctionId(regional)]!.Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    const subnets = fn.VpcConfig.SubnetIds as { Ref: string }[];
    expect(subnets.length).toBe(2);
    expect(subnets.every((subnet) => subnet.Ref.includes('private'))).toBe(true);
    const secretId = ofType(regional, 'AWS::SecretsManager::Secret').find(([id]) => id.startsWith('RedisAuthToken'))![0];
    expect(fn.Environment.Variables).toMatchObject({
      REDIS_HOST: { 'Fn::GetAtt': ['Redis', 'PrimaryEndPoint.Address'] },
      REDIS_PORT: { 'Fn::GetAtt': ['Redis', 'PrimaryEndPoint.Port'] },
      REDIS_TLS: 'true',
      REDIS_AUTH_SECRET_ARN: { Ref: secretId },
      REDIS_REPLICAS_TO_ACK: String(REDIS_REPLICAS_TO_ACK),
      LINE_ITEM_CHANGES_KEY: 'line-items:changes',
      EVENT_CONSUMER_NAME: 'line-items',
    });
    expect(JSON.stringify(fn.Environment.Variables.CHANGE_EVENTS_TABLE_NAME)).toContain('ChangeEvents');
    expect(fn.Environment.Variables).not.toHaveProperty('REDIS_AUTH');
  });

  it('has a security group that admits nothing and reaches only Redis (6379) and HTTPS', () => {
    const sgId = regional.resources[lineItemsFunctionId(regional)]!.Properties.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0] as string;
    const sg = regional.resources[sgId]!.Properties;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(ofType(regional, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties.GroupId).includes(sgId))).toEqual([]);
    const separate = ofType(regional, 'AWS::EC2::SecurityGroupEgress').filter(([, r]) => JSON.stringify(r.Properties.GroupId).includes(sgId)).map(([, r]) => r.Properties);
    const redisSg = one(regional, 'AWS::ElastiCache::ReplicationGroup').Properties.SecurityGroupIds[0];
    expect([...sg.SecurityGroupEgress, ...separate]).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, DestinationSecurityGroupId: redisSg }),
    ]);
  });

  it('may put and get its markers on the changeEvents table, read the Redis AUTH secret and take from its queue: nothing else', () => {
    const statements = roleStatements(regional);
    const dynamodb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb).toHaveLength(1);
    expect(actionsOf(dynamodb[0]!).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(JSON.stringify(dynamodb[0]!.Resource)).toMatch(/ChangeEvents.*Arn/);
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    const secretId = ofType(regional, 'AWS::SecretsManager::Secret').find(([id]) => id.startsWith('RedisAuthToken'))![0];
    expect(secrets).toEqual([expect.objectContaining({ Resource: { Ref: secretId } })]);
    expect(actionsOf(secrets[0]!).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    const [queueId] = queueOf(regional, 'LineItemsConsumerQueue');
    for (const s of statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))) expect(s.Resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'ec2', 'logs', 'secretsmanager', 'sqs', 'xray']);
    // Wildcard resources only where AWS allows nothing narrower: X-Ray and the VPC's network interfaces.
    for (const s of statements.filter((s) => JSON.stringify(s.Resource) === '"*"')) {
      expect(actionsOf(s).every((a) => a.startsWith('xray:') || /^ec2:(Create|Describe|Delete|Assign|Unassign)/.test(a)), JSON.stringify(s)).toBe(true);
    }
  });
});

describe('task role (least privilege)', () => {
  const taskRoleId = (b: Built) => one(b, 'AWS::ECS::TaskDefinition').Properties.TaskRoleArn['Fn::GetAtt'][0] as string;

  it('reads the deals table and its indexes (GetItem/Query/Scan) and never writes to any table', () => {
    const statements = statementsOfRole(plain, taskRoleId(plain));
    const dealsId = plain.data.getLogicalId(plain.data.dealsTable.node.defaultChild as CfnElement);
    const onDeals = statements.filter((s) => JSON.stringify(s.Resource).includes(dealsId));
    expect(onDeals).toHaveLength(1);
    expect(actionsOf(onDeals[0]!).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']);
    const text = JSON.stringify(onDeals[0]!.Resource);
    expect(text).toContain(dealsId);
    for (const index of Object.keys(DEALS_INDEXES)) expect(text).toContain(`/index/${index}`);
    expect(text).not.toContain('index/*');
    // On the spend table: reads (totals, consumer watermarks), and UpdateItem only for a campaign-day's
    // opening attributes, so a bidder can never change recorded spend or a watermark.
    const spendId = regional.data.getLogicalId(regional.data.spendTable.node.defaultChild as CfnElement);
    const onSpend = statementsOfRole(regional, taskRoleId(regional)).filter((s) => JSON.stringify(s.Resource).includes(spendId));
    expect(onSpend.flatMap(actionsOf).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
    const update = onSpend.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'))!;
    expect(actionsOf(update)).toEqual(['dynamodb:UpdateItem']);
    expect(update.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'openedAt', 'openedBy'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    });
    for (const b of [plain, regional]) {
      const all = statementsOfRole(b, taskRoleId(b)).flatMap(actionsOf);
      expect(all.filter((a) => /^dynamodb:(Put|Delete|BatchWrite|PartiQL|TransactWrite)/.test(a))).toEqual([]);
      const updates = statementsOfRole(b, taskRoleId(b)).filter((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
      expect(updates.every((s) => JSON.stringify(s.Condition ?? {}).includes('dynamodb:Attributes'))).toBe(true);
    }
  });

  it('may put records on the bid-events stream and read its three secrets, nothing else, no wildcards', () => {
    const statements = statementsOfRole(plain, taskRoleId(plain));
    const streamId = ofType(plain, 'AWS::Kinesis::Stream')[0]![0];
    const kinesis = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kinesis:')));
    expect(kinesis).toEqual([expect.objectContaining({ Action: ['kinesis:PutRecords', 'kinesis:ListShards'], Resource: { 'Fn::GetAtt': [streamId, 'Arn'] } })]);
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toHaveLength(3);
    const secretIds = ofType(plain, 'AWS::SecretsManager::Secret').map(([id]) => id);
    for (const prefix of ['RedisAuthToken', 'ExchangeKeys', 'NoticeSigningKey']) {
      expect(secrets.some((s) => JSON.stringify(s.Resource).includes(secretIds.find((i) => i.startsWith(prefix))!))).toBe(true);
    }
    for (const s of secrets) expect(actionsOf(s).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'kinesis', 'secretsmanager']);
    for (const s of statements) {
      expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"/);
      for (const a of actionsOf(s)) expect(a).not.toContain('*');
    }
  });
});

describe('alarms', () => {
  const alarms = (b: Built) => ofType(b, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const byMetric = (b: Built, metric: string) => alarms(b).filter((a) => a.MetricName === metric);

  it('watch the bidder\'s EMF metrics: BidLatency p99 > 80 ms, Http5xx, DspBreakerOpen, Overspend > 0, EventBufferDrops > 0', () => {
    const bidder = alarms(plain).filter((a) => a.Namespace === BIDDER_METRICS.namespace);
    for (const a of bidder) expect(a.Dimensions).toEqual([{ Name: 'Service', Value: BIDDER_METRICS.service }]);
    expect(byMetric(plain, 'BidLatency')).toEqual([expect.objectContaining({ ExtendedStatistic: 'p99', Threshold: 80, ComparisonOperator: 'GreaterThanThreshold' })]);
    expect(byMetric(plain, 'Http5xx')).toHaveLength(1);
    expect(byMetric(plain, 'ForgedNotices')).toEqual([expect.objectContaining({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' })]);
    expect(byMetric(plain, 'DspBreakerOpen')).toHaveLength(1);
    expect(byMetric(plain, 'Overspend')).toEqual([expect.objectContaining({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Statistic: 'Sum' })]);
    expect(byMetric(plain, 'EventBufferDrops')).toEqual([expect.objectContaining({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' })]);
    expect(byMetric(plain, 'RebuildWaitingForLedger')).toEqual([expect.objectContaining({ Threshold: 0, EvaluationPeriods: 5, DatapointsToAlarm: 5 })]);
  });

  it('watch Redis memory: DatabaseMemoryUsagePercentage of the fullest node > 80 % for 5 minutes', () => {
    const memory = alarms(plain).filter((a) => JSON.stringify(a.Metrics ?? []).includes('DatabaseMemoryUsagePercentage'));
    expect(memory).toHaveLength(1);
    const alarm = memory[0]!;
    expect(alarm).toMatchObject({ Threshold: 80, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 5 });
    expect(alarm.AlarmDescription).toMatch(/noeviction/);
    const queries = alarm.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: any }[];
    const nodes = queries.filter((q) => q.MetricStat);
    // One query per member cluster of the replication group (<id>-001, -002, ...): the primary moves on failover.
    const members = one(plain, 'AWS::ElastiCache::ReplicationGroup').Properties.NumCacheClusters as number;
    expect(nodes).toHaveLength(members);
    nodes.forEach((node, index) => {
      expect(node.MetricStat).toMatchObject({ Stat: 'Maximum', Period: 60 });
      expect(node.MetricStat.Metric).toEqual({
        Namespace: 'AWS/ElastiCache',
        MetricName: 'DatabaseMemoryUsagePercentage',
        Dimensions: [{ Name: 'CacheClusterId', Value: { 'Fn::Join': ['', [{ Ref: 'Redis' }, `-00${index + 1}`]] } }],
      });
    });
    const result = queries.filter((q) => q.ReturnData !== false);
    expect(result).toEqual([expect.objectContaining({ Expression: `MAX([${nodes.map((n) => n.Id).join(', ')}])` })]);
  });

  it('watch the ALB target 5xx and the consumers\' dead-letter queues', () => {
    expect(byMetric(plain, 'HTTPCode_Target_5XX_Count')).toEqual([expect.objectContaining({ Namespace: 'AWS/ApplicationELB' })]);
    const dlq = byMetric(plain, 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toEqual([expect.objectContaining({ Namespace: 'AWS/SQS', Threshold: 0 }), expect.objectContaining({ Namespace: 'AWS/SQS', Threshold: 0 })]);
    expect(dlq.map((alarm) => JSON.stringify(alarm.Dimensions)).sort()).toEqual([expect.stringContaining('LineItemsConsumerDeadLetters'), expect.stringContaining('ReconcileDlq')]);
  });

  it('each link a runbook section that exists (the bidding runbook; the event consumer\'s, the change-events one)', () => {
    const slugsOf = (runbook: string) =>
      new Set(
        readFileSync(join(REPO_ROOT, runbook), 'utf8')
          .split('\n')
          .filter((l) => /^#{1,6}\s/.test(l))
          .map((l) => l.replace(/^#+\s*/, '').trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')),
      );
    const slugs: Record<string, Set<string>> = { [BIDDING_RUNBOOK]: slugsOf(BIDDING_RUNBOOK), [CHANGE_EVENTS_RUNBOOK]: slugsOf(CHANGE_EVENTS_RUNBOOK) };
    const all = ofType(plain, 'AWS::CloudWatch::Alarm');
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const [id, { Properties: a }] of all) {
      const m = /Runbook: (\S+)#([\w-]+)/.exec(a.AlarmDescription as string);
      expect(m, a.AlarmDescription).not.toBeNull();
      expect(m![1]).toBe(id.startsWith('LineItemsConsumer') ? CHANGE_EVENTS_RUNBOOK : BIDDING_RUNBOOK);
      expect(slugs[m![1]!]!.has(m![2]!), `${m![2]} in ${m![1]}`).toBe(true);
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports nothing unacknowledged for the bidding stack, with or without region and TLS', () => {
    for (const b of [plain, regional]) {
      const findings = nagFindings(b.bidding);
      expect(findings, JSON.stringify(findings, null, 2)).toEqual([]);
      const report = JSON.parse(readFileSync(join(b.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
      expect(report.pluginReports).toEqual([]);
    }
  });

  it('acknowledges only reasoned, expected findings', () => {
    const acks = nagAcknowledgements(plain.bidding).filter((a) => a.id.startsWith('AwsSolutions-'));
    for (const a of acks) expect(a.reason.trim().length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(40);
    expect(new Set(acks.map((a) => a.id))).toEqual(
      new Set([
        'AwsSolutions-SMG4',
        'AwsSolutions-AEC5',
        'AwsSolutions-ECS2',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-ELB2',
        'AwsSolutions-SQS3',
      ]),
    );
    // The ALB is never open to the internet (no EC23), and with a region access logs are on (no ELB2).
    const regionalIds = new Set(nagAcknowledgements(regional.bidding).map((a) => a.id));
    expect(regionalIds.has('AwsSolutions-EC23')).toBe(false);
    expect(regionalIds.has('AwsSolutions-ELB2')).toBe(false);
  });
});
