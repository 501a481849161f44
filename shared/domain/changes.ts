import type { FieldChange } from './audit.js';
import { isMoney } from './money.js';

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality for JSON-like values (what entities are made of). Key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    return keysA.length === keysB.length && keysA.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Audit entries are JSON: an absent value is recorded as null rather than dropped. */
function auditValue(value: unknown): unknown {
  return value === undefined ? null : value;
}

function diffValue(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (deepEqual(before, after)) return;
  // Money is a value object: "totalValue" changed, not "totalValue.amountMinor".
  // Other nested objects (schedule, targeting) are diffed per leaf so the audit says exactly what moved.
  if (isPlainObject(before) && isPlainObject(after) && !isMoney(before) && !isMoney(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of [...keys].sort()) diffValue(`${path}.${key}`, before[key], after[key], out);
    return;
  }
  out.push({ field: path, old: auditValue(before), new: auditValue(after) });
}

/**
 * Field-level changes between two versions of an entity, restricted to `fields`, in the order given.
 * Nested objects yield dotted paths ("schedule.endDate"); arrays and money values change as a whole.
 */
export function diffFields<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of fields) diffValue(field, before[field], after[field], changes);
  return changes;
}

/** Changes recorded for a newly created entity: every listed field from null to its value. */
export function creationChanges<T extends object>(entity: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  return fields
    .filter((field) => entity[field] !== undefined)
    .map((field) => ({ field, old: null, new: entity[field] }));
}
