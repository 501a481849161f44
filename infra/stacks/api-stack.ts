import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CLIENT_RATE_LIMITER_GRANT } from '../../shared/adapters/dynamodb/iam-grants.js';
import { type ClientRateLimit, clientRateLimitProblems } from '../../shared/domain/rate-limit.js';
import {
  API_ROUTES_ENV_VAR,
  CLIENT_RATE_LIMIT_ENV_VARS,
  GROUPS,
  RATE_LIMIT_TABLE_ENV_VAR,
  ROUTES,
  TABLE_ENV_VARS,
  concreteRouteKeys,
  routeKey,
} from '../api/routes.js';
import type { Group, RouteDefinition, TableKey } from '../api/routes.js';
import { ProjectFunction } from '../constructs/project-function.js';

export interface ApiStackProps extends StackProps {
  readonly dealsTable: dynamodb.ITable;
  readonly historyTable: dynamodb.ITable;
  readonly idempotencyTable: dynamodb.ITable;
  /** Per-client request counters (DataStack.rateLimitTable). */
  readonly rateLimitTable: dynamodb.ITable;
  /** Engagement scores (DataStack.engagementTable), read by the engagement routes. */
  readonly engagementTable: dynamodb.ITable;
  /** Route table; defaults to infra/api/routes.ts. */
  readonly routes?: readonly RouteDefinition[];
  /** Default-stage throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttle?: ThrottleSettings;
  /**
   * Route-level throttling of each public route (no auth: health, openapi, the fallback), so anonymous
   * traffic stays far below what signed-in callers get. @default PUBLIC_ROUTE_THROTTLE
   */
  readonly publicRouteThrottle?: ThrottleSettings;
  /**
   * Requests each signed-in caller (JWT `sub`) may make per window, across all routes.
   * @default the `apiClientRateLimit` context value, else DEFAULT_CLIENT_RATE_LIMIT
   */
  readonly clientRateLimit?: ClientRateLimit;
  /** Where route entries are resolved (tests only). @default the repository root */
  readonly projectRoot?: string;
}

/** Each public route's own throttle: a liveness probe, a document and 404s need little. */
export const PUBLIC_ROUTE_THROTTLE: Readonly<Required<ThrottleSettings>> = { rateLimit: 10, burstLimit: 20 };

/**
 * 20 requests per second for each caller: a fifth of the stage's default throttle, so no single
 * caller can take the API from the others, and far above what a person in the UI sends.
 */
export const DEFAULT_CLIENT_RATE_LIMIT: ClientRateLimit = { requests: 20, windowSeconds: 1 };

/** CDK context key of the per-client limit, `<requests>/<windowSeconds>` (e.g. `-c apiClientRateLimit=20/1`). */
export const CLIENT_RATE_LIMIT_CONTEXT = 'apiClientRateLimit';

/** The per-client limit from context (`<requests>/<windowSeconds>`), or undefined when unset. Throws naming the key. */
export function clientRateLimitFromContext(value: unknown): ClientRateLimit | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value) : null;
  const limit = match ? { requests: Number(match[1]), windowSeconds: Number(match[2]) } : undefined;
  const problems = limit ? clientRateLimitProblems(limit) : ['it must look like <requests>/<windowSeconds>'];
  if (problems.length > 0) {
    throw new Error(
      `context ${CLIENT_RATE_LIMIT_CONTEXT}=${JSON.stringify(value)} is invalid: ${problems.join('; ')} ` +
        `(e.g. npx cdk deploy -c ${CLIENT_RATE_LIMIT_CONTEXT}=20/1 for 20 requests per second and caller)`,
    );
  }
  return limit;
}

const GROUP_DESCRIPTIONS: Record<Group, string> = {
  deal_manager: 'Creates, amends, submits and cancels deals; manages their campaigns',
  campaign_manager: 'Creates and amends campaigns',
  sales_manager: 'Approves deals at the sales level',
  finance: 'Approves deals at the finance level',
  legal: 'Approves deals at the legal level',
  admin: 'Everything, across all accounts',
};

/** Access-log line (JSON). HTTP API context variables. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  sub: '$context.authorizer.claims.sub',
  error: '$context.error.message',
};

/**
 * The deal and campaign API: Cognito user pool (the identity provider), an HTTP API with a JWT
 * authorizer, one Lambda function per route of infra/api/routes.ts, and a throttled, access-logged
 * `$default` stage.
 */
export class ApiStack extends Stack {
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly issuer: string;
  readonly authorizer: HttpJwtAuthorizer;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** What each signed-in caller may send per window (set on every authenticated function). */
  readonly clientRateLimit: ClientRateLimit;
  /** One function per route, by route id. */
  readonly functions: Record<string, ProjectFunction> = {};
  readonly routes: readonly RouteDefinition[];

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    this.routes = props.routes ?? ROUTES;
    this.clientRateLimit =
      props.clientRateLimit ?? clientRateLimitFromContext(this.node.tryGetContext(CLIENT_RATE_LIMIT_CONTEXT)) ?? DEFAULT_CLIENT_RATE_LIMIT;
    const limitProblems = clientRateLimitProblems(this.clientRateLimit);
    if (limitProblems.length > 0) throw new Error(`${this.node.path}: clientRateLimit is invalid: ${limitProblems.join('; ')}`);

