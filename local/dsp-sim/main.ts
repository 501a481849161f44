/**
 * Runs the default simulated DSP fleet until interrupted and writes the bidder's DSP config:
 *
 *   tsx local/dsp-sim/main.ts [--out .dealdesk/dsps.json]
 *
 * then start the bidder with DEALDESK_DSPS_FILE=.dealdesk/dsps.json. local/start.ts can instead call
 * startDspFleet() in-process and pass `fleet.configs` on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startDspFleet } from './index.js';

const outIndex = process.argv.indexOf('--out');
const out = outIndex >= 0 ? process.argv[outIndex + 1] : '.dealdesk/dsps.json';
const fleet = await startDspFleet();
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(fleet.configs, null, 2)}\n`);
}
for (const c of fleet.configs) console.log(`${c.id.padEnd(10)} ${c.endpoint}`);
if (out) console.log(`DSP config written to ${out} (DEALDESK_DSPS_FILE=${out})`);
const stop = async (): Promise<void> => {
  await fleet.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
