import { z } from 'zod';
import { MoneySchema } from './common.js';

/** Every error code the API answers with, and its HTTP status (design.md "Wire contract"). */
export const ERROR_STATUS = {
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  version_conflict: 412,
  precondition_required: 428,
  rate_limited: 429,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
  illegal_transition: 409,
  field_locked: 409,
  budget_exceeded: 409,
  internal_error: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export const ValidationIssueSchema = z
  .object({
    path: z.string().meta({ description: 'Dotted path of the offending field ("" for the whole body)' }),
    message: z.string(),
  })
  .meta({ id: 'ValidationIssue' });

export const ErrorResponse = z
  .object({
    error: z.looseObject({
      code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      issues: z.array(ValidationIssueSchema).optional().meta({ description: 'validation_failed only' }),
      currentVersion: z.number().int().optional().meta({ description: 'version_conflict only' }),
      currentStatus: z.string().optional().meta({ description: "illegal_transition (the entity's status) and field_locked (the deal's status)" }),
      fields: z.array(z.string()).optional().meta({ description: 'field_locked only: the locked fields the request would change' }),
      totalValue: MoneySchema.optional().meta({ description: "budget_exceeded only: the deal's total value" }),
      allocated: MoneySchema.optional().meta({ description: "budget_exceeded only: what the deal's campaigns together budget" }),
      available: MoneySchema.optional().meta({ description: 'budget_exceeded only: totalValue − allocated' }),
      required: MoneySchema.optional().meta({
        description: 'budget_exceeded only: what the change needed available (a budget, an increase, a cut in the total)',
      }),
    }),
  })
  .meta({ id: 'ErrorResponse', description: 'Every 4xx/5xx body' });
export type ErrorResponse = z.infer<typeof ErrorResponse>;
