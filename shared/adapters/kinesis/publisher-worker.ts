/**
 * The publisher worker (a worker_threads entry): owns the Kinesis client and a BufferedEventPublisher,
 * so PutRecords serialization (base64 of every record, the SigV4 payload hash), socket writes and
 * retries run off the bidder's main thread. Records arrive already encoded, as transferred buffers.
 *
 * Bundled on its own next to the bidder (bidder/Dockerfile: dist/kinesis-publisher-worker.mjs); under
 * tsx the .ts file runs as is. See worker-publisher.ts for the main-thread side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BufferedEventPublisher, type PublisherStats } from './buffered-publisher.js';
import { createKinesisClient } from './client.js';
import { readRecordBatch } from './record-batch.js';
import type { FromWorker, PublisherWorkerConfig, ToWorker } from './worker-protocol.js';

if (!parentPort) throw new Error('publisher-worker.ts runs as a worker thread (WorkerEventPublisher starts it)');
const port = parentPort;
const config = workerData as PublisherWorkerConfig;
const { client: clientOptions, streamName, streamArn, ...tuning } = config;

const post = (message: FromWorker) => port.postMessage(message);
const client = createKinesisClient(clientOptions);

let statsQueued = false;
/** One stats message per turn of the worker's event loop, however many batches settled in it. */
const queueStats = () => {
  if (statsQueued) return;
  statsQueued = true;
  setImmediate(() => {
    statsQueued = false;
    post({ type: 'stats', stats: publisher.stats() });
  });
};

const publisher = new BufferedEventPublisher({
  client,
  ...(streamArn ? { streamArn } : { streamName: streamName! }),
  ...tuning,
  onSettled: queueStats,
  onError: (error, info) => post({ type: 'error', message: error instanceof Error ? error.message : String(error), ...info }),
});

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'records':
      for (const record of readRecordBatch(message)) publisher.publishRecord(record);
      return;
    case 'flush':
      void publisher.flush({ deadlineMs: message.deadlineMs }).then(() => done(message.id, publisher.stats()));
      return;
    case 'close':
      void publisher.close({ deadlineMs: message.deadlineMs }).then(() => {
        done(message.id, publisher.stats());
        client.destroy();
        // Nothing left to wait for: closing the port lets the thread exit.
        port.close();
      });
      return;
  }
});

function done(id: number, stats: PublisherStats): void {
  post({ type: 'done', id, stats });
}
