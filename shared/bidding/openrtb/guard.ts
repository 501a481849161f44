/**
 * Guards for untrusted JSON, run before (text) or instead of trusting (value) a parsed body.
 *
 * `checkJsonText` scans raw bytes/characters once, with no allocation, and rejects bodies that are too
 * large or nest deeper than allowed BEFORE `JSON.parse` builds anything. Only when it rejects does a
 * second, slower scan work out the path of the offending container, so the error names where it is.
 * `findExcessDepth` does the same for an already parsed value (bounded recursion).
 */

export interface JsonLimits {
  /** Largest accepted body, in bytes (for Uint8Array input) or UTF-16 code units (for string input). */
  maxBytes: number;
  /** Deepest accepted nesting of objects/arrays; the top-level object is depth 1. */
  maxDepth: number;
}

/** Defaults sized for OpenRTB: real requests are a few KB and nest < 12 levels (schain, eids, ext). */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({ maxBytes: 256 * 1024, maxDepth: 32 });

export interface GuardFailure {
  ok: false;
  reason: string;
  /** Where the problem is: dotted path with [index] for arrays ("imp[0].ext.a"); "" for the whole body. */
  path: string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const COMMA = 44;
const COLON = 58;

/**
 * Size and nesting check on the raw body. Returns null when fine. O(n), no allocation on success.
 * It does not validate JSON syntax (JSON.parse does that next); it only bounds the work JSON.parse and
 * every later walk can be made to do.
 */
export function checkJsonText(body: string | Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): GuardFailure | null {
  const length = body.length;
  if (length > limits.maxBytes) {
    return { ok: false, reason: `body of ${length} bytes exceeds the limit of ${limits.maxBytes}`, path: '' };
  }
  const maxDepth = limits.maxDepth;
  let depth = 0;
  let inString = false;
  if (typeof body === 'string') {
    for (let i = 0; i < length; i++) {
      const c = body.charCodeAt(i);
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++depth > maxDepth) return depthFailure(body, i, maxDepth);
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    }
  } else {
    for (let i = 0; i < length; i++) {
      const c = body[i] as number;
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++depth > maxDepth) return depthFailure(body, i, maxDepth);
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    }
  }
  return null;
}

/** Slow path, only on rejection: rescan up to `offset` keeping a path stack so the error names the place. */
function depthFailure(body: string | Uint8Array, offset: number, maxDepth: number): GuardFailure {
  const text = typeof body === 'string' ? body.slice(0, offset + 1) : Buffer.from(body.subarray(0, offset + 1)).toString('utf8');
  // Each frame: kind of container, current array index or last object key, and whether a key is expected next.
  const frames: { kind: 'a' | 'o'; index: number; key: string; expectKey: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const top = frames[frames.length - 1];
    if (c === QUOTE) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== QUOTE) j += text.charCodeAt(j) === BACKSLASH ? 2 : 1;
      if (top && top.kind === 'o' && top.expectKey) {
        top.key = safeKey(text.slice(i + 1, j));
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === OPEN_ARRAY) frames.push({ kind: 'a', index: 0, key: '', expectKey: false });
    else if (c === OPEN_OBJECT) frames.push({ kind: 'o', index: 0, key: '', expectKey: true });
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) frames.pop();
    else if (c === COMMA && top) {
      if (top.kind === 'a') top.index++;
      else top.expectKey = true;
    } else if (c === COLON && top && top.kind === 'o') top.expectKey = false;
    i++;
  }
  // The last frame is the container that went too deep; its position is named by the frames above it.
  let path = '';
  for (let f = 0; f < frames.length - 1; f++) {
    const frame = frames[f] as (typeof frames)[number];
    path = frame.kind === 'a' ? `${path}[${frame.index}]` : path === '' ? frame.key : `${path}.${frame.key}`;
  }
  return { ok: false, reason: `nesting deeper than ${maxDepth} levels`, path };
}

function safeKey(raw: string): string {
  return raw.length > 64 ? `${raw.slice(0, 64)}…` : raw;
}

/**
 * Depth check on a parsed value: the path of the first container deeper than `maxDepth`, or null.
 * Recursion is bounded by maxDepth, so hostile values cannot overflow the stack. No allocation on success.
 */
export function findExcessDepth(value: unknown, maxDepth: number = DEFAULT_JSON_LIMITS.maxDepth): string | null {
  const segments = excessDepth(value, 1, maxDepth);
  if (segments === null) return null;
  let path = '';
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i] as string | number;
    path = typeof s === 'number' ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`;
  }
  return path;
}

/** Returns reversed path segments (innermost first) to the too-deep container, or null. */
function excessDepth(value: unknown, depth: number, maxDepth: number): (string | number)[] | null {
  if (typeof value !== 'object' || value === null) return null;
  if (depth > maxDepth) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) {
        const found = excessDepth(item, depth + 1, maxDepth);
        if (found) {
          found.push(i);
          return found;
        }
      }
    }
    return null;
  }
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) {
      const found = excessDepth(item, depth + 1, maxDepth);
      if (found) {
        found.push(key);
        return found;
      }
    }
  }
  return null;
}

export type JsonParseResult = { ok: true; value: unknown } | GuardFailure;

/** Guard then parse: the size/depth check, then JSON.parse with its SyntaxError turned into a failure. */
export function parseJsonGuarded(body: string | Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonParseResult {
  const guard = checkJsonText(body, limits);
  if (guard) return guard;
  try {
    const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}`, path: '' };
  }
}
