import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoSpendLedger } from '../../shared/adapters/dynamodb/spend-ledger.js';
import type { SpendLedger } from '../../shared/ports/spend-ledger.js';
import { loadSpendConfig } from './config.js';

let ledger: SpendLedger | undefined;

/** The deployed ledger, built once per cold start from SPEND_TABLE_NAME (fails naming it when missing). */
export function productionSpendLedger(): SpendLedger {
  if (ledger) return ledger;
  const config = loadSpendConfig();
  ledger = new DynamoSpendLedger({ client: createDocumentClient(), tableName: config.SPEND_TABLE_NAME });
  return ledger;
}
