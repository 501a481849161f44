/**
 * The local API Gateway (HTTP API) emulator: a node:http server on 127.0.0.1 that routes requests with
 * the synthesized template's routes, runs the JWT authorizer, builds payload-format-2.0 events,
 * invokes the Lambda functions through the local runtime and maps their results back to HTTP.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { buildEventV2, GATEWAY_RESPONSES, mapResultV2, newRequestId, type HttpResponse } from './event.js';
import { createJwtAuthorizer, identityHeaderOf } from './jwt.js';
import type { InvokeOutcome } from './lambda-runtime.js';
import type { ApiModel, RouteDef } from './model.js';
import { selectRoute } from './routes.js';

export interface ApiGatewayEmulatorOptions {
  model: ApiModel;
  invoke: (functionLogicalId: string, event: unknown) => Promise<InvokeOutcome>;
  /** The local issuer every JWT authorizer checks `iss` against (the template's issuer is a real Cognito pool). */
  issuer: string;
  jwks: JSONWebKeySet;
  accountId: string;
  apiId?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** API Gateway's payload limit: 10 MB. */
  maxBodyBytes?: number;
  /** One line per request (method, path, route, status, duration). */
  accessLog?: (line: string) => void;
  /** Why a request was refused (401) or failed (500), for the developer. */
  debugLog?: (line: string) => void;
}

export interface ApiGatewayEmulator {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use; choose another with --port or stop what is listening there`);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else if (!tooLarge) chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startApiGatewayEmulator(opts: ApiGatewayEmulatorOptions): Promise<ApiGatewayEmulator> {
  const apiId = opts.apiId ?? 'localapi';
  const maxBody = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const authorizers = new Map(
    Object.values(opts.model.authorizers).map((a) => [
      a.logicalId,
      createJwtAuthorizer({
        issuer: opts.issuer,
        audience: a.audience,
        jwks: opts.jwks,
        identityHeaders: a.identitySource.map(identityHeaderOf).filter((h): h is string => !!h),
      }),
    ]),
  );
  let port = opts.port ?? 0;

  const send = (res: ServerResponse, r: HttpResponse, requestId: string): void => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of r.headers) {
      if (k === 'set-cookie') headers[k] = [...((headers[k] as string[] | undefined) ?? []), v];
      else if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') headers[k] = v;
    }
    headers['content-length'] = String(r.body.length);
    headers['apigw-requestid'] = requestId;
    res.writeHead(r.statusCode, headers);
    res.end(r.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = newRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const rawPath = url.split('?')[0]!;
    let route: RouteDef | undefined;
    const finish = (r: HttpResponse): void => {
      send(res, r, requestId);
      opts.accessLog?.(`${method} ${url} → ${route?.routeKey ?? '-'} ${r.statusCode} ${Date.now() - started}ms`);
    };
    const body = await readBody(req, maxBody);
    if (body === 'too-large') return finish(GATEWAY_RESPONSES.tooLarge());
    const match = selectRoute(opts.model.routes, method, rawPath);
    if (!match) return finish(GATEWAY_RESPONSES.notFound());
    route = match.route;
    const headersLower: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headersLower[k] = Array.isArray(v) ? v.join(',') : v;

    let authorizer: { claims: Record<string, string>; scopes: string[] | null } | undefined;
    if (route.authorizationType === 'JWT') {
      const authorize = route.authorizerId ? authorizers.get(route.authorizerId) : undefined;
      if (!authorize) {
        opts.debugLog?.(`route ${route.routeKey} names authorizer ${route.authorizerId} that is not in the template`);
        return finish(GATEWAY_RESPONSES.internalError());
      }
      const verdict = await authorize(headersLower, route.authorizationScopes);
      if (!verdict.ok) {
        opts.debugLog?.(`${method} ${rawPath}: ${verdict.status} (${verdict.reason})`);
        const r = verdict.status === 403 ? GATEWAY_RESPONSES.forbidden() : GATEWAY_RESPONSES.unauthorized();
        r.headers.push([
          'www-authenticate',
          `Bearer scope="${route.authorizationScopes.join(' ')}" error="${verdict.status === 403 ? 'insufficient_scope' : 'invalid_token'}" error_description="${verdict.reason.replace(/"/g, "'")}"`,
        ]);
        return finish(r);
      }
      authorizer = { claims: verdict.claims, scopes: verdict.scopes };
    } else if (route.authorizationType !== 'NONE') {
      opts.debugLog?.(`route ${route.routeKey}: authorization type ${route.authorizationType} is not emulated`);
      return finish(GATEWAY_RESPONSES.internalError());
    }
    if (!route.functionLogicalId) {
      opts.debugLog?.(`route ${route.routeKey} has no Lambda integration in the template`);
      return finish(GATEWAY_RESPONSES.internalError());
    }
    if (route.payloadFormatVersion !== '2.0') {
      opts.debugLog?.(`route ${route.routeKey}: payload format ${route.payloadFormatVersion} is not emulated`);
      return finish(GATEWAY_RESPONSES.internalError());
    }
    const event = buildEventV2(
      {
        method,
        url,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        protocol: `HTTP/${req.httpVersion}`,
      },
      { routeKey: route.routeKey, pathParameters: match.pathParameters, authorizer, requestId, apiId, accountId: opts.accountId, port },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), route!.integrationTimeoutMs);
    });
    const outcome = await Promise.race([opts.invoke(route.functionLogicalId, event), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') return finish(GATEWAY_RESPONSES.serviceUnavailable());
    if (!outcome.ok) {
      opts.debugLog?.(`${route.routeKey} (${outcome.requestId}): ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      return finish(GATEWAY_RESPONSES.internalError());
    }
    let mapped: HttpResponse;
    try {
      mapped = mapResultV2(outcome.result);
    } catch (err) {
      opts.debugLog?.(`${route.routeKey}: invalid integration response: ${(err as Error).message}`);
      return finish(GATEWAY_RESPONSES.internalError());
    }
    finish(mapped);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      opts.debugLog?.(`emulator error: ${err.stack ?? err.message}`);
      if (!res.headersSent) send(res, GATEWAY_RESPONSES.internalError(), newRequestId());
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
