import { IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import {
  AlreadyCreatedError,
  type CreationRecord,
  type CreationRequest,
  type DealRepository,
} from '../../shared/ports/deal-repository.js';
import type { HttpResult } from './http/handler.js';

export interface CreateOnceSteps {
  /** Creates the entity (passing the CreationRequest to the repository) and answers 201. */
  create: () => Promise<HttpResult>;
  /** The answer the create gave: 201 with the entity as version 1 left it, its ETag and Location. */
  replay: (record: CreationRecord) => Promise<HttpResult>;
}

/**
 * A POST that creates an entity, at most once per Idempotency-Key (http/idempotency.ts). The idempotency
 * record answers most retries; this covers the ones it cannot (the response was never stored, or the
 * function died after the write, and a retry came after the in-progress record had expired). The
 * repository keeps which entity each key created: a retry of the same request is answered as the create
 * was, from the entity's version 1, before any rule is checked against today's state (the first create
 * may itself be what a budget check would now count); another request under the key is 422
 * `idempotency_key_reused`. Two such retries racing meet at the repository's conditional write.
 */
export async function createOnce(
  repo: DealRepository,
  creation: CreationRequest | undefined,
  steps: CreateOnceSteps,
): Promise<HttpResult> {
  const prior = creation && (await repo.findCreation(creation.scope));
  if (creation && prior) return answerAgain(creation, prior, steps);
  try {
    return await steps.create();
  } catch (err) {
    if (creation && err instanceof AlreadyCreatedError) return answerAgain(creation, err.record, steps);
    throw err;
  }
}

async function answerAgain(creation: CreationRequest, prior: CreationRecord, steps: CreateOnceSteps): Promise<HttpResult> {
  if (prior.fingerprint !== creation.fingerprint) {
    throw new IdempotencyValidationError('the Idempotency-Key already created an entity from another request');
  }
  const result = await steps.replay(prior);
  return { ...result, headers: { ...result.headers, 'Idempotent-Replayed': 'true' } };
}

/** A version-1 snapshot a creation record points at; its absence means history lost an item (→ 500). */
export function created<T>(entity: T | undefined, record: CreationRecord): T {
  if (entity === undefined) throw new Error(`${record.entityType} ${record.entityId} has a creation record but no version 1`);
  return entity;
}
