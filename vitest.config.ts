import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Seconds of CPU each: `npm run test:slow` (vitest.slow.config.ts) and `npm run bench`.
const slow = ['tests/**/*.slow.test.ts'];
/**
 * The commands as a user runs them, and the grader against hostile submissions: each test
 * starts grading processes and sandboxes, 77 s of CPU together (bench/results.md), more than
 * every other file. `npm run test:e2e` (vitest.e2e.config.ts) runs them; CI runs both.
 * Also here: a student release built and its commands run in it (release.test.ts), and
 * processes killed with a database server running, the server's own watchdog then given
 * seconds to notice (server-lifecycle.test.ts): both are processes started, killed and waited
 * for, not a check's logic (measured in the fast suite: 3.6 s and 4.8 s of its wall time).
 * So are the database servers started for one test besides the one each worker shares: one
 * killed mid-payment and restarted (crash.test.ts, 1.9 s of CPU alone), and one standing in
 * for an external server, after which the worker started its own again
 * (external-server.test.ts, 2.6 s).
 */
export const endToEnd = [
  'tests/tools/commands.test.ts',
  'tests/tools/hostile.test.ts',
  'tests/tools/grader.test.ts',
  'tests/tools/purity.test.ts',
  'tests/tools/student-loop.test.ts',
  'tests/tools/watch.test.ts',
  'tests/tools/orphans.test.ts',
  'tests/tools/release.test.ts',
  'tests/02-ledger/server-lifecycle.test.ts',
  'tests/02-ledger/crash.test.ts',
  'tests/02-ledger/external-server.test.ts',
];

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: [...slow, ...endToEnd, '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    /**
     * One process per worker serves file after file (isolate: false), so that the modules a file
     * loaded and the models its checks explored (the explorations are cached per process) are
     * there for the next: a fresh process per file loaded xstate, fast-check and the chapters
     * again and explored again what an earlier file had explored. Measured, CPU of the whole
     * run: 68.4 s with a process per file (the pure files already shared threads), 59.1 s with
     * the chapters' files sharing processes in a project of their own, 57.6 s with one project
     * for every file (vitest ends a worker when the next file belongs to another project).
     * Each file leaves things as it found them: the environment and, for a cohort variant, the
     * module cache (`vi.resetModules()` in afterAll). The chapter 2 files leave the process's
     * embedded database running for the next file (one start-up per worker, not per file); the
     * worker's exit stops it, as any process's exit does (tools/sql/embedded-server.ts).
     */
    isolate: false,
    // Child processes, as by default: worker threads measured no cheaper once the CPU of the
    // Postgres servers is counted (a server a thread started is reaped by nobody, so GNU time
    // and npm run bench miss it): 51-55 s of CPU either way, counted by a cpuacct cgroup.
    // One worker per core (two on the machine the budget is set on). A third worker once
    // paid, when files waited on child processes and deadlines (those went to test:e2e):
    // measured since, three runs each, 21.2 s wall and 40.3 s of CPU with two workers against
    // 22.8 s and 44.2 s with three (each worker loads the modules and explores again what its
    // files need).
    maxWorkers: Math.max(2, availableParallelism()),
    /**
     * Transformed modules kept on disk (node_modules/.experimental-vitest-cache, keyed by each
     * file's content), so that a run after the first does not compile the TypeScript again:
     * measured, vitest's transform time 2.9 s on the first run, 0.5–0.7 s after.
     */
    experimental: { fsModuleCache: true },
  },
});
