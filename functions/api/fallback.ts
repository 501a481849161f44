import { loadConfig } from './config.js';
import { MethodNotAllowedError, RouteNotFoundError } from './http/errors.js';
import { httpHandler, type HttpDeps } from './http/handler.js';

export interface FallbackDeps extends HttpDeps {
  /** Route keys of the API, "METHOD /path" (API Gateway syntax), from API_ROUTES. */
  routes: readonly string[];
}

interface RouteTemplate {
  method: string;
  segments: string[];
}

/**
 * ANY /{proxy+}: whatever no other route matched. 405 with `Allow` when the path exists under other
 * methods, else 404. Never 2xx.
 */
export function makeHandler(deps: FallbackDeps) {
  const templates = deps.routes.map(parseRouteKey).filter((t) => !t.segments.some((s) => s.endsWith('+}')));
  return httpHandler(
    {
      name: 'fallback',
      access: 'public',
      handle: async ({ event }) => {
        const method = event.requestContext.http.method.toUpperCase();
        const path = normalise(event.rawPath);
        const segments = splitPath(path);
        const allow = [...new Set(templates.filter((t) => matches(t.segments, segments)).map((t) => t.method))].sort();
        if (allow.length > 0 && !allow.includes(method)) throw new MethodNotAllowedError(method, path, allow);
        throw new RouteNotFoundError(method, path);
      },
    },
    deps,
  );
}

function parseRouteKey(key: string): RouteTemplate {
  const [method = '', path = ''] = key.trim().split(/\s+/, 2);
  return { method: method.toUpperCase(), segments: splitPath(path) };
}

function normalise(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return trimmed || '/';
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** `{param}` matches one non-empty segment; anything else must be equal. */
function matches(template: string[], actual: string[]): boolean {
  return (
    template.length === actual.length &&
    template.every((seg, i) => (seg.startsWith('{') && seg.endsWith('}')) || seg === actual[i])
  );
}

export const handler = makeHandler({ clock: () => new Date(), routes: loadConfig(['API_ROUTES']).API_ROUTES });
