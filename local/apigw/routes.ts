/**
 * HTTP API route keys and route selection as API Gateway does it: the most specific route wins.
 * Path segments compare left to right: a literal beats a {param}, which beats a greedy {proxy+};
 * for equally specific paths an exact method beats ANY; `$default` catches what nothing else matched.
 * A greedy variable matches one or more trailing segments; a {param} matches exactly one, non-empty.
 */

export type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

export interface ParsedRouteKey {
  routeKey: string;
  /** Upper-case method, "ANY", or "$default" for the default route. */
  method: string;
  path: string;
  segments: Segment[];
  isDefault: boolean;
}

export class RouteKeyError extends Error {}

export function parseRouteKey(routeKey: string): ParsedRouteKey {
  if (routeKey === '$default') return { routeKey, method: '$default', path: '', segments: [], isDefault: true };
  const m = /^([A-Za-z]+) (\/\S*)$/.exec(routeKey);
  if (!m) throw new RouteKeyError(`invalid route key "${routeKey}"`);
  const method = m[1]!.toUpperCase();
  const path = m[2]!;
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments = parts.map((part, i): Segment => {
    const v = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(part);
    if (!v) {
      if (part.includes('{') || part.includes('}')) throw new RouteKeyError(`invalid path segment "${part}" in "${routeKey}"`);
      return { kind: 'literal', value: part };
    }
    if (v[2]) {
      if (i !== parts.length - 1) throw new RouteKeyError(`greedy variable must be last in "${routeKey}"`);
      return { kind: 'greedy', name: v[1]! };
    }
    return { kind: 'param', name: v[1]! };
  });
  return { routeKey, method, path, segments, isDefault: false };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Path parameters when `rawPath` matches the route's path, else undefined. */
export function matchPath(route: ParsedRouteKey, rawPath: string): Record<string, string> | undefined {
  if (route.isDefault) return {};
  const parts = rawPath === '/' || rawPath === '' ? [] : rawPath.replace(/^\//, '').split('/');
  const params: Record<string, string> = {};
  const segs = route.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[seg.name] = safeDecode(rest.join('/'));
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === 'literal') {
      if (part !== seg.value && safeDecode(part) !== seg.value) return undefined;
    } else {
      if (part === '') return undefined;
      params[seg.name] = safeDecode(part);
    }
  }
  return parts.length === segs.length ? params : undefined;
}

const WEIGHT = { literal: 3, param: 2, greedy: 1 } as const;

/** Negative when `a` is more specific than `b`. */
export function compareSpecificity(a: ParsedRouteKey, b: ParsedRouteKey): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const wa = a.segments[i] ? WEIGHT[a.segments[i]!.kind] : 0;
    const wb = b.segments[i] ? WEIGHT[b.segments[i]!.kind] : 0;
    if (wa !== wb) return wb - wa;
  }
  const ma = a.method === 'ANY' ? 1 : 0;
  const mb = b.method === 'ANY' ? 1 : 0;
  return ma - mb;
}

export interface RouteMatch<R extends ParsedRouteKey> {
  route: R;
  pathParameters: Record<string, string>;
}

/** Picks the route API Gateway would pick for `method rawPath`, or undefined (→ 404). */
export function selectRoute<R extends ParsedRouteKey>(routes: readonly R[], method: string, rawPath: string): RouteMatch<R> | undefined {
  const m = method.toUpperCase();
  let best: RouteMatch<R> | undefined;
  for (const route of routes) {
    if (!route.isDefault && route.method !== 'ANY' && route.method !== m) continue;
    const params = matchPath(route, rawPath);
    if (!params) continue;
    if (!best || compareSpecificity(route, best.route) < 0) best = { route, pathParameters: params };
  }
  return best;
}
