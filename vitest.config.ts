import { defineConfig } from 'vitest/config';

/**
 * Tests of pure code (the explorer, the models, text helpers) share one module cache per worker
 * thread: each file would otherwise load xstate, fast-check and the models again, which cost a
 * quarter of their CPU time (measured: 14.1 s → 10.4 s of CPU for these files).
 */
const pure = [
  'tests/explore/**/*.test.ts',
  'tests/*/model.test.ts',
  'tests/*/models.test.ts',
  'tests/tools/values.test.ts',
  'tests/tools/stubs.test.ts',
  'tests/tools/build-cache.test.ts',
];
// Seconds of CPU each: `npm run test:slow` (vitest.slow.config.ts) and `npm run bench`.
const slow = ['tests/**/*.slow.test.ts'];
/**
 * The commands as a user runs them, and the grader against hostile submissions: each test
 * starts grading processes and sandboxes, 77 s of CPU together (bench/results.md), more than
 * every other file. `npm run test:e2e` (vitest.e2e.config.ts) runs them; CI runs both.
 */
export const endToEnd = [
  'tests/tools/commands.test.ts',
  'tests/tools/hostile.test.ts',
  'tests/tools/grader.test.ts',
  'tests/tools/student-loop.test.ts',
  'tests/tools/watch.test.ts',
  'tests/tools/orphans.test.ts',
];

/**
 * Files that change what later files would load: each puts a cohort's variant in force
 * (WORKBOOK_VARIANT, `vi.resetModules()`), so each runs in a process of its own.
 */
const isolated = ['tests/*/variant.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Several files spend much of their time waiting (a grader's deadline, a child process
    // killed mid-transaction, PGlite starting): one worker more than this machine's two
    // cores keeps both busy (measured: 28 s with the default, 20 s with three).
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'pure', include: pure, exclude: slow, pool: 'threads', isolate: false } },
      /**
       * The chapters' checks and the tools: each file in a child process (a database server,
       * spawned commands, timed graders), but a worker's process serves file after file, so
       * that a model explored by one file's checks (the explorations are cached per process)
       * and the modules it loaded are there for the next: a fresh process per file cost
       * 8.5 s of the suite's 68 s of CPU (medians of 3 runs: 68.4 s → 59.9 s). Each file
       * leaves the environment and the process's database as it found them.
       */
      { extends: true, test: { name: 'chapters', include: ['tests/**/*.test.ts'], exclude: [...pure, ...slow, ...endToEnd, ...isolated, '**/node_modules/**'], isolate: false } },
      { extends: true, test: { name: 'isolated', include: isolated, exclude: slow } },
    ],
  },
});
