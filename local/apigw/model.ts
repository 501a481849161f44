/**
 * Reads an HTTP API out of a synthesized CloudFormation template: routes, their integrations (Lambda
 * functions), JWT authorizers, and the functions' handler, code directory (cdk.out asset), timeout and
 * environment (intrinsics resolved for the local stack). Nothing here is hand-written per route.
 */
import { isAbsolute, join } from 'node:path';
import type { CfnResource, CfnTemplate, IntrinsicResolver } from './cfn.js';
import { parseRouteKey, type ParsedRouteKey } from './routes.js';

export interface FunctionDef {
  logicalId: string;
  functionName: string;
  /** e.g. "index.handler" */
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memorySize: number;
  /** Environment.Variables with intrinsics resolved. */
  environment: Record<string, string>;
  /** Directory holding the bundled code (cdk.out/asset.<hash>), or undefined when not found. */
  codeDir: string | undefined;
}

export interface AuthorizerDef {
  logicalId: string;
  name: string;
  type: string;
  /** The issuer as the template says (resolved); the local emulator verifies against its own issuer. */
  templateIssuer: string | undefined;
  audience: string[];
  /** e.g. ["$request.header.Authorization"] */
  identitySource: string[];
}

export interface RouteDef extends ParsedRouteKey {
  logicalId: string;
  authorizationType: string;
  authorizerId: string | undefined;
  authorizationScopes: string[];
  functionLogicalId: string | undefined;
  payloadFormatVersion: string;
  /** Integration timeout (API Gateway's limit is 30 s). */
  integrationTimeoutMs: number;
}

export interface ApiModel {
  apiLogicalId: string;
  apiName: string;
  routes: RouteDef[];
  authorizers: Record<string, AuthorizerDef>;
  functions: Record<string, FunctionDef>;
}

export class TemplateModelError extends Error {}

function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

/** Logical ids referenced (Ref or Fn::GetAtt) anywhere inside `value`. */
export function referencedLogicalIds(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const obj = v as Record<string, unknown>;
    if (typeof obj.Ref === 'string') out.push(obj.Ref);
    const ga = obj['Fn::GetAtt'];
    if (Array.isArray(ga) && typeof ga[0] === 'string') out.push(ga[0]);
    else if (typeof ga === 'string') out.push(ga.split('.')[0]!);
    Object.values(obj).forEach(walk);
  };
  walk(value);
  return out;
}

function findReferenced(template: CfnTemplate, value: unknown, types: string[]): string | undefined {
  const res = template.Resources ?? {};
  return referencedLogicalIds(value).find((id) => types.includes(res[id]?.Type ?? ''));
}

/** The Lambda function an integration URI points at (directly, or through an alias/version). */
function functionOf(template: CfnTemplate, value: unknown, depth = 0): string | undefined {
  const res = template.Resources ?? {};
  for (const id of referencedLogicalIds(value)) {
    const type = res[id]?.Type;
    if (type === 'AWS::Lambda::Function') return id;
    if ((type === 'AWS::Lambda::Alias' || type === 'AWS::Lambda::Version') && depth < 3) {
      const fn = functionOf(template, res[id]?.Properties?.FunctionName, depth + 1);
      if (fn) return fn;
    }
  }
  return undefined;
}

export interface BuildModelOptions {
  template: CfnTemplate;
  resolver: IntrinsicResolver;
  /** The cloud assembly directory (cdk.out) the asset paths are relative to. */
  assemblyDir: string;
  /** Which HTTP API, when the template has several. Default: the only/first one. */
  apiLogicalId?: string;
  /** Called for environment variables that cannot be resolved locally. */
  warn?: (message: string) => void;
}

