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
