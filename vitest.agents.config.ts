import { defineConfig } from 'vitest/config';

// The real agent CLIs against scripted model servers (`npm run test:agents`): slow, so apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test/agents/**/*.test.ts'],
    globalSetup: ['test/agents/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