export function buildApiModel(opts: BuildModelOptions): ApiModel {
  const { template, resolver } = opts;
  const warn = opts.warn ?? (() => {});
  const apis = resourcesOfType(template, 'AWS::ApiGatewayV2::Api').filter(
    ([, r]) => (r.Properties?.ProtocolType ?? 'HTTP') === 'HTTP',
  );
  const api = opts.apiLogicalId ? apis.find(([id]) => id === opts.apiLogicalId) : apis[0];
  if (!api) throw new TemplateModelError('the template has no AWS::ApiGatewayV2::Api with ProtocolType HTTP');
  const [apiLogicalId, apiRes] = api;
  const belongs = (r: CfnResource): boolean => referencedLogicalIds(r.Properties?.ApiId).includes(apiLogicalId);

  const authorizers: Record<string, AuthorizerDef> = {};
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')) {
    if (!belongs(r)) continue;
    const p = r.Properties ?? {};
    const jwt = (p.JwtConfiguration ?? {}) as { Audience?: unknown; Issuer?: unknown };
    const audience = jwt.Audience === undefined ? [] : resolver.resolve(jwt.Audience);
    authorizers[id] = {
      logicalId: id,
      name: String(resolver.resolve(p.Name) ?? id),
      type: String(p.AuthorizerType ?? ''),
      templateIssuer: jwt.Issuer === undefined ? undefined : String(resolver.resolve(jwt.Issuer)),
      audience: (Array.isArray(audience) ? audience : [audience]).map(String),
      identitySource: ((resolver.resolve(p.IdentitySource) as string[] | undefined) ?? ['$request.header.Authorization']).map(String),
    };
  }

  const integrations = new Map<string, { fn: string | undefined; payload: string; timeoutMs: number }>();
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')) {
    if (!belongs(r)) continue;
    const p = r.Properties ?? {};
    integrations.set(id, {
      fn: functionOf(template, p.IntegrationUri),
      payload: String(p.PayloadFormatVersion ?? '2.0'),
      timeoutMs: Number(p.TimeoutInMillis ?? 30_000),
    });
  }

  const functions: Record<string, FunctionDef> = {};
  const routes: RouteDef[] = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    if (!belongs(r)) continue;
    const p = r.Properties ?? {};
    const routeKey = String(resolver.resolve(p.RouteKey));
    const integrationId = findReferenced(template, p.Target, ['AWS::ApiGatewayV2::Integration']);
    const integration = integrationId ? integrations.get(integrationId) : undefined;
    const authorizerId = findReferenced(template, p.AuthorizerId, ['AWS::ApiGatewayV2::Authorizer']);
    routes.push({
      ...parseRouteKey(routeKey),
      logicalId: id,
      authorizationType: String(p.AuthorizationType ?? 'NONE'),
      authorizerId,
      authorizationScopes: ((resolver.resolve(p.AuthorizationScopes) as string[] | undefined) ?? []).map(String),
      functionLogicalId: integration?.fn,
      payloadFormatVersion: integration?.payload ?? '2.0',
      integrationTimeoutMs: integration?.timeoutMs ?? 30_000,
    });
    if (integration?.fn && !functions[integration.fn]) {
      functions[integration.fn] = functionDef(integration.fn, template, resolver, opts.assemblyDir, warn);
    }
  }
  if (routes.length === 0) warn(`HTTP API ${apiLogicalId} has no routes in the template`);
  return {
    apiLogicalId,
    apiName: String(resolver.resolve(apiRes.Properties?.Name) ?? apiLogicalId),
    routes,
    authorizers,
    functions,
  };
}

export function functionDef(
  logicalId: string,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  assemblyDir: string,
  warn: (message: string) => void = () => {},
): FunctionDef {
  const r = template.Resources?.[logicalId];
  if (!r || r.Type !== 'AWS::Lambda::Function') throw new TemplateModelError(`${logicalId} is not an AWS::Lambda::Function`);
  const p = r.Properties ?? {};
  const vars = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  const environment: Record<string, string> = {};
  for (const [name, raw] of Object.entries(vars)) {
    try {
      const v = resolver.resolve(raw);
      environment[name] = typeof v === 'string' ? v : JSON.stringify(v);
    } catch (err) {
      warn(`${logicalId}: environment variable ${name} cannot be resolved locally (${(err as Error).message}); left empty`);
      environment[name] = '';
    }
  }
  const assetPath = r.Metadata?.['aws:asset:path'];
  let codeDir: string | undefined;
  if (typeof assetPath === 'string') codeDir = isAbsolute(assetPath) ? assetPath : join(assemblyDir, assetPath);
  return {
    logicalId,
    functionName: resolver.physicalId(logicalId),
    handler: String(resolver.resolve(p.Handler) ?? 'index.handler'),
    runtime: String(resolver.resolve(p.Runtime) ?? 'nodejs24.x'),
    timeoutSeconds: Number(resolver.resolve(p.Timeout) ?? 3),
    memorySize: Number(resolver.resolve(p.MemorySize) ?? 128),
    environment,
    codeDir,
  };
}
