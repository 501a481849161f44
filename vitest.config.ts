import { defineConfig } from 'vitest/config';

// Three suites: pure unit tests, CDK assertion tests (slower: synthesis), and integration tests
// that drive real local components (DynamoDB Local, the local API Gateway emulator).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One local stack (synthesized app, DynamoDB Local, API emulator) for the whole project.
          globalSetup: ['test/support/local-stack.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
