export * from './client.js';
export * from './buffered-publisher.js';
export * from './stream-shards.js';
