/**
 * The DataStack's tables, read from its synthesized template (never restated by hand), and created
 * in an emulator. Logical ids do not depend on the stack's name, so they match the full app's.
 */
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DataStack } from '../../infra/stacks/data-stack.js';
import { createTablesFromTemplate } from './tables.js';

export interface DataTableNames {
  deals: string;
  history: string;
  idempotency: string;
  spend: string;
  rateLimit: string;
  changeEvents: string;
  engagement: string;
}

/** Logical ids of the tables of a DataStack (which are also their local physical names). */
export function dataTableLogicalIds(stack: DataStack): DataTableNames {
  const id = (table: { node: { defaultChild?: unknown } }) => Stack.of(stack).getLogicalId(table.node.defaultChild as CfnResource);
  return {
    deals: id(stack.dealsTable),
    history: id(stack.historyTable),
    idempotency: id(stack.idempotencyTable),
    spend: id(stack.spendTable),
    rateLimit: id(stack.rateLimitTable),
    changeEvents: id(stack.changeEvents),
    engagement: id(stack.engagementTable),
  };
}

/** Synthesizes a DataStack on its own: its CloudFormation template and its tables' logical ids. */
export function synthDataStack(): { template: object; logicalIds: DataTableNames } {
  const app = new App();
  const stack = new DataStack(app, 'Data');
  const template = app.synth().getStackByName(stack.stackName).template as object;
  return { template, logicalIds: dataTableLogicalIds(stack) };
}

/** Creates the DataStack's tables (idempotent) and returns their physical names. */
export async function createDataTables(client: DynamoDBClient): Promise<DataTableNames> {
  const { template, logicalIds } = synthDataStack();
  const names = await createTablesFromTemplate(client, template);
  const physical = (logicalId: string): string => names[logicalId]!;
  return {
    deals: physical(logicalIds.deals),
    history: physical(logicalIds.history),
    idempotency: physical(logicalIds.idempotency),
    spend: physical(logicalIds.spend),
    rateLimit: physical(logicalIds.rateLimit),
    changeEvents: physical(logicalIds.changeEvents),
    engagement: physical(logicalIds.engagement),
  };
}