    // --- identity -------------------------------------------------------------------------------
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      signInCaseSensitive: false,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      // Plus: threat protection (compromised credentials, adaptive authentication) enforced.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      customAttributes: {
        // Comma-separated account ids the user may see; set by administrators only.
        account_ids: new cognito.StringAttribute({ mutable: true, minLen: 0, maxLen: 2048 }),
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional (TOTP only) by product decision: users are provisioned by administrators (no self sign-up), Plus-tier threat protection is enforced (adaptive authentication asks for MFA on risky sign-ins) and the API only accepts short-lived tokens of this pool.',
    });

    GROUPS.forEach((groupName, precedence) => {
      new cognito.CfnUserPoolGroup(this, `Group-${groupName}`, {
        userPoolId: this.userPool.userPoolId,
        groupName,
        description: GROUP_DESCRIPTIONS[groupName],
        precedence: groupName === 'admin' ? 0 : precedence + 1,
      });
    });

    this.userPoolClient = this.userPool.addClient('ApiClient', {
      userPoolClientName: 'dealdesk-api',
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.minutes(60),
      accessTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(30),
      // Users must not edit custom:account_ids (account isolation depends on it).
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
    });

    this.issuer = `https://cognito-idp.${this.region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.authorizer = new HttpJwtAuthorizer('CognitoJwt', this.issuer, {
      authorizerName: 'cognito-jwt',
      jwtAudience: [this.userPoolClient.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    // --- HTTP API ---------------------------------------------------------------------------------
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'dealdesk-api',
      description: 'dealdesk deals and campaigns API',
      createDefaultStage: false,
      // Routes are protected unless a route opts out explicitly.
      defaultAuthorizer: this.authorizer,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const throttle = props.throttle ?? { rateLimit: 100, burstLimit: 200 };
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const tables: Record<TableKey, dynamodb.ITable> = {
      deals: props.dealsTable,
      history: props.historyTable,
      idempotency: props.idempotencyTable,
      engagement: props.engagementTable,
    };
    const apiRouteKeys = JSON.stringify(concreteRouteKeys(this.routes));
    const clientRateLimitEnvironment = {
      [CLIENT_RATE_LIMIT_ENV_VARS.requests]: String(this.clientRateLimit.requests),
      [CLIENT_RATE_LIMIT_ENV_VARS.windowSeconds]: String(this.clientRateLimit.windowSeconds),
    };
    const publicRoutes = new Map<string, readonly HttpRoute[]>();

    for (const route of this.routes) {
      const fn = new ProjectFunction(this, route.id, {
        entry: route.entry,
        description: `${routeKey(route)} (${route.entry})`,
        serviceName: 'dealdesk-api',
        ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
        environment: {
          ...(route.method === 'ANY' ? { [API_ROUTES_ENV_VAR]: apiRouteKeys } : {}),
          ...(route.auth === 'jwt' ? clientRateLimitEnvironment : {}),
        },
      });
      for (const [key, access] of Object.entries(route.tables) as [TableKey, NonNullable<RouteDefinition['tables'][TableKey]>][]) {
        fn.bind(tables[key], { envVar: TABLE_ENV_VARS[key], access });
      }
      // Every signed-in caller is counted, whatever the route (functions/api/http/rate-limit.ts).
      if (route.auth === 'jwt') fn.bind(props.rateLimitTable, { envVar: RATE_LIMIT_TABLE_ENV_VAR, access: CLIENT_RATE_LIMITER_GRANT });
      this.functions[route.id] = fn;

      const created: HttpRoute[] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        }),
        authorizer: route.auth === 'jwt' ? this.authorizer : new HttpNoneAuthorizer(),
      });
      if (route.auth === 'none') {
        for (const r of created) {
          Validations.of(r).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: publicRouteReason(route),
          });
        }
        publicRoutes.set(routeKey(route), created);
      }
    }
    this.throttlePublicRoutes(publicRoutes, props.publicRouteThrottle ?? PUBLIC_ROUTE_THROTTLE);

    new CfnOutput(this, 'ApiUrl', { value: this.stage.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'JwtIssuer', { value: this.issuer, description: 'iss of accepted tokens' });
  }

  /**
   * Stage route settings for the public routes: each gets its own low throttle instead of the stage
   * default, so anonymous traffic cannot use up what signed-in callers need. Route settings name
   * routes by key and API Gateway refuses keys of routes that do not exist yet, so the stage is
   * created after them. A route's settings replace the defaults for it, detailed metrics included.
   */
  private throttlePublicRoutes(routes: ReadonlyMap<string, readonly HttpRoute[]>, throttle: ThrottleSettings): void {
    // RouteSettings is a free-form map in the CloudFormation schema: CDK writes it as given.
    const settings: Record<string, Record<string, unknown>> = {};
    for (const [key, created] of routes) {
      settings[key] = {
        ThrottlingRateLimit: throttle.rateLimit,
        ThrottlingBurstLimit: throttle.burstLimit,
        DetailedMetricsEnabled: true,
      };
      for (const route of created) this.stage.node.addDependency(route);
    }
    (this.stage.node.defaultChild as CfnStage).routeSettings = settings;
  }
}

function publicRouteReason(route: RouteDefinition): string {
  switch (route.path) {
    case '/health':
      return 'GET /health is a public liveness probe; it reads no data and returns no data about callers or deals.';
    case '/openapi.json':
      return 'GET /openapi.json publishes the API contract (OpenAPI 3.1) to clients before they sign in; it contains no data.';
    case '/{proxy+}':
      return 'The catch-all route only answers 404 or 405 (with Allow) for paths and methods that have no route; it reads no data. Authorizing it would turn unknown paths into 401s and hide the 404/405 contract.';
    default:
      throw new Error(`route ${routeKey(route)} is public but has no reason recorded in api-stack.ts`);
  }
}
