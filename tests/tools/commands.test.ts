// The commands as a user runs them: each test starts a process, as `npm run` would.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/chapters.ts';

describe('batch grading', () => {
  it('grades a folder of submissions, one per student, into a table and grades.json', () => {
    const root = join(repoRoot, '.tmp', 'submissions');
    rmSync(root, { recursive: true, force: true });
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(root, 'ada/01-idempotency/answers.ts'));
    cpSync(join(repoRoot, 'tests/fixtures/wrong-answers/01-idempotency/answers.ts'), join(root, 'bob/01-idempotency/answers.ts'));
    const table = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/grade.ts'), root, '--chapter', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(table).toMatch(/\| ada \| 4\/4 \| pass \| pass \| pass \| pass \|/);
    expect(table).toMatch(/\| bob \| 0\/4 \| fail \| fail \| fail \| fail \|/);
    const grades = JSON.parse(readFileSync(join(root, 'grades.json'), 'utf8'));
    expect(grades.ada.status).toBe('pass');
    expect(grades.bob.tests[2]).toMatchObject({ task_id: '1.3', status: 'fail' });
  });
});

describe('npm run check', () => {
  it('exits non-zero when a task fails, and prints Exercism-style JSON with --json', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), '1', '--answers', join(repoRoot, 'tests/fixtures/wrong-answers'), '--json'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('fail');
    expect(result.tests.map((t: { task_id: string }) => t.task_id)).toEqual(['1.1', '1.2', '1.3', '1.4']);
  });

  it('takes one chapter’s folder for --answers as well as the folder above it', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), '--answers', join(repoRoot, 'tests/fixtures/wrong-answers/01-idempotency'), '--json'], { encoding: 'utf8' });
    expect(JSON.parse(run.stdout).tests.map((t: { task_id: string }) => t.task_id)).toEqual(['1.1', '1.2', '1.3', '1.4']);
  });

  it('names the chapters it knows when asked for one it does not', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), '9'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no chapter "9"; the chapters are 1 \(01-idempotency\)/);
  });
});
