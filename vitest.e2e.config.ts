import { defineConfig } from 'vitest/config';
import { endToEnd } from './vitest.config.ts';

// `npm run test:e2e`: the commands and the grader end to end (see vitest.config.ts), kept out of
// the fast `npm test`; CI runs them.
export default defineConfig({
  test: {
    include: endToEnd,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    maxWorkers: 3,
  },
});
