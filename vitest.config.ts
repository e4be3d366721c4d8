import { defineConfig } from 'vitest/config';

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

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: [...slow, ...endToEnd, '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    /**
     * One worker serves file after file (isolate: false), so that the modules a file
     * loaded and the models its checks explored (the explorations are cached in the worker) are
     * there for the next: a fresh process per file loaded xstate, fast-check and the chapters
     * again and explored again what an earlier file had explored. Measured, CPU of the whole
     * run: 68.4 s with a process per file (the pure files already shared threads), 59.1 s with
     * the chapters' files sharing processes in a project of their own, 57.6 s with one project
     * for every file (vitest ends a worker when the next file belongs to another project).
     * Each file leaves things as it found them: the environment and, for a cohort variant, the
     * module cache (`vi.resetModules()` in afterAll). The chapter 2 files leave the worker's
     * embedded database running for the next file (one start-up per worker, not per file); the
     * worker's end stops it (tools/sql/embedded-server.ts).
     */
    isolate: false,
    /**
     * Worker threads, not child processes: a module a test loads comes from vitest's main
     * process, over a MessagePort in a thread and over a pipe, serialized, in a child process.
     * Measured on the whole run with another session's benchmarks running: 55 s of CPU with
     * processes (2 runs), 43-45 s with threads (3 runs). A database started in a thread, and the
     * processes the tests spawn, stop with it as they stop with a process (the watchdog in
     * tools/sql/embedded-server.ts; tests/02-ledger/server-lifecycle.test.ts); each thread has
     * its own process.env.
     */
    pool: 'threads',
    // Several files spend much of their time waiting (a grader's deadline, a child process
    // killed mid-transaction, a database starting): one worker more than this machine's two
    // cores keeps both busy (measured: 28 s with the default, 20 s with three; with every file
    // sharing processes: 30.5 s with two, 28.5 s with three; with threads, medians of 3 runs
    // beside another session's work: 26.2 s with two, 25.8 s with three, 38 s with four).
    maxWorkers: 3,
  },
});
