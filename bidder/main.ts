/**
 * Entry point of the bidder container (bundled by bidder/Dockerfile). Reads the configuration once
 * (exits 1 naming missing variables), starts the service, and on SIGTERM/SIGINT stops accepting,
 * drains in-flight requests, returns unspent budget leases, flushes events and metrics, and exits 0.
 */
import { ConfigError, loadConfig } from './config.js';
import { startBidder } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const bidder = await startBidder(config);
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = true;
    process.stderr.write(`${JSON.stringify({ level: 'info', msg: 'signal', signal })}\n`);
    const hard = setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS + 5_000);
    hard.unref();
    bidder.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'bidder failed to start', error: String(error) })}\n`);
  process.exit(1);
});
