// The bidder's endpoint settings from CDK context: what `cdk synth` needs, what it refuses, and how
// build-app.ts hands them to the bidding stack. Bundling is skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BIDDER_CONTEXT,
  BidderEndpointError,
  INSECURE_LOCAL_HTTP_CONTEXT,
  MAX_EXCHANGE_CIDRS,
  bidderEndpointFromContext,
  ipv4CidrProblem,
} from '../../infra/bidder-endpoint.js';
import { buildApp } from '../../infra/build-app.js';
import { REPO_ROOT } from '../../infra/constructs/project-function.js';

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';
const TLS_CONTEXT = {
  [BIDDER_CONTEXT.certificateArn]: CERTIFICATE_ARN,
  [BIDDER_CONTEXT.domainName]: 'bid.example.com',
  [BIDDER_CONTEXT.exchangeCidrs]: '198.51.100.0/24, 203.0.113.0/24',
};
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const fromContext = (context: Record<string, unknown>) => bidderEndpointFromContext((key) => context[key]);
const errorOf = (act: () => unknown): Error => {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

describe('synthesis without the bidder context', () => {
  it('fails, naming bidderCertificateArn and exchangeCidrs and how to set them', () => {
    // Prepare / Act
    const error = errorOf(() => buildApp({ outdir: tempDir('dealdesk-endpoint-'), context: SKIP_BUNDLING }));

    // Assess
    expect(error).toBeInstanceOf(BidderEndpointError);
    expect(error.message).toContain('bidderCertificateArn');
    expect(error.message).toContain('exchangeCidrs');
    expect(error.message).toContain('Missing: bidderCertificateArn, bidderDomainName, exchangeCidrs.');
    expect(error.message).toContain('npx cdk synth -c bidderCertificateArn=arn:aws:acm:');
    expect(error.message).toContain('-c exchangeCidrs=203.0.113.0/24,');
    expect(error.message).toContain('bidderInsecureLocalHttp=true');
  });

  it('fails naming only the missing key when the others are set', () => {
    for (const key of Object.keys(TLS_CONTEXT)) {
      const context: Record<string, unknown> = { ...TLS_CONTEXT };
      delete context[key];
      expect(() => fromContext(context), key).toThrow(new RegExp(`Missing: ${key}\\.`));
    }
  });

  it('fails the way `cdk synth` runs the app (infra/app.ts), before any stack is built', () => {
    // Prepare: what cdk.json's "app" command runs, with no context at all.
    const outdir = tempDir('dealdesk-endpoint-cli-');
    const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: '{}' };

    // Act
    const run = spawnSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['infra/app.ts'], { cwd: REPO_ROOT, env, encoding: 'utf8' });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Missing: bidderCertificateArn, bidderDomainName, exchangeCidrs.');
    expect(run.stderr).toContain('npx cdk synth -c bidderCertificateArn=');
    expect(run.stderr, 'the message alone, no stack trace').not.toMatch(/\n\s+at /);
  }, 60_000);

  it('is never defaulted to the insecure local flag by cdk.json', () => {
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
    for (const key of Object.values(BIDDER_CONTEXT)) expect(cdkJson.context ?? {}).not.toHaveProperty(key);
  });
});

