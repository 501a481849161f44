/** The wire layer's public surface: zod schemas, parsing helpers, operation list and OpenAPI builder. */
export * from './common.js';
export * from './deal.js';
export * from './campaign.js';
export * from './bidding-settings.js';
export * from './audit.js';
export * from './engagement.js';
export * from './errors.js';
export * from './params.js';
export * from './meta.js';
export * from './headers.js';
export * from './parse.js';
export * from './api-operations.js';
export * from './openapi.js';
