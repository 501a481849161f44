/** External DSPs, the pure part: config schema, circuit breaker, deadline math, QPS limiter, response checks. */
export * from './config.js';
export * from './circuit-breaker.js';
export * from './deadline.js';
export * from './qps-limiter.js';
export * from './response.js';
