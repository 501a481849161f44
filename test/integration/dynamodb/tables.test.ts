import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { synthDataStack } from '../../../local/dynamodb/data-tables.js';
import { createTablesFromTemplate } from '../../../local/dynamodb/tables.js';
import { useDynamoDbLocal } from '../../support/dynamodb-local.js';

const ddb = useDynamoDbLocal();

describe('createTablesFromTemplate', () => {
  it('creates the DataStack tables as the template defines them, named by logical id', async () => {
    // Prepare
    const { logicalIds } = synthDataStack();
    // Act (the support helper already ran createTablesFromTemplate on the DataStack template)
    const deals = (await ddb.client.send(new DescribeTableCommand({ TableName: logicalIds.deals }))).Table!;
    const history = (await ddb.client.send(new DescribeTableCommand({ TableName: logicalIds.history }))).Table!;
    const idem = (await ddb.client.send(new DescribeTableCommand({ TableName: logicalIds.idempotency }))).Table!;
    // Assess
    expect(ddb.tables).toEqual(logicalIds);
    expect(deals.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(deals.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['byAccount', 'byAccountStatus', 'byAccountType']);
    expect(deals.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(deals.LatestStreamArn).toBeTruthy();
    expect(history.StreamSpecification).toBeUndefined();
    expect(idem.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    const ttl = await ddb.client.send(new DescribeTimeToLiveCommand({ TableName: logicalIds.idempotency }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiration', TimeToLiveStatus: 'ENABLED' });
  });

  it('is idempotent and honours an explicit TableName', async () => {
    // Prepare
    const { template } = synthDataStack();
    const custom = {
      Resources: {
        Named: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            TableName: 'explicitly-named',
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          },
        },
        NotATable: { Type: 'AWS::SQS::Queue', Properties: {} },
      },
    };
    // Act
    const again = await createTablesFromTemplate(ddb.client, template);
    const named = await createTablesFromTemplate(ddb.client, custom);
    // Assess
    expect(Object.values(again).sort()).toEqual(Object.values(ddb.tables).sort());
    expect(named).toEqual({ Named: 'explicitly-named' });
    const table = (await ddb.client.send(new DescribeTableCommand({ TableName: 'explicitly-named' }))).Table!;
    expect(table.TableStatus).toBe('ACTIVE');
  });
});
