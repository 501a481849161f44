/**
 * The engagement table's name in DynamoDB Local: useDynamoDbLocal() creates every table of the
 * DataStack's template, named by logical id, but names only the older ones in `tables`.
 */
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { DataStack } from '../../infra/stacks/data-stack.js';

let cached: string | undefined;

export function engagementTableName(): string {
  if (cached) return cached;
  const stack = new DataStack(new App(), 'Data');
  cached = Stack.of(stack).getLogicalId(stack.engagementTable.node.defaultChild as CfnResource);
  return cached;
}
