export * from './process-changes.js';
export * from './redrive.js';
export * from './stream-change.js';
