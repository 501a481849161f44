import { z } from 'zod';
import { MONEY_MAXIMA, type BoundedMoneyField } from '../domain/money.js';

/**
 * Wire building blocks shared by every request and response schema.
 * Request objects are strict (unknown fields are a 400 naming the field); response objects are plain,
 * so parsing an entity through its response schema strips storage-only attributes (pk, sk, …).
 */

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code of three upper-case letters')
  .meta({ description: 'ISO-4217 currency code, e.g. USD', examples: ['USD'] });

export const AmountMinor = z
  .number()
  // zod's int() also bounds the value to the safe-integer range, so sums stay exact.
  .int('must be a whole number of minor units within the safe-integer range')
  .nonnegative('must not be negative')
  .meta({ description: 'Amount in minor units (cents for USD); a non-negative safe integer' });

export const MoneySchema = z
  .strictObject({ amountMinor: AmountMinor, currency: CurrencyCode })
  .meta({ id: 'Money', description: 'Money as integer minor units with an ISO-4217 currency' });

/**
 * The bound the domain puts on a money field (MONEY_MAXIMA), spelled out per currency exponent for the
 * OpenAPI document: "at most 900719925 (2-decimal currencies such as USD), 9007199 (JPY), …".
 */
export function moneyBoundDescription(field: BoundedMoneyField): string {
  const examples = [['USD', '2-decimal currencies such as USD'], ['JPY', '0-decimal currencies such as JPY'], ['KWD', '3-decimal currencies such as KWD'], ['CLF', 'CLF']] as const;
  const values = examples.map(([currency, label]) => ({ max: MONEY_MAXIMA[field](currency), label }));
  if (values.every((v) => v.max === values[0]!.max)) return `amountMinor at most ${values[0]!.max} in every currency`;
  return `amountMinor at most ${values.map((v) => `${v.max} (${v.label})`).join(', ')}`;
}

export const IsoDate = z.iso.date('must be a calendar date YYYY-MM-DD').meta({ description: 'Calendar date YYYY-MM-DD' });

export const Timestamp = z.iso.datetime({ message: 'must be an ISO-8601 UTC timestamp' }).meta({
  description: 'ISO-8601 UTC timestamp',
});

export const EntityId = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

export const Version = z.number().int().min(1).meta({ description: 'Entity version; starts at 1, +1 per change' });

export const Name = z.string().max(1000, 'is too long').meta({
  description: 'Display name, 1..200 characters after trimming (surrounding spaces are removed)',
});

/** Query `limit`: API Gateway hands query values as strings, so coerce. */
export const Limit = z.coerce
  .number('must be a number')
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(100, 'must be at most 100')
  .default(25)
  .meta({ description: 'Page size, 1..100 (default 25)' });

export const Cursor = z
  .string()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .meta({ description: 'Opaque cursor from a previous page' });

export const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() }).meta({
  description: 'Paging query parameters',
});
export type PageQuery = z.infer<typeof PageQuery>;

/** `{items, nextCursor?}`; nextCursor is absent on the last page. */
export function listResponse<T extends z.ZodType>(item: T, id: string, description: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: Cursor.optional().meta({ description: 'Absent on the last page' }),
    })
    .meta({ id, description });
}
