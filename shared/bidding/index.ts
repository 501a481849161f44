/** The pure bidding domain: what the bidder service calls on its hot path. No I/O in here. */
export * from './openrtb/types.js';
export * from './openrtb/parse.js';
export * from './openrtb/guard.js';
export * from './money.js';
export * from './floors.js';
export * from './brand-safety.js';
export * from './line-item.js';
export * from './eligibility.js';
export * from './auction.js';
export * from './response.js';
