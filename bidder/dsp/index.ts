/** External DSPs, the I/O side: fan-out over kept-alive connections, notice forwarding, config loading. */
export * from './fanout.js';
export * from './notices.js';
export * from './config.js';
