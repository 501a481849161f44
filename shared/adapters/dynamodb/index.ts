export { createDocumentClient } from './client.js';
export { DynamoDealRepository, type DynamoDealRepositoryOptions } from './deal-repository.js';
export { type Item, type ItemKind, auditFromItem, campaignFromItem, dealFromItem, itemKind } from './items.js';
export { decodeCursor, encodeCursor } from './cursor.js';
