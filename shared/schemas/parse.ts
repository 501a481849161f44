import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../domain/errors.js';

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => String(segment)).join('.');
}

/** Zod's "expected string, received undefined" reads better as "is required" for a missing field. */
function readableMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  return issue.message;
}

/**
 * One ValidationIssue per problem, path joined with dots ("totalValue.amountMinor", "creativeSpecs.0.width").
 * Unknown fields get one issue each, at the unknown field's own path, so the 400 names it.
 */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap((issue): ValidationIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: joinPath([...issue.path, key]), message: `unknown field "${key}"` }));
    }
    return [{ path: joinPath(issue.path), message: readableMessage(issue) }];
  });
}

/** Parses `value` or throws the domain ValidationError (→ 400 validation_failed). */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(toValidationIssues(result.error));
  return result.data;
}
