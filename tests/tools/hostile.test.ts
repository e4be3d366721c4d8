/**
 * Hostile submissions: each attack ends as FAIL or ERR for its own task, the tasks it does not
 * touch keep their verdicts, nothing is left running, and nothing outside the submission
 * changes. The submissions are in tests/fixtures/hostile/; those that need the honest answers
 * for the other tasks get a copy of the reference answers beside them (as a student could).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findChapter, repoRoot } from '../../tools/chapters.ts';
import { gradeChapter } from '../../tools/grading/grade-chapter.ts';
import type { TaskReport } from '../../tools/grading/run-task.ts';
import { namespacesAvailable } from '../../tools/grading/sandbox/host.ts';
import { withReference } from './fixture-dirs.ts';

const chapterOne = findChapter('1');
const hostile = join(repoRoot, 'tests/fixtures/hostile');
const secret = `grader-secret-${process.pid}`;

/** Every file under a folder, hashed: what must not change while hostile answers are graded. */
function fingerprint(...dirs: string[]): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  dirs.forEach(walk);
  return hash.digest('hex');
}

/** Processes still running for a submission (its scratch folder is named after it). */
function leftRunning(owner: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    })
    .filter((cmd) => cmd.includes(`grading-${owner}-`));
}

async function grade(name: string, options: { reference?: boolean; timeoutMs?: number } = {}) {
  const dir = options.reference === false ? join(hostile, name, '01-idempotency') : withReference(name, hostile);
  const reports = await gradeChapter(chapterOne, dir, { timeoutMs: options.timeoutMs ?? 4000, loadTimeoutMs: 2000 });
  expect(reports.map((r) => r.id)).toEqual(['1.1', '1.2', '1.3', '1.4']);
  if (process.platform === 'linux') expect(leftRunning(name)).toEqual([]);
  // No report is the environment's: every one is the submission's own.
  expect(reports.filter((r) => r.environment)).toEqual([]);
  return reports;
}

const statuses = (reports: TaskReport[]) => reports.map((r) => r.status);
const honestRest = ['pass', 'pass', 'pass'];

