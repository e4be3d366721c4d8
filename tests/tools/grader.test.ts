import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChapter, repoRoot } from '../../tools/chapters.ts';
import { gradeChapter } from '../../tools/grading/grade-chapter.ts';
import { gradeMany } from '../../tools/grading/grade-many.ts';
import { toJson } from '../../tools/grading/report.ts';
import { stripSolutions } from '../../tools/build/stubs.ts';
import { withReference } from './fixture-dirs.ts';
import { permissionFlag } from '../../tools/grading/sandbox/host.ts';

const chapterOne = findChapter('1');


describe('the grader', () => {
  it('survives answers that throw, return the wrong type, or never return, and goes on', async () => {
    const reports = await gradeChapter(chapterOne, join(repoRoot, 'tests/fixtures/bad-answers/01-idempotency'), { timeoutMs: 1500 });
    const byId = Object.fromEntries(reports.map((r) => [r.id, r]));
    expect(reports.map((r) => r.id)).toEqual(['1.1', '1.2', '1.3', '1.4']);
    expect(byId['1.1']).toMatchObject({ status: 'error', message: expect.stringMatching(/task 1\.1: your answer threw TypeError: oops/) });
    expect(byId['1.2']).toMatchObject({ status: 'fail', message: expect.stringMatching(/task 1\.2: wrong shape/) });
    // No value came back: ERR, as for a throw (the rule in run-task.ts).
    expect(byId['1.3']).toMatchObject({ status: 'error', message: expect.stringMatching(/task 1\.3: the task used more than 1\.5 s of CPU time/) });
    expect(byId['1.4']).toMatchObject({ status: 'fail', message: expect.stringMatching(/returned number, expected a string/) });
  });

  it('survives an answer that ends its process, even with exit code 0, and goes on', async () => {
    const dir = withReference('exiting-answers');
    const reports = await gradeChapter(chapterOne, dir);
    expect(reports.map((r) => [r.id, r.status])).toEqual([['1.1', 'error'], ['1.2', 'pass'], ['1.3', 'pass'], ['1.4', 'pass']]);
    expect(reports[0]!.message).toMatch(/task 1\.1: your answer's process ended with exit code 0 \(process\.exit\?\)/);
    expect(reports[0]!.environment).toBeUndefined();
  });

  it.each(['key-in-memory', 'key-per-process-secret'])('fails 1.4 for %s: a restart loads a fresh instance in the sandbox too', async (fixture) => {
    const reports = await gradeChapter(chapterOne, withReference(fixture));
    const keyTask = reports.find((r) => r.id === '1.4')!;
    expect(keyTask.status, keyTask.message).toBe('fail');
    expect(keyTask.message).toMatch(/even after a restart” does not hold/);
    // The reference's other answers, beside it, still pass: only the keys forget.
    expect(reports.filter((r) => r.id !== '1.4').map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('reports a freshly generated stub as not answered, task by task', async () => {
    const dir = join(repoRoot, '.tmp', 'stub-answers', '01-idempotency');
    mkdirSync(dir, { recursive: true });
    const reference = readFileSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), 'utf8');
    writeFileSync(join(dir, 'answers.ts'), stripSolutions(reference, 'typescript'));
    const reports = await gradeChapter(chapterOne, dir);
    expect(reports.map((r) => r.status)).toEqual(['todo', 'todo', 'todo', 'todo']);
  });

  it('fails wrong answers with the model’s trace, in Exercism’s result format', async () => {
    const reports = await gradeChapter(chapterOne, join(repoRoot, 'tests/fixtures/wrong-answers/01-idempotency'));
    const json = toJson(reports);
    expect(json.status).toBe('fail');
    expect(json.tests.map((t) => t.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    for (const test of json.tests) expect(test.output).toMatch(/1\. \[t=0 s\] merchant sends attempt 1/);
    // 1.1 is a prediction: its trace stops before the second charge (the rest is behind --reveal).
    expect(json.tests[0]!.output).toMatch(/merchant sends attempt 2/);
  });

  it('fails at once a task that depends on an answer that did not finish, and runs the rest', async () => {
    const entry = { number: 90, slug: 'dependent', module: join(repoRoot, 'tests/fixtures/dependent-chapter/chapter.ts') };
    const empty = join(repoRoot, '.tmp', 'empty-answers');
    mkdirSync(empty, { recursive: true });
    const reports = await gradeChapter(entry, empty, { timeoutMs: 1000 });
    expect(reports.map((r) => [r.id, r.status])).toEqual([['90.1', 'error'], ['90.2', 'error'], ['90.3', 'pass']]);
    expect(reports[1]!.message).toMatch(/not run: it uses your answer to 90\.1, which did not finish in time/);
    // Not run at all: one time limit waited out, not two.
    expect(reports[1]!.ms).toBe(0);
  });

  it('passes a right answer that imports the workbook’s models at run time', async () => {
    const reports = await gradeChapter(chapterOne, join(repoRoot, 'tests/fixtures/right-but-different/imports-model/01-idempotency'));
    expect(reports[0]).toMatchObject({ id: '1.1', status: 'pass' });
  });

  it('reports a chapter folder whose answers do not load, for every task', async () => {
    const reports = await gradeChapter(chapterOne, join(repoRoot, '.tmp', 'no-such-folder'));
    expect(reports).toHaveLength(4);
    expect(reports.every((r) => r.status === 'error' && /do not load/.test(r.message))).toBe(true);
  });
});

describe('checkers reused from submission to submission', () => {
  it('give every submission the verdicts a fresh checker gives it, whatever came before', async () => {
    const folders = [
      join(repoRoot, 'solutions/01-idempotency'),
      join(repoRoot, 'tests/fixtures/wrong-answers/01-idempotency'),
      withReference('key-in-memory'),
      join(repoRoot, 'solutions/01-idempotency'),
      withReference('exiting-answers'),
      join(repoRoot, 'solutions/01-idempotency'),
    ];
    const verdicts = (reports: { id: string; status: string; message: string }[]) => reports.map((r) => `${r.id} ${r.status} ${r.message.replace(/\d+ ms|[0-9a-f-]{36}/g, '…')}`);
    const fresh = [];
    for (const dir of folders) fresh.push(verdicts(await gradeChapter(chapterOne, dir)));
    // Two lanes, one checker each: every submission follows others in the same checker.
    const jobs = folders.map((answersDir, i) => ({ owner: `student-${i}`, chapter: chapterOne, answersDir }));
    const results = await gradeMany(jobs, { concurrency: 2 });
    expect(jobs.map((job) => verdicts(results.get(job)!))).toEqual(fresh);
    expect(fresh[0]!.every((line) => / pass /.test(line))).toBe(true);
  });
});

describe('the environment, not the answer', () => {
  const entry = { number: 92, slug: 'environment', module: join(repoRoot, 'tests/fixtures/environment-chapter/chapter.ts') };
  const empty = join(repoRoot, '.tmp', 'empty-answers');
  // The fixture reads its mode from the environment, which worker threads inherit.
  const gradeIn = async (mode: string) => {
    mkdirSync(empty, { recursive: true });
    process.env.ENVIRONMENT_FIXTURE_MODE = mode;
    try {
      return await gradeChapter(entry, empty, { timeoutMs: 1000 });
    } finally {
      delete process.env.ENVIRONMENT_FIXTURE_MODE;
    }
  };

  it('runs the chapter’s set-up before any task’s clock starts', async () => {
    // 2.5 s of set-up against a 1 s limit per task: every task still passes.
    expect((await gradeIn('slow-prepare')).map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it('a set-up that fails is the environment’s ERR on every task, with what to do', async () => {
    const reports = await gradeIn('prepare-environment');
    expect(reports.map((r) => [r.status, r.environment])).toEqual([['error', true], ['error', true]]);
    expect(reports[0]!.message).toMatch(/the database did not start.*not your answer's fault: run the check again/);
  });

  it('a check that throws EnvironmentError is the environment’s ERR on its task alone', async () => {
    const reports = await gradeIn('check-environment');
    expect(reports.map((r) => [r.status, r.environment ?? false])).toEqual([['error', true], ['pass', false]]);
    expect(reports[0]!.message).toMatch(/ECONNREFUSED/);
    expect(reports[0]!.message).not.toMatch(/your answer threw/);
  });

  it('a checker stopped from outside is the environment’s, never the student’s', async () => {
    const reports = await gradeIn('checker-dies');
    expect(reports.every((r) => r.status === 'error' && r.environment)).toBe(true);
    expect(reports[0]!.message).toMatch(/the checker stopped/);
  });
});

describe('the sandbox without namespaces (as where the kernel gives none)', () => {
  it('grades right, wrong and looping answers the same', async () => {
    process.env.WORKBOOK_SANDBOX_NAMESPACES = '0';
    try {
      const right = await gradeChapter(chapterOne, join(repoRoot, 'solutions/01-idempotency'));
      expect(right.map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
      const bad = await gradeChapter(chapterOne, join(repoRoot, 'tests/fixtures/bad-answers/01-idempotency'), { timeoutMs: 1500 });
      expect(bad.map((r) => r.status)).toEqual(['error', 'fail', 'error', 'fail']);
      expect(bad[2]!.message).toMatch(/used more than 1\.5 s of CPU time/);
    } finally {
      delete process.env.WORKBOOK_SANDBOX_NAMESPACES;
    }
  });
});

describe('the permission model’s flag', () => {
  it('is --experimental-permission on Node 20 and --permission where Node made it stable', () => {
    expect(['20.20.2', '22.12.0', '22.13.0', '23.4.0', '23.5.0', '24.1.0'].map((v) => permissionFlag(v))).toEqual([
      '--experimental-permission',
      '--experimental-permission',
      '--permission',
      '--experimental-permission',
      '--permission',
      '--permission',
    ]);
  });
});
