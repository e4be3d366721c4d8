import { defineConfig } from 'vitest/config';

// The browser suite: `npm run test:site`. Outside `npm test` (it builds both sites and drives Chromium).
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/browser/**/*.browser.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