describe('bidder context', () => {
  it('reads the certificate, host and comma-separated CIDRs (trimmed, duplicates dropped)', () => {
    const endpoint = fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.exchangeCidrs]: '198.51.100.0/24,203.0.113.0/24, 198.51.100.0/24' });
    expect(endpoint).toEqual({
      kind: 'https',
      certificateArn: CERTIFICATE_ARN,
      domainName: 'bid.example.com',
      exchangeCidrs: ['198.51.100.0/24', '203.0.113.0/24'],
    });
  });

  it('accepts the CIDRs as a list (cdk.json / cdk.context.json)', () => {
    const endpoint = fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.exchangeCidrs]: ['198.51.100.0/24'] });
    expect(endpoint).toMatchObject({ exchangeCidrs: ['198.51.100.0/24'] });
  });

  it('validates every CIDR and names each bad one', () => {
    const bad = ['203.0.113.5/24', '0.0.0.0/0', '10.0.0.0/33', '256.1.1.0/24', '010.0.0.0/8', '2001:db8::/32', 'example.com'];
    const error = errorOf(() => fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.exchangeCidrs]: bad.join(',') }));
    for (const [index, cidr] of bad.entries()) expect(error.message).toContain(`exchangeCidrs entry ${index + 1} "${cidr}"`);
    expect(error.message).toContain('the network is 203.0.113.0/24');
    expect(error.message).toContain('whole internet');
    expect(error.message).toContain('IPv4 only');
  });

  it('refuses an empty entry, and more CIDRs than the security group holds', () => {
    expect(() => fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.exchangeCidrs]: '198.51.100.0/24,' })).toThrow(/exchangeCidrs entry 2 is empty/);
    const many = Array.from({ length: MAX_EXCHANGE_CIDRS + 1 }, (_, index) => `10.${index}.0.0/16`).join(',');
    expect(() => fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.exchangeCidrs]: many })).toThrow(/at most 30/);
  });

  it('refuses a malformed certificate ARN and a host name with a scheme', () => {
    expect(() => fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.certificateArn]: 'arn:aws:iam::111111111111:server-certificate/x' })).toThrow(
      /bidderCertificateArn must be an ACM certificate ARN/,
    );
    expect(() => fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.domainName]: 'https://bid.example.com' })).toThrow(/bidderDomainName must be a host name/);
  });

  it('takes bidderInsecureLocalHttp=true (CLI string or boolean) alone, and refuses it beside TLS settings', () => {
    expect(fromContext({ [BIDDER_CONTEXT.insecureLocalHttp]: 'true' })).toEqual({ kind: 'insecure-local-http' });
    expect(fromContext(INSECURE_LOCAL_HTTP_CONTEXT)).toEqual({ kind: 'insecure-local-http' });
    expect(() => fromContext({ ...TLS_CONTEXT, [BIDDER_CONTEXT.insecureLocalHttp]: 'true' })).toThrow(/cannot be combined with bidderCertificateArn/);
    expect(() => fromContext({ [BIDDER_CONTEXT.insecureLocalHttp]: 'false' })).toThrow(/Missing: bidderCertificateArn/);
    expect(() => fromContext({ [BIDDER_CONTEXT.insecureLocalHttp]: 'yes' })).toThrow(/bidderInsecureLocalHttp must be true or false/);
  });

  it('knows a valid network from a host address', () => {
    expect(ipv4CidrProblem('203.0.113.0/24')).toBeUndefined();
    expect(ipv4CidrProblem('203.0.113.7/32')).toBeUndefined();
    expect(ipv4CidrProblem('203.0.113.128/25')).toBeUndefined();
    expect(ipv4CidrProblem('203.0.113.129/25')).toMatch(/203\.0\.113\.128\/25/);
  });
});

describe('build-app wiring', () => {
  it('gives the bidding stack the context\'s certificate, host and CIDRs', () => {
    // Prepare / Act
    const { bidding } = buildApp({ outdir: tempDir('dealdesk-endpoint-app-'), context: { ...SKIP_BUNDLING, ...TLS_CONTEXT } });
    const template = Template.fromStack(bidding);

    // Assess
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
    });
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const [, lbGroup] = Object.entries(groups).find(([id]) => id.startsWith('BidderLBSecurityGroup'))!;
    const cidrs = (lbGroup.Properties.SecurityGroupIngress as { CidrIp: string; FromPort: number }[]).map((r) => `${r.CidrIp}:${r.FromPort}`);
    expect(cidrs.sort()).toEqual(['198.51.100.0/24:443', '198.51.100.0/24:80', '203.0.113.0/24:443', '203.0.113.0/24:80']);
    expect(template.toJSON().Outputs.BidderUrl.Value).toBe('https://bid.example.com');
  });
});
