/**
 * The one TransactWriteItems of a DealRepository write, and what a cancellation means (docs/data-model.md,
 * "Write path"): the entity's own condition failing is a version conflict (or not found); a condition
 * on another item (a creation record, the deal's budget) is explained by that item; a history item's
 * condition failing alone means history and current state disagree; TransactionConflict is retried
 * while the entity's version has not moved.
 */
import { type DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type NotFoundError, VersionConflictError } from '../../domain/errors.js';
import type { Refusal } from './deal-budget.js';

type Versioned = { version: number };

/** What a cancelled transaction tells us, per item (in the order the items were sent). */
type CancelCode = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | string;

export interface WriteSpec {
  input: TransactWriteCommandInput;
  /** What the entity put expects: no item (create) or this version (update). */
  expected: { kind: 'absent' } | { kind: 'version'; version: number };
  /** Consistent read of the entity's current version. */
  readCurrent: () => Promise<Versioned | undefined>;
  notFound: () => NotFoundError;
  /**
   * Conditions on the transaction's other items (a creation record, the deal's budget), by item index,
   * consulted in this order when the entity's own condition held: what their failure means.
   */
  conditions?: { index: number; refusal: () => Promise<Refusal> }[];
  describe: string;
}

export async function writeTransaction(client: DynamoDBDocumentClient, spec: WriteSpec, maxAttempts: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let codes: CancelCode[] | undefined;
    try {
      await client.send(new TransactWriteCommand(spec.input));
      return;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TransactionCanceledException') {
        codes = ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map(
          (r) => r.Code ?? 'None',
        );
      } else if (name !== 'TransactionConflictException') {
        throw err;
      }
      if (codes?.[0] === 'ConditionalCheckFailed') throw await conflict(spec);
      const failed = spec.conditions?.find((condition) => codes?.[condition.index] === 'ConditionalCheckFailed');
      if (failed) {
        const refusal = await failed.refusal();
        if (!refusal.retry || attempt >= maxAttempts) throw refusal.error;
        await sleep(backoff(attempt));
        continue;
      }
      if (codes?.some((c, i) => i > 0 && c === 'ConditionalCheckFailed')) {
        // The entity condition held but history already has this version or audit entry: the
        // history and the current state disagree. Never overwrite history; surface it.
        throw new Error(`history already holds an item written by ${spec.describe}; refusing to overwrite`);
      }
      const retryable =
        codes === undefined || codes.length === 0 || codes.some((c) => c === 'TransactionConflict' || c === 'ThrottlingError');
      if (!retryable) throw err;
      // A concurrent transaction touched the same item. If it moved the version, we lost the race.
      const current = await spec.readCurrent();
      if (spec.expected.kind === 'version') {
        if (!current) throw spec.notFound();
        if (current.version !== spec.expected.version) {
          throw new VersionConflictError(spec.expected.version, current.version);
        }
      } else if (current) {
        throw new VersionConflictError(0, current.version);
      }
      if (attempt >= maxAttempts) throw err;
      await sleep(backoff(attempt));
    }
  }
}

/** The entity's condition failed: say why, with the current version. */
async function conflict(spec: WriteSpec): Promise<Error> {
  const current = await spec.readCurrent();
  if (spec.expected.kind === 'absent') {
    // Creating an id that already exists: "expected nothing (version 0), found version n".
    return new VersionConflictError(0, current?.version ?? 0);
  }
  if (!current) return spec.notFound();
  return new VersionConflictError(spec.expected.version, current.version);
}

/** Full jitter: random in [0, min(200, 10 * 2^attempt)) ms. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(200, 10 * 2 ** attempt);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
