/**
 * For `npm run bench`: the ledger-write model at the configurations the chapter checks, and
 * the student's `npm run check -- 2` on the reference answers, end to end (process start,
 * server start on a copy of the initialised cluster, every task), once the cluster is
 * initialised and, separately, on a first run that also runs initdb.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModes } from './crash-points.ts';
import { exploreWrite } from './check-crash.ts';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export const benchModels = writeModes.flatMap((mode) =>
  (['single-phase', 'hold'] as const).map((posting) => ({
    model: 'ledger-write',
    config: `${mode}, ${posting}`,
    run: () => exploreWrite(mode, posting).figures,
  })),
);

/** Seconds of one `npm run check -- 2` on the reference answers. */
function checkChapter2(env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  try {
    execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), '2', '--answers', join(repoRoot, 'solutions'), '--json'], { stdio: 'pipe', env });
  } catch {
    // A failing check still has a duration; the tests are where failures matter.
  }
  return (performance.now() - started) / 1000;
}

export const benchTimings = [
  {
    label: 'npm run check -- 2, cluster initialised (the usual case)',
    repeat: true,
    run: () => {
      checkChapter2(); // makes sure the cache exists before the measured runs
      return checkChapter2();
    },
  },
  {
    label: 'npm run check -- 2, first run on a machine (initdb included)',
    repeat: false,
    run: () => {
      const cache = mkdtempSync(join(tmpdir(), 'workbook-bench-postgres-'));
      try {
        return checkChapter2({ ...process.env, WORKBOOK_POSTGRES_CACHE: cache });
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
  },
];
