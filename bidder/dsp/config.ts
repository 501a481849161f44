/**
 * Loading the DSP list. One JSON shape everywhere (validated by shared/bidding/dsp/config.ts):
 *  - DEALDESK_DSPS: the JSON itself. In AWS the ECS task definition sets it from an SSM parameter
 *    (or AppConfig), so changing DSPs is a config deploy, not an image build.
 *  - DEALDESK_DSPS_FILE: a path to a JSON file (local stack: written by local/dsp-sim).
 * Neither set: no external DSPs. Invalid config throws at start-up with the bad field named.
 */
import { readFileSync } from 'node:fs';
import { parseDspConfigs, type DspConfig } from '../../shared/bidding/dsp/config.js';

export function loadDspConfigs(env: Record<string, string | undefined> = process.env): DspConfig[] {
  const inline = env.DEALDESK_DSPS;
  const file = env.DEALDESK_DSPS_FILE;
  let text: string;
  let source: string;
  if (inline !== undefined && inline.trim() !== '') {
    text = inline;
    source = 'DEALDESK_DSPS';
  } else if (file !== undefined && file !== '') {
    text = readFileSync(file, 'utf8');
    source = file;
  } else return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`DSP config (${source}) is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseDspConfigs(value);
  if (!parsed.ok) throw new Error(`DSP config (${source}) is invalid: ${parsed.error}`);
  return parsed.dsps;
}
