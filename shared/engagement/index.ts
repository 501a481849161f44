/** Engagement scoring: the configuration and the pure model (docs/engagement.md). */
export * from './config.js';
export * from './model.js';
