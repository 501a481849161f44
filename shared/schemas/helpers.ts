import { z } from 'zod';

/** `true` only when A is assignable to B. */
export type Assignable<A, B> = [A] extends [B] ? true : false;

/** Fails to compile unless T is `true`: `type _ = Expect<Assignable<Wire, Domain>>`. */
export type Expect<T extends true> = T;

/** PATCH bodies: an empty object changes nothing and is a 400. */
export function atLeastOneField<T extends z.ZodObject>(schema: T) {
  return schema
    .refine((body) => Object.values(body as Record<string, unknown>).some((v) => v !== undefined), {
      message: 'must contain at least one field',
      // Only when the body is otherwise fine: `{ "foo": 1 }` should just say "unknown field foo".
      when: (payload) => payload.issues.length === 0,
    })
    .meta({ minProperties: 1 });
}

/**
 * The wire form of a stored entity: the response schema's top-level fields, taken as stored (anything
 * else, such as storage keys, is dropped). Deliberately not validated: an entity that was valid when it
 * was written must stay readable after a request bound tightens, and a read that re-checked today's
 * input rules would answer 500 for it. The compile-time `Expect<Assignable<Entity, Response>>` beside
 * each schema keeps the shapes in step.
 */
export function wireFields<T extends z.ZodObject>(schema: T, entity: object): z.output<T> {
  const stored = entity as Record<string, unknown>;
  const wire: Record<string, unknown> = {};
  for (const field of Object.keys(schema.shape)) if (stored[field] !== undefined) wire[field] = stored[field];
  return wire as z.output<T>;
}
