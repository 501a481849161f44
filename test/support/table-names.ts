/**
 * Table names in DynamoDB Local without a running server: useDynamoDbLocal() creates the DataStack's
 * tables named by their logical ids, which synthesis alone tells (for module-level constants and
 * helpers built before the server is up). Inside tests, `ddb.tables` holds the same names.
 */
import { synthDataStack, type DataTableNames } from '../../local/dynamodb/data-tables.js';

let cached: DataTableNames | undefined;
const names = (): DataTableNames => (cached ??= synthDataStack().logicalIds);

export const changeEventsTableName = (): string => names().changeEvents;
export const engagementTableName = (): string => names().engagement;
