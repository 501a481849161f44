export * from './client.js';
export * from './buffered-publisher.js';
