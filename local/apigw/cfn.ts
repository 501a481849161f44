/**
 * Just enough CloudFormation to run a synthesized template locally: template types and an
 * intrinsic-function resolver (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split,
 * Fn::ImportValue, Fn::If with Conditions, Fn::FindInMap, Fn::Base64, Fn::GetAZs).
 *
 * Physical ids of resources that exist locally (tables, the user pool client, …) are supplied by the
 * caller; everything else gets a deterministic, plausible physical id.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface StackEnv {
  region: string;
  accountId: string;
  partition: string;
}

export class IntrinsicError extends Error {}

export interface ResolverOptions {
  template: CfnTemplate;
  stackName: string;
  env: StackEnv;
  /** Physical ids by logical id (e.g. local table names, the local user-pool client id). */
  physicalIds?: Record<string, string>;
  /** Export name → value, from the other stacks of the app (for Fn::ImportValue). */
  exports?: Record<string, string>;
  /** Parameter values (otherwise the parameter's Default). */
  parameters?: Record<string, string>;
}

/** Resolves intrinsic functions of one stack's template to plain values. */
export class IntrinsicResolver {
  private readonly resources: Record<string, CfnResource>;

  constructor(private readonly opts: ResolverOptions) {
    this.resources = opts.template.Resources ?? {};
  }

  get stackName(): string {
    return this.opts.stackName;
  }

  /** The physical id a Ref to a resource returns. */
  physicalId(logicalId: string): string {
    const given = this.opts.physicalIds?.[logicalId];
    if (given !== undefined) return given;
    const res = this.resources[logicalId];
    if (!res) throw new IntrinsicError(`Ref to unknown resource or parameter "${logicalId}"`);
    const props = res.Properties ?? {};
    const { region, accountId } = this.opts.env;
    const named = (prop: string): string | undefined => {
      const v = props[prop];
      return v === undefined ? undefined : String(this.resolve(v));
    };
    switch (res.Type) {
      case 'AWS::DynamoDB::Table':
        return named('TableName') ?? `${this.opts.stackName}-${logicalId}`;
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? `${this.opts.stackName}-${logicalId}`;
      case 'AWS::IAM::Role':
        return named('RoleName') ?? `${this.opts.stackName}-${logicalId}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${named('QueueName') ?? `${this.opts.stackName}-${logicalId}`}`;
      case 'AWS::SNS::Topic':
        return `arn:${this.opts.env.partition}:sns:${region}:${accountId}:${named('TopicName') ?? logicalId}`;
      case 'AWS::Cognito::UserPool':
        return `${region}_local${logicalId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
      case 'AWS::Cognito::UserPoolClient':
        return `local-client-${logicalId}`.toLowerCase();
      case 'AWS::ApiGatewayV2::Api':
        return 'localapi';
      default:
        return `${this.opts.stackName}-${logicalId}`;
    }
  }

  getAtt(logicalId: string, attr: string): string {
    const res = this.resources[logicalId];
    if (!res) throw new IntrinsicError(`Fn::GetAtt on unknown resource "${logicalId}"`);
    const { region, accountId, partition } = this.opts.env;
    const id = this.physicalId(logicalId);
    switch (`${res.Type}.${attr}`) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:${partition}:dynamodb:${region}:${accountId}:table/${id}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:${partition}:dynamodb:${region}:${accountId}:table/${id}/stream/local`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${partition}:lambda:${region}:${accountId}:function:${id}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${accountId}:role/${id}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:${partition}:sqs:${region}:${accountId}:${id.split('/').pop()}`;
      case 'AWS::SQS::Queue.QueueName':
        return id.split('/').pop() ?? id;
      case 'AWS::Cognito::UserPool.Arn':
        return `arn:${partition}:cognito-idp:${region}:${accountId}:userpool/${id}`;
      case 'AWS::Cognito::UserPool.ProviderURL':
        return `cognito-idp.${region}.amazonaws.com/${id}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${region}.amazonaws.com/${id}`;
      case 'AWS::Cognito::UserPoolClient.ClientId':
        return id;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${id}.execute-api.${region}.amazonaws.com`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return id;
      default:
        if (attr === 'Arn') return `arn:${partition}:local:${region}:${accountId}:${id}`;
        return `${id}.${attr}`;
    }
  }

