export * from './types.js';
export * from './from-change.js';
export * from './codec.js';
