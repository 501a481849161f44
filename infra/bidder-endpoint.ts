/**
 * How exchanges reach the bidder, read from CDK context by infra/build-app.ts and checked here (plain
 * TypeScript, no CDK import), so a bad value fails `cdk synth` with a message naming the key.
 *
 * Deployable: HTTPS with an ACM certificate for `bidderDomainName`, reachable only from the
 * exchanges' CIDRs. Local stack and tests only: `bidderInsecureLocalHttp=true`, plain HTTP and a load
 * balancer that admits nobody (its template is read offline, never deployed).
 */

/** The CDK context keys (`npx cdk synth -c <key>=<value>`, or cdk.context.json). */
export const BIDDER_CONTEXT = {
  certificateArn: 'bidderCertificateArn',
  domainName: 'bidderDomainName',
  exchangeCidrs: 'exchangeCidrs',
  insecureLocalHttp: 'bidderInsecureLocalHttp',
} as const;

/** Each CIDR takes two security-group rules (443 and the 80 redirect); 60 inbound rules per group is the default quota. */
export const MAX_EXCHANGE_CIDRS = 30;

export interface BidderHttpsEndpoint {
  readonly kind: 'https';
  /** ACM certificate for `domainName`, in the bidding stack's region. */
  readonly certificateArn: string;
  /** Host exchanges call and notice URLs point at; its DNS record must point at the load balancer. */
  readonly domainName: string;
  /** IPv4 ranges the exchanges call from: the only sources the load balancer admits. */
  readonly exchangeCidrs: readonly string[];
}

/** Plain HTTP on 80 and no ingress at all: for the local stack and tests, which never deploy it. */
export interface BidderInsecureLocalHttpEndpoint {
  readonly kind: 'insecure-local-http';
}

export type BidderEndpoint = BidderHttpsEndpoint | BidderInsecureLocalHttpEndpoint;

export const INSECURE_LOCAL_HTTP: BidderInsecureLocalHttpEndpoint = { kind: 'insecure-local-http' };

/** The context the local stack and tests synthesize with (never in cdk.json). */
export const INSECURE_LOCAL_HTTP_CONTEXT: Readonly<Record<string, unknown>> = { [BIDDER_CONTEXT.insecureLocalHttp]: true };

export class BidderEndpointError extends Error {
  override readonly name = 'BidderEndpointError';
}

const EXAMPLE_COMMAND =
  `npx cdk synth -c ${BIDDER_CONTEXT.certificateArn}=arn:aws:acm:<region>:<account>:certificate/<id>` +
  ` -c ${BIDDER_CONTEXT.domainName}=bid.example.com -c ${BIDDER_CONTEXT.exchangeCidrs}=203.0.113.0/24,198.51.100.0/24`;

/** The bidder's endpoint from CDK context; throws BidderEndpointError naming every missing or invalid key. */
export function bidderEndpointFromContext(tryGetContext: (key: string) => unknown): BidderEndpoint {
  const raw = {
    certificateArn: tryGetContext(BIDDER_CONTEXT.certificateArn),
    domainName: tryGetContext(BIDDER_CONTEXT.domainName),
    exchangeCidrs: tryGetContext(BIDDER_CONTEXT.exchangeCidrs),
  };
  const tlsKeysGiven = Object.entries(raw)
    .filter(([, value]) => value !== undefined)
    .map(([field]) => BIDDER_CONTEXT[field as keyof typeof raw]);

  if (insecureFlag(tryGetContext(BIDDER_CONTEXT.insecureLocalHttp))) {
    // Either flag or TLS settings: a deploy configuration must never fall back to plain HTTP.
    if (tlsKeysGiven.length > 0) {
      throw new BidderEndpointError(
        `${BIDDER_CONTEXT.insecureLocalHttp}=true (plain HTTP, local stack and tests only) cannot be combined with ${tlsKeysGiven.join(', ')}: drop one or the other.`,
      );
    }
    return INSECURE_LOCAL_HTTP;
  }

  const missing = Object.entries(raw)
    .filter(([, value]) => value === undefined || value === '')
    .map(([field]) => BIDDER_CONTEXT[field as keyof typeof raw]);
  if (missing.length > 0) {
    throw new BidderEndpointError(
      [
        `The bidder's load balancer serves HTTPS only, to the exchanges' networks only. Missing: ${missing.join(', ')}.`,
        'Set these CDK context keys:',
        `  ${BIDDER_CONTEXT.certificateArn}  ACM certificate ARN, in the bidding stack's region`,
        `  ${BIDDER_CONTEXT.domainName}      the host the certificate is for (its DNS record points at the load balancer)`,
        `  ${BIDDER_CONTEXT.exchangeCidrs}         comma-separated IPv4 CIDRs the exchanges call from`,
        `For example: ${EXAMPLE_COMMAND}`,
        `(Only the local stack and tests synthesize with ${BIDDER_CONTEXT.insecureLocalHttp}=true instead: plain HTTP, never deploy it.)`,
      ].join('\n'),
    );
  }
  return checkHttpsEndpoint({
    kind: 'https',
    certificateArn: asText(BIDDER_CONTEXT.certificateArn, raw.certificateArn),
    domainName: asText(BIDDER_CONTEXT.domainName, raw.domainName),
    exchangeCidrs: cidrList(raw.exchangeCidrs),
  });
}

