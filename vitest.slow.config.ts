import { defineConfig } from 'vitest/config';

// `npm run test:slow`: the tests that take seconds of CPU each, kept out of `npm test`.
export default defineConfig({
  test: {
    include: ['tests/**/*.slow.test.ts'],
    testTimeout: 300_000,
  },
});
