import { randomUUID } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoBiddingSettingsRepository } from '../../shared/adapters/dynamodb/bidding-settings-repository.js';
import { DynamoDealRepository } from '../../shared/adapters/dynamodb/deal-repository.js';
import type { BiddingSettingsRepository } from '../../shared/ports/bidding-settings-repository.js';
import type { DealRepository } from '../../shared/ports/deal-repository.js';
import { loadConfig } from './config.js';
import type { HttpDeps } from './http/handler.js';
import { productionRateLimiter } from './http/production-rate-limiter.js';

/** What the deal and campaign handlers need. Tests build their own (in-memory repository, fixed clock). */
export interface ApiDeps extends HttpDeps {
  repo: DealRepository;
  /** Accounts' allowed seats and PMP deal ids (the bidding-settings routes, campaign create/amend). */
  biddingSettings: BiddingSettingsRepository;
  clock: () => Date;
  newId: () => string;
}

let repository: DealRepository | undefined;
let biddingSettings: BiddingSettingsRepository | undefined;
let idempotencyClient: DynamoDBClient | undefined;

/**
 * The deployed dependencies, built once per cold start (and shared by every handler module loaded in the
 * same process, e.g. by the local stack). Reads and validates the environment: DEALS_TABLE_NAME and
 * HISTORY_TABLE_NAME always, IDEMPOTENCY_TABLE_NAME for routes that honour Idempotency-Key, and the
 * client rate limit's variables (http/production-rate-limiter.ts).
 */
export function productionDeps(options: { idempotent: boolean }): ApiDeps {
  // One read naming every missing variable; IDEMPOTENCY_TABLE_NAME is read only for idempotent routes.
  const config = loadConfig<'DEALS_TABLE_NAME' | 'HISTORY_TABLE_NAME' | 'IDEMPOTENCY_TABLE_NAME'>(
    options.idempotent
      ? ['DEALS_TABLE_NAME', 'HISTORY_TABLE_NAME', 'IDEMPOTENCY_TABLE_NAME']
      : ['DEALS_TABLE_NAME', 'HISTORY_TABLE_NAME'],
  );
  repository ??= new DynamoDealRepository({
    client: createDocumentClient(),
    dealsTableName: config.DEALS_TABLE_NAME,
    historyTableName: config.HISTORY_TABLE_NAME,
  });
  biddingSettings ??= new DynamoBiddingSettingsRepository({
    client: createDocumentClient(),
    dealsTableName: config.DEALS_TABLE_NAME,
    historyTableName: config.HISTORY_TABLE_NAME,
  });
  let idempotencyStore: DynamoDBPersistenceLayer | undefined;
  if (options.idempotent) {
    idempotencyClient ??= new DynamoDBClient({});
    // One persistence layer per route: Powertools configures a layer once (key prefix, JMESPaths), so
    // routes must not share one. They share the SDK client.
    idempotencyStore = new DynamoDBPersistenceLayer({ tableName: config.IDEMPOTENCY_TABLE_NAME, awsSdkV3Client: idempotencyClient });
  }
  return {
    repo: repository,
    biddingSettings,
    clock: () => new Date(),
    newId: () => randomUUID(),
    idempotencyStore,
    rateLimiter: productionRateLimiter(),
  };
}
