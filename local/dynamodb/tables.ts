/**
 * Creates the tables of a synthesized CloudFormation template in DynamoDB Local. Tables are defined
 * once, in CDK; nothing here knows which tables exist or how they are keyed.
 */
import {
  type AttributeDefinition,
  type CreateTableCommandInput,
  CreateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type StreamViewType,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

interface CfnIndex {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection?: Projection;
}

interface CfnTableProperties {
  TableName?: unknown;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions?: AttributeDefinition[];
  GlobalSecondaryIndexes?: CfnIndex[];
  LocalSecondaryIndexes?: CfnIndex[];
  StreamSpecification?: { StreamViewType?: StreamViewType };
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: unknown };
}

interface CfnTemplate {
  Resources?: Record<string, { Type?: string; Properties?: CfnTableProperties }>;
}

/** Throughput DynamoDB Local gets when it refuses on-demand billing (it does not enforce it). */
const LOCAL_THROUGHPUT = { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 };

/** Every AWS::DynamoDB::Table of the template: logical id → table properties. */
export function tablesOfTemplate(template: object): Record<string, CfnTableProperties> {
  const out: Record<string, CfnTableProperties> = {};
  for (const [logicalId, resource] of Object.entries((template as CfnTemplate).Resources ?? {})) {
    if (resource.Type === 'AWS::DynamoDB::Table' && resource.Properties) out[logicalId] = resource.Properties;
  }
  return out;
}

/** The CreateTable request for one template table (on-demand; `provisioned` for emulators that need it). */
export function createTableInput(
  tableName: string,
  props: CfnTableProperties,
  provisioned = false,
): CreateTableCommandInput {
  const index = (i: CfnIndex) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection ?? { ProjectionType: 'ALL' },
  });
  return {
    TableName: tableName,
    KeySchema: props.KeySchema,
    AttributeDefinitions: props.AttributeDefinitions,
    ...(props.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: props.GlobalSecondaryIndexes.map(
            (i): GlobalSecondaryIndex => (provisioned ? { ...index(i), ProvisionedThroughput: LOCAL_THROUGHPUT } : index(i)),
          ),
        }
      : {}),
    ...(props.LocalSecondaryIndexes?.length
      ? { LocalSecondaryIndexes: props.LocalSecondaryIndexes.map((i): LocalSecondaryIndex => index(i)) }
      : {}),
    ...(props.StreamSpecification?.StreamViewType
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: props.StreamSpecification.StreamViewType } }
      : {}),
    ...(provisioned
      ? { BillingMode: 'PROVISIONED', ProvisionedThroughput: LOCAL_THROUGHPUT }
      : { BillingMode: 'PAY_PER_REQUEST' }),
  };
}

/**
 * Creates every table of `template` (idempotent: existing tables are left as they are) and enables
 * TTL where the template does. Physical name: the template's TableName if it is a plain string,
 * otherwise the logical id (deterministic, so handlers can be given it as DEALS_TABLE_NAME etc.).
 * Returns logical id → physical table name.
 */
export async function createTablesFromTemplate(client: DynamoDBClient, template: object): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [logicalId, props] of Object.entries(tablesOfTemplate(template))) {
    const tableName = typeof props.TableName === 'string' ? props.TableName : logicalId;
    names[logicalId] = tableName;
    const created = await createTable(client, tableName, props);
    const ttl = props.TimeToLiveSpecification;
    if (created && ttl?.AttributeName && ttl.Enabled !== false) {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
          }),
        );
      } catch (err) {
        // Older emulators lack TTL; expiry is not something local runs depend on.
        if (!/UnknownOperation|not supported/i.test(`${(err as Error).name} ${(err as Error).message}`)) throw err;
      }
    }
  }
  return names;
}

async function createTable(client: DynamoDBClient, tableName: string, props: CfnTableProperties): Promise<boolean> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName, props)));
    return true;
  } catch (err) {
    const e = err as Error;
    if (e.name === 'ResourceInUseException') return false;
    if (e.name === 'ValidationException' && /throughput|billing/i.test(e.message)) {
      await client.send(new CreateTableCommand(createTableInput(tableName, props, true)));
      return true;
    }
    throw err;
  }
}