  private ref(name: string): string {
    const { region, accountId, partition } = this.opts.env;
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::StackName':
        return this.opts.stackName;
      case 'AWS::StackId':
        return `arn:${partition}:cloudformation:${region}:${accountId}:stack/${this.opts.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE as unknown as string;
    }
    const params = this.opts.template.Parameters ?? {};
    if (name in params) {
      const given = this.opts.parameters?.[name];
      if (given !== undefined) return given;
      const def = params[name]?.Default;
      if (def === undefined) throw new IntrinsicError(`parameter "${name}" has no value and no Default`);
      return String(def);
    }
    return this.physicalId(name);
  }

  evaluateCondition(name: string): boolean {
    const cond = this.opts.template.Conditions?.[name];
    if (cond === undefined) throw new IntrinsicError(`unknown condition "${name}"`);
    return this.condition(cond);
  }

  private condition(value: unknown): boolean {
    if (typeof value === 'boolean') return value;
    if (value && typeof value === 'object') {
      const [fn, arg] = Object.entries(value)[0] ?? [];
      const args = Array.isArray(arg) ? arg : [arg];
      switch (fn) {
        case 'Fn::Equals':
          return String(this.resolve(args[0])) === String(this.resolve(args[1]));
        case 'Fn::Not':
          return !this.condition(args[0]);
        case 'Fn::And':
          return args.every((a) => this.condition(a));
        case 'Fn::Or':
          return args.some((a) => this.condition(a));
        case 'Condition':
          return this.evaluateCondition(String(arg));
      }
    }
    throw new IntrinsicError(`cannot evaluate condition ${JSON.stringify(value)}`);
  }

  /** Resolves every intrinsic inside `value`, recursively. */
  resolve(value: unknown): unknown {
    const out = this.resolveInner(value);
    return out === NO_VALUE ? undefined : out;
  }

  private resolveInner(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveInner(v)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      if (key === 'Ref' || key.startsWith('Fn::')) return this.intrinsic(key, arg);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const r = this.resolveInner(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private str(value: unknown): string {
    const v = this.resolveInner(value);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new IntrinsicError(`expected a string, got ${JSON.stringify(v)}`);
  }

  private intrinsic(fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
        return this.getAtt(id!, attr!);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown];
        const list = this.resolveInner(parts);
        if (!Array.isArray(list)) throw new IntrinsicError('Fn::Join expects a list');
        return list.map((p) => String(p)).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolveInner(list);
        if (!Array.isArray(items)) throw new IntrinsicError('Fn::Select expects a list');
        return items[Number(this.resolveInner(index))];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return this.str(source).split(sep);
      }
      case 'Fn::Sub': {
        const [tpl, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        return tpl.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
          if (name.startsWith('!')) return `\${${name.slice(1)}}`;
          if (vars && name in vars) return this.str(vars[name]);
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [id, attr] = name.split(/\.(.*)/s);
            return this.getAtt(id!, attr!);
          }
          return this.ref(name);
        });
      }
      case 'Fn::ImportValue': {
        const name = this.str(arg);
        const v = this.opts.exports?.[name];
        if (v === undefined) throw new IntrinsicError(`Fn::ImportValue: no stack exports "${name}"`);
        return v;
      }
      case 'Fn::If': {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return this.resolveInner(this.evaluateCondition(cond) ? yes : no);
      }
      case 'Fn::FindInMap': {
        const [map, k1, k2] = (arg as unknown[]).map((a) => this.str(a));
        const v = this.opts.template.Mappings?.[map!]?.[k1!]?.[k2!];
        if (v === undefined) throw new IntrinsicError(`Fn::FindInMap: ${map}.${k1}.${k2} not found`);
        return v;
      }
      case 'Fn::Base64':
        return Buffer.from(this.str(arg)).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((s) => `${this.opts.env.region}${s}`);
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
        return this.condition({ [fn]: arg });
      default:
        throw new IntrinsicError(`unsupported intrinsic ${fn}`);
    }
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves the Outputs with an Export of each template, in dependency order, so later stacks can
 * Fn::ImportValue them. `resolvers` must be in deployment order (exporters first). Fills and returns
 * `exports` (pass the same object the resolvers were given as `exports`).
 */
export function collectExports(
  resolvers: { template: CfnTemplate; resolver: IntrinsicResolver }[],
  exports: Record<string, string> = {},
): Record<string, string> {
  for (const { template, resolver } of resolvers) {
    for (const output of Object.values(template.Outputs ?? {})) {
      if (!output.Export) continue;
      try {
        const name = String(resolver.resolve(output.Export.Name));
        exports[name] = String(resolver.resolve(output.Value));
      } catch {
        // an output we cannot resolve locally is not needed by the local stack
      }
    }
  }
  return exports;
}
