import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../infra/api/routes.js';
import { ACTION_GROUPS } from '../../../shared/domain/access.js';
import { API_OPERATIONS, OPERATION_KEYS, findOperation } from '../../../shared/schemas/api-operations.js';

/** design.md's route table: `| METHOD | /path | handler | groups |` rows. */
function designRoutes(): Array<{ key: string; groups: string }> {
  const design = readFileSync(new URL('../../../docs/design.md', import.meta.url), 'utf8');
  return [...design.matchAll(/^\| (GET|POST|PATCH|PUT|DELETE|ANY) \| (\S+) \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => ({
    key: `${m[1]} ${m[2]}`,
    groups: m[3]!.trim(),
  }));
}

describe('API operation list', () => {
  it('has exactly the routes of design.md, keyed "METHOD /path"', () => {
    // Prepare
    const design = designRoutes().map((r) => r.key);
    // Assess
    expect(design.length).toBeGreaterThanOrEqual(20);
    expect([...OPERATION_KEYS].sort()).toEqual([...design].sort());
  });

  it('keys match each operation method and path', () => {
    for (const key of OPERATION_KEYS) {
      const op = API_OPERATIONS[key];
      expect(`${op.method} ${op.path}`).toBe(key);
    }
  });

  it("allows the groups design.md lists for each route", () => {
    for (const { key, groups } of designRoutes()) {
      const op = findOperation(key)!;
      if (groups.startsWith('no auth')) {
        expect(op.auth, key).toBe('none');
        expect(op.groups, key).toEqual([]);
      } else if (groups === 'any group') {
        expect(op.auth, key).toBe('jwt');
        expect(op.groups, key).toBe('any');
      } else {
        expect(op.auth, key).toBe('jwt');
        expect([...(op.groups as readonly string[])].sort(), key).toEqual(groups.split(',').map((g) => g.trim()).sort());
      }
    }
  });

  it('derives groups from the access rules the handlers enforce', () => {
    for (const key of OPERATION_KEYS) {
      const op = findOperation(key)!;
      if (op.action) expect(op.groups).toBe(ACTION_GROUPS[op.action]);
    }
  });

  it('locks every state-changing route with If-Match except creates, and lets POSTs take Idempotency-Key', () => {
    for (const key of OPERATION_KEYS) {
      const op = findOperation(key)!;
      const changesExisting = op.method === 'PATCH' || /\/(cancel|submit)$/.test(op.path);
      // A PUT creates what does not exist yet and needs If-Match to replace what does.
      expect(op.requiresIfMatch, key).toBe(op.method === 'PUT' ? 'to-replace' : changesExisting);
      expect(op.acceptsIdempotencyKey, key).toBe(op.method === 'POST');
    }
  });

  it('agrees with the infra route table (infra/api/routes.ts)', () => {
    // Prepare
    const infra = ROUTES.map((r) => ({ key: `${r.method} ${r.path}`, auth: r.auth, groups: r.groups }));
    // Assess
    expect(infra.map((r) => r.key).sort()).toEqual([...OPERATION_KEYS].sort());
    for (const route of infra) {
      const op = findOperation(route.key)!;
      expect(op.auth, route.key).toBe(route.auth);
      expect(op.groups === 'any' ? 'any' : [...op.groups].sort(), route.key).toEqual(
        route.groups === 'any' ? 'any' : [...route.groups].sort(),
      );
    }
  });
});
