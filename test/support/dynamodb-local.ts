/**
 * One DynamoDB Local per test file: started in beforeAll (on a free loopback port), with the
 * DataStack's tables created from its synthesized template, stopped in afterAll.
 *
 *   const ddb = useDynamoDbLocal();
 *   it('…', async () => { await ddb.doc.send(…); ddb.tables.deals; });
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { type DataTableNames, createDataTables } from '../../local/dynamodb/data-tables.js';
import { type DynamoDbLocal, localClientConfig, startDynamoDbLocal } from '../../local/dynamodb/launch.js';

export interface DynamoDbLocalContext {
  readonly server: DynamoDbLocal;
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: DataTableNames;
}

export function useDynamoDbLocal(): DynamoDbLocalContext {
  let state: Omit<DynamoDbLocalContext, 'endpoint'> | undefined;
  const get = () => {
    if (!state) throw new Error('DynamoDB Local is not running (use the context inside tests or hooks)');
    return state;
  };

  beforeAll(async () => {
    const server = await startDynamoDbLocal({ port: 0 });
    const config = localClientConfig(server.endpoint);
    const client = new DynamoDBClient(config);
    const doc = createDocumentClient(config);
    const tables = await createDataTables(client);
    state = { server, client, doc, tables };
  });

  afterAll(async () => {
    if (!state) return;
    state.client.destroy();
    state.doc.destroy();
    await state.server.stop();
    state = undefined;
  });

  return {
    get server() {
      return get().server;
    },
    get endpoint() {
      return get().server.endpoint;
    },
    get client() {
      return get().client;
    },
    get doc() {
      return get().doc;
    },
    get tables() {
      return get().tables;
    },
  };
}
