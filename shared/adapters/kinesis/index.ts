export * from './client.js';
export * from './buffered-publisher.js';
export * from './stream-shards.js';
export * from './record-batch.js';
export * from './worker-publisher.js';
