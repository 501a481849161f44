import { describe, expect, it } from 'vitest';
import { MemoryAppliedEvents } from '../../../shared/adapters/memory/memory-applied-events.js';

describe('MemoryAppliedEvents', () => {
  it('marks an event once per consumer', async () => {
    // Prepare
    const events = new MemoryAppliedEvents();
    // Act
    const answers = [
      await events.hasApplied('line-items', 'e1'),
      await events.markApplied('line-items', 'e1'),
      await events.markApplied('line-items', 'e1'),
      await events.markApplied('engagement', 'e1'),
      await events.hasApplied('line-items', 'e1'),
      await events.hasApplied('line-items', 'e2'),
    ];
    // Assess
    expect(answers).toEqual([false, true, false, true, true, false]);
  });
});