describe('hostile submissions', () => {
  let before: string;
  beforeAll(() => {
    process.env.GRADER_SECRET = secret;
    before = fingerprint(join(repoRoot, 'solutions'), join(repoRoot, 'exercises'), hostile);
  });

  it('a submission that posts fake results on every channel gets no verdict from them', async () => {
    // Its fake replies may garble its own answers (they share its process), never make one pass.
    const reports = await grade('fake-results');
    expect(reports[0]!.status).not.toBe('pass');
  });

  it('patching the builtins (Array.prototype, JSON) changes nothing in the checker', async () => {
    // The patches break the answers' own realm (its 1.4 may fail with them), not the checker's.
    const reports = await grade('patches');
    expect(statuses(reports).slice(0, 3)).toEqual(['fail', 'pass', 'pass']);
  });

  it('importing the reference answers does not load', async () => {
    const reports = await grade('imports-key', { reference: false });
    expect(statuses(reports)).toEqual(['error', 'error', 'error', 'error']);
    expect(reports[0]!.message).toMatch(/outside the answer's own folder/);
  });

  it('importing the checks and replacing them changes only the sandbox’s copy', async () => {
    const reports = await grade('imports-checks', { reference: false });
    expect(statuses(reports)).not.toContain('pass');
  });

  it('reading the reference answers from disk is refused', async () => {
    const reports = await grade('reads-key');
    expect(statuses(reports)).toEqual(['error', ...honestRest]);
    expect(reports[0]!.message).toMatch(/ERR_ACCESS_DENIED|Access to this API has been restricted/);
  });

  it('a symlink to the reference answers reads as no file', async () => {
    const dir = join(repoRoot, '.tmp', 'fixtures', 'symlink', '01-idempotency');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(dir, 'answers.ts'));
    const reports = await gradeChapter(chapterOne, dir, { timeoutMs: 4000 });
    expect(statuses(reports)).toEqual(['error', 'error', 'error', 'error']);
    expect(reports[0]!.message).toMatch(/answers\.ts was left out: \(not a regular file: links are not followed\)/);
  });

  it('the inspector cannot be opened, on the answer or on the grader', async () => {
    // Its signal ends its own process a moment later: a task that had not called it yet runs
    // again on a fresh one; one whose call the signal cut is an ERR that says so.
    const reports = await grade('inspector');
    expect(reports[0]!.status).toBe('error');
    expect(statuses(reports).slice(2)).toEqual(['pass', 'pass']);
    if (reports[1]!.status !== 'pass') expect(reports[1]!.message).toMatch(/your answer's process was killed by SIGUSR1/);
    expect(inspector.url()).toBeUndefined();
  });

  it('writing outside the folder, poisoning a cache or starting processes is refused', async () => {
    const reports = await grade('writes');
    expect(statuses(reports)).toEqual(['error', ...honestRest]);
    expect(reports[0]!.message).not.toMatch(/worked/);
    expect(existsSync(join(tmpdir(), 'tsx-0', 'poison'))).toBe(false);
    expect(existsSync(join(hostile, 'grades.json'))).toBe(false);
  });

  it.skipIf(!namespacesAvailable())('killing its parent, every process it may signal, or itself ends only its own task', async () => {
    // It returns nothing (FAIL), or its signals end its process first (ERR). They may land a
    // moment later: a task that had not called it yet runs again on a fresh process; one whose
    // call they cut is an ERR that says so.
    const reports = await grade('kills');
    expect(['fail', 'error']).toContain(reports[0]!.status);
    expect(statuses(reports).slice(2)).toEqual(['pass', 'pass']);
    if (reports[1]!.status !== 'pass') expect(reports[1]!.message).toMatch(/your answer's process was killed by SIGKILL/);
  });

  it('a server left listening and a timer left running end with the grading', async () => {
    // Its prediction is right: the server costs it nothing, and outlives nothing (grade() checks).
    expect(statuses(await grade('server'))).toEqual(['pass', ...honestRest]);
  });

  it('the grader’s environment is not the answer’s', async () => {
    const reports = await grade('env');
    expect(JSON.stringify(reports)).not.toContain(secret);
    expect(JSON.stringify(reports)).not.toContain('PATH');
  });

  it('a 20 MB result or a 20 MB file ends as an ERR, and the reports stay small', async () => {
    const reports = await grade('huge-result');
    expect(statuses(reports)).toEqual(['error', ...honestRest]);
    expect(JSON.stringify(reports).length).toBeLessThan(50_000);

    const dir = join(repoRoot, '.tmp', 'fixtures', 'huge-file', '01-idempotency');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'answers.ts'), `// ${'x'.repeat(20_000_000)}\nexport const retryWithoutKeys = () => 1;\n`);
    const big = await gradeChapter(chapterOne, dir, { timeoutMs: 4000 });
    expect(statuses(big)).toEqual(['error', 'error', 'error', 'error']);
    expect(big[0]!.message).toMatch(/answers\.ts was left out: \(20000045 bytes: over the 1 MB a file/);
    expect(JSON.stringify(big).length).toBeLessThan(50_000);
  });

  it('unbounded heap, unbounded memory off the heap and endless recursion end as ERR', async () => {
    for (const name of ['heap', 'off-heap', 'recursion']) {
      const reports = await grade(name);
      expect(statuses(reports), name).toEqual(['error', ...honestRest]);
    }
  });

  it('a loop at the top of the file fails every task, within the load limit', async () => {
    const reports = await grade('busy-top');
    expect(statuses(reports)).toEqual(['error', 'error', 'error', 'error']);
    expect(reports[0]!.message).toMatch(/loading the answers used more than 2 s of CPU time/);
  });

  it('an answer that sleeps without using the CPU is stopped after the limit asleep', async () => {
    const reports = await grade('sleeps', { timeoutMs: 2000 });
    expect(statuses(reports)).toEqual(['error', ...honestRest]);
    expect(reports[0]!.message).toMatch(/waited without working for more than 2 s/);
  });

  it('left the reference answers, the stubs and the fixtures as they were, and the reference still passes', async () => {
    expect(fingerprint(join(repoRoot, 'solutions'), join(repoRoot, 'exercises'), hostile)).toBe(before);
    const reports = await gradeChapter(chapterOne, join(repoRoot, 'solutions/01-idempotency'));
    expect(statuses(reports)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });
});
