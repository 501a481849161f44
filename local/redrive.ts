/**
 * `./dev redrive` (npm run redrive [-- --max N] [--descriptor PATH]): replays the change processor's
 * dead-lettered records on the running local stack, with the same code as the ChangeRedrive function
 * in AWS (shared/change-capture/redrive.ts), and prints its report as JSON: replayed, acknowledged,
 * stillFailing (event id, deal, error, attempts), unreadableMessages. Safe to run again: replays are
 * deduplicated by event id. Exit code 1 when letters still fail.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../shared/adapters/dynamodb/client.js';
import { DynamoHeldDeals } from '../shared/adapters/dynamodb/held-deals.js';
import { readStreamChange } from '../shared/adapters/dynamodb/stream-changes.js';
import { SnsDomainEventPublisher } from '../shared/adapters/sns/domain-event-publisher.js';
import { SqsChangeDeadLetterQueue } from '../shared/adapters/sqs/change-dead-letter-queue.js';
import { redriveChanges, type RedriveReport } from '../shared/change-capture/redrive.js';
import { localClientConfig } from './dynamodb/launch.js';
import { emulatorClients } from './events/fauxqs.js';
import { DEFAULT_DESCRIPTOR_PATH, type LocalStackDescriptor } from './stack.js';

export class RedriveSetupError extends Error {}

/** The changeEvents table's local name: tables are named by their logical id (`ChangeEvents<hash>`). */
function changeEventsTable(descriptor: LocalStackDescriptor): string {
  const name = Object.entries(descriptor.tables).find(([logicalId]) => /^ChangeEvents[0-9A-F]{8}$/.test(logicalId))?.[1];
  if (!name) throw new RedriveSetupError(`the local stack has no ChangeEvents table (tables: ${Object.keys(descriptor.tables).join(', ')})`);
  return name;
}

/** Runs one redrive against the local stack `descriptor` describes. */
export async function redriveLocal(descriptor: LocalStackDescriptor, options: { maxLetters?: number } = {}): Promise<RedriveReport> {
  const { eventsEndpoint, changeDeadLetterQueueUrl, domainEventsTopicArn } = descriptor;
  if (!eventsEndpoint || !changeDeadLetterQueueUrl || !domainEventsTopicArn) {
    throw new RedriveSetupError('the local stack runs no change data capture (no eventsEndpoint, changeDeadLetterQueueUrl or domainEventsTopicArn in its descriptor)');
  }
  const clients = emulatorClients(eventsEndpoint, descriptor.region);
  const doc = createDocumentClient(localClientConfig(descriptor.dynamodbEndpoint));
  try {
    return await redriveChanges({
      deadLetters: new SqsChangeDeadLetterQueue({ client: clients.sqs, queueUrl: changeDeadLetterQueueUrl }),
      publisher: new SnsDomainEventPublisher({ client: clients.sns, topicArn: domainEventsTopicArn }),
      heldDeals: new DynamoHeldDeals({ client: doc, tableName: changeEventsTable(descriptor) }),
      readChange: readStreamChange,
      ...(options.maxLetters !== undefined ? { maxLetters: options.maxLetters } : {}),
    });
  } finally {
    clients.destroy();
    doc.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { max: { type: 'string' }, descriptor: { type: 'string' } } });
  const path = values.descriptor ?? DEFAULT_DESCRIPTOR_PATH;
  let descriptor: LocalStackDescriptor;
  try {
    descriptor = JSON.parse(readFileSync(path, 'utf8')) as LocalStackDescriptor;
  } catch (err) {
    throw new RedriveSetupError(`cannot read the local stack's descriptor ${path} (is \`./dev start\` running?): ${(err as Error).message}`);
  }
  const maxLetters = values.max === undefined ? undefined : Number(values.max);
  if (maxLetters !== undefined && (!Number.isInteger(maxLetters) || maxLetters < 1)) throw new RedriveSetupError(`--max must be a positive integer, got ${values.max}`);
  const report = await redriveLocal(descriptor, maxLetters !== undefined ? { maxLetters } : {});
  console.log(JSON.stringify(report, null, 2));
  if (report.stillFailing.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    console.error(`redrive: ${err.message}`);
    process.exit(2);
  });
}