/** Validates and normalizes an HTTPS endpoint (lower-case host, unique CIDRs); throws naming each problem. */
export function checkHttpsEndpoint(endpoint: BidderHttpsEndpoint): BidderHttpsEndpoint {
  const problems: string[] = [];
  if (!CERTIFICATE_ARN.test(endpoint.certificateArn)) {
    problems.push(`${BIDDER_CONTEXT.certificateArn} must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got "${endpoint.certificateArn}"`);
  }
  const domainName = endpoint.domainName.trim().toLowerCase();
  if (!HOST_NAME.test(domainName)) {
    problems.push(`${BIDDER_CONTEXT.domainName} must be a host name such as bid.example.com (no scheme, port or path), got "${endpoint.domainName}"`);
  }
  const exchangeCidrs = [...new Set(endpoint.exchangeCidrs.map((cidr) => cidr.trim()))];
  if (exchangeCidrs.length === 0) problems.push(`${BIDDER_CONTEXT.exchangeCidrs} must list at least one CIDR`);
  if (exchangeCidrs.length > MAX_EXCHANGE_CIDRS) {
    problems.push(`${BIDDER_CONTEXT.exchangeCidrs} lists ${exchangeCidrs.length} CIDRs, at most ${MAX_EXCHANGE_CIDRS} fit the load balancer's security group`);
  }
  for (const [index, cidr] of exchangeCidrs.entries()) {
    const problem = ipv4CidrProblem(cidr);
    if (problem) problems.push(`${BIDDER_CONTEXT.exchangeCidrs} entry ${index + 1} "${cidr}": ${problem}`);
  }
  if (problems.length > 0) throw new BidderEndpointError(`Invalid bidder endpoint: ${problems.join('; ')}.`);
  return { kind: 'https', certificateArn: endpoint.certificateArn, domainName, exchangeCidrs };
}

/** The region an ACM certificate ARN names. */
export function certificateRegion(certificateArn: string): string | undefined {
  return CERTIFICATE_ARN.exec(certificateArn)?.[1];
}

/** Why `cidr` is not an IPv4 network the load balancer may admit, or undefined when it is one. */
export function ipv4CidrProblem(cidr: string): string | undefined {
  if (cidr.includes(':')) return 'IPv6 is not accepted: the load balancer is IPv4 only';
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return 'not an IPv4 CIDR such as 203.0.113.0/24';
  const octets = match.slice(1, 5);
  if (octets.some((octet) => Number(octet) > 255 || (octet.length > 1 && octet.startsWith('0')))) {
    return 'each address part must be 0-255 without leading zeros';
  }
  const prefix = Number(match[5]);
  if (prefix > 32) return 'the prefix length must be at most 32';
  if (prefix === 0) return 'a /0 range is the whole internet; list the exchanges\' own ranges';
  const address = octets.reduce((value, octet) => value * 256 + Number(octet), 0);
  const hostBits = 2 ** (32 - prefix);
  const network = address - (address % hostBits);
  if (network !== address) return `host bits are set: the network is ${ipv4Text(network)}/${prefix}`;
  return undefined;
}

// arn:<partition>:acm:<region>:<account>:certificate/<id>
const CERTIFICATE_ARN = /^arn:aws(?:-[a-z]+)*:acm:([a-z]+(?:-[a-z]+)+-\d+):\d{12}:certificate\/[A-Za-z0-9-]+$/;
// At least two labels, letters/digits/hyphens, no label starting or ending with a hyphen.
const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function ipv4Text(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

function insecureFlag(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new BidderEndpointError(`${BIDDER_CONTEXT.insecureLocalHttp} must be true or false, got ${JSON.stringify(value)}`);
}

function asText(key: string, value: unknown): string {
  if (typeof value !== 'string') throw new BidderEndpointError(`${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `-c exchangeCidrs=a,b` arrives as one string; cdk.json / cdk.context.json may hold an array. */
function cidrList(value: unknown): string[] {
  const entries = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(entries) || entries.some((entry) => typeof entry !== 'string')) {
    throw new BidderEndpointError(`${BIDDER_CONTEXT.exchangeCidrs} must be a comma-separated string or a list of strings, got ${JSON.stringify(value)}`);
  }
  const cidrs = entries.map((entry: string) => entry.trim());
  const blank = cidrs.findIndex((cidr) => cidr === '');
  if (blank >= 0) {
    throw new BidderEndpointError(`${BIDDER_CONTEXT.exchangeCidrs} entry ${blank + 1} is empty (a doubled or trailing comma?): ${JSON.stringify(value)}`);
  }
  return cidrs;
}
