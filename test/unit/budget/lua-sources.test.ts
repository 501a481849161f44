import { expect, it } from 'vitest';
import { readLua, renderLuaSources } from '../../../local/redis/generate-lua-sources.js';
import { readFileSync } from 'node:fs';

it('the embedded Lua (scripts/sources.ts) matches scripts/*.lua (run local/redis/generate-lua-sources.ts)', () => {
  const embedded = readFileSync(new URL('../../../shared/adapters/redis/scripts/sources.ts', import.meta.url), 'utf8');
  expect(embedded).toBe(renderLuaSources(readLua));
});
