/**
 * ClientRateLimiter on the rate-limit table (infra/stacks/data-stack.ts): one item per client and
 * window, `pk` = WINDOW#<window start, epoch s>#CLIENT#<sub>, holding `requests` and a TTL.
 *
 * One conditional UpdateItem per request: ADD 1 unless the window already holds the limit. A refused
 * request changes nothing, so a client that keeps retrying is admitted again as soon as the next
 * window starts. The window is part of the key, so no item is ever reset or read back, and TTL only
 * cleans up. Needs dynamodb:UpdateItem and nothing else (CLIENT_RATE_LIMITER_GRANT).
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ClientRateLimit,
  type RateDecision,
  type RateWindow,
  rateWindowAt,
  secondsUntilWindowEnds,
} from '../../domain/rate-limit.js';
import type { ClientRateLimiter } from '../../ports/client-rate-limiter.js';

/** Items outlive their window by this much before TTL may delete them (TTL deletion is lazy anyway). */
const EXPIRY_GRACE_SECONDS = 60;

export interface DynamoClientRateLimiterOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  limit: ClientRateLimit;
  /** Gives up on one admission after this long (the call then throws). @default 1000 */
  timeoutMs?: number;
}

/** The item key of `clientId`'s counter in `window`. The client id comes last, so any id is unambiguous. */
export function rateLimitKey(clientId: string, window: RateWindow): string {
  return `WINDOW#${window.startsAt}#CLIENT#${clientId}`;
}

export class DynamoClientRateLimiter implements ClientRateLimiter {
  readonly limit: ClientRateLimit;
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly timeoutMs: number;

  constructor(options: DynamoClientRateLimiterOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.limit = options.limit;
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  async admit(clientId: string, at: Date): Promise<RateDecision> {
    const window = rateWindowAt(at, this.limit.windowSeconds);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: rateLimitKey(clientId, window) },
          UpdateExpression: 'ADD #requests :one SET #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#requests) OR #requests < :limit',
          ExpressionAttributeNames: { '#requests': 'requests', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': this.limit.requests,
            ':expiresAt': window.endsAt + EXPIRY_GRACE_SECONDS,
          },
        }),
        // A slow limiter must not hold the request up for long; the caller decides what a failure means.
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
      return { admitted: true };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        return { admitted: false, retryAfterSeconds: secondsUntilWindowEnds(at, window) };
      }
      throw error;
    }
  }
}
