// cdk-nag (AwsSolutions) over the whole app as infra/app.ts builds it for a deploy (the bidder's TLS
// context set). Bundling is skipped.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIDDER_CONTEXT } from '../../infra/bidder-endpoint.js';
import { buildApp, type DealDeskApp } from '../../infra/build-app.js';
import { nagAcknowledgements, nagFindings } from '../../infra/nag.js';

let outdir: string;
let built: DealDeskApp;

const DEPLOY_CONTEXT = {
  'aws:cdk:bundling-stacks': [],
  [BIDDER_CONTEXT.certificateArn]: 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
  [BIDDER_CONTEXT.domainName]: 'bid.example.com',
  [BIDDER_CONTEXT.exchangeCidrs]: '198.51.100.0/24,203.0.113.0/24',
};

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'dealdesk-nag-'));
  built = buildApp({ outdir, context: DEPLOY_CONTEXT });
  // cdk-nag runs as a validation plugin during synthesis; an unacknowledged error throws here.
  built.app.synth();
}, 120_000); // a whole-app synthesis can take longer than the default 10 s hook timeout on a busy machine

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged errors or warnings anywhere in the app', () => {
    const findings = nagFindings(built.app);
    expect(findings, JSON.stringify(findings, null, 2)).toEqual([]);
  });

  it('runs during synthesis: the validation report records no violation', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports?: { violations?: unknown[] }[];
    };
    const nag = (report.pluginReports ?? []).filter((r) => JSON.stringify(r).includes('AwsSolutions'));
    expect(nag, JSON.stringify(nag, null, 2)).toEqual([]);
  });

  it('covers the whole app: an unacknowledged finding in any stack fails synthesis', () => {
    const canaryOut = mkdtempSync(join(tmpdir(), 'dealdesk-nag-canary-'));
    try {
      const { app } = buildApp({ outdir: canaryOut, context: DEPLOY_CONTEXT });
      const canary = new Stack(app, 'NagCanary');
      const role = new iam.Role(canary, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
      expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
      const report = readFileSync(join(canaryOut, 'validation-report.json'), 'utf8');
      expect(report).toContain('AwsSolutions-IAM5');
      expect(report).toContain('NagCanary/Role');
      expect(report).not.toContain('DealDesk-Api/');
    } finally {
      rmSync(canaryOut, { recursive: true, force: true });
    }
  });

  it('gives every acknowledgement a written reason', () => {
    const acks = nagAcknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      // aws-cdk-lib acknowledges a few CloudFormation-Validate rules itself (literal AZs, VPC flow logs).
      expect(ack.id, ack.path).toMatch(/^(AwsSolutions-[A-Z]+\d+|CloudFormation-Validate::[EFW]\d+$)/);
      expect(ack.reason.trim().length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('acknowledges APIG4 only on the public routes', () => {
    const apig4 = nagAcknowledgements(built.api).filter((a) => a.id === 'AwsSolutions-APIG4');
    expect(apig4.map((a) => a.path.split('/').at(-1)).sort()).toEqual(['ANY--{proxy+}', 'GET--health', 'GET--openapi.json']);
  });
});
