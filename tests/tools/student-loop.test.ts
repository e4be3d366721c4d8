// The student's loop: progress and the next task, hints on request, --reveal, reset of one task.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/chapters.ts';
import { formatReport, toJson } from '../../tools/grading/report.ts';
import type { TaskReport } from '../../tools/grading/run-task.ts';
import { loadTaskList, parseAnswer } from '../../tools/cli/task-list.ts';
import { resetFunctions } from '../../tools/cli/stub-parts.ts';
import { nextTask, progressFile, readProgress, recordChapter, standings } from '../../tools/cli/progress.ts';

const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli', script), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

const scratch = (name: string) => {
  const dir = join(repoRoot, '.tmp', 'student-loop', name);
  rmSync(dir, { recursive: true, force: true });
  rmSync(progressFile(dir), { force: true });
  return dir;
};

const failing: TaskReport = {
  chapter: 1,
  id: '1.1',
  title: 'a prediction',
  hint: 'What does the server know when the retry arrives?',
  status: 'fail',
  message: 'task 1.1: the prediction does not match what the model does',
  trace: '1. the client sends attempt 1',
  reveal: '2. SECRET-OUTCOME',
  ms: 3,
};

describe('what a report shows', () => {
  it('hides the hint unless asked, and the trace past the decisive step unless --reveal', () => {
    const plain = formatReport(failing);
    expect(plain).not.toMatch(/What does the server know/);
    expect(plain).not.toMatch(/SECRET-OUTCOME/);
    expect(plain).toMatch(/--reveal shows the rest/);
    expect(formatReport(failing, { hints: true })).toMatch(/hint: What does the server know/);
    expect(formatReport(failing, { reveal: true })).toMatch(/SECRET-OUTCOME/);
  });

  it('records in the JSON which tasks had their trace revealed, and keeps it out otherwise', () => {
    const hidden = toJson([failing]);
    expect(hidden.revealed).toEqual([]);
    expect(JSON.stringify(hidden)).not.toMatch(/SECRET-OUTCOME/);
    const shown = toJson([failing, { ...failing, id: '1.2', reveal: undefined }], { revealed: true });
    expect(shown.revealed).toEqual(['1.1']);
    expect(shown.tests[0]).toMatchObject({ revealed: true, output: expect.stringMatching(/SECRET-OUTCOME/) });
    expect(shown.tests[1]!.revealed).toBe(false);
  });

  it('keeps the record that a trace was revealed for the later runs’ JSON', () => {
    const answers = scratch('revealed');
    recordChapter(answers, '01-idempotency', { fingerprint: 'x', checkedAt: '', tasks: { '1.1': 'fail' } }, ['1.1']);
    const record = recordChapter(answers, '01-idempotency', { fingerprint: 'y', checkedAt: '', tasks: { '1.1': 'pass' } });
    expect(Object.keys(record.revealed!)).toEqual(['1.1']);
    const later = toJson([{ ...failing, status: 'pass', reveal: undefined }], { revealedBefore: record.revealed });
    expect(later.revealed).toEqual(['1.1']);
    expect(later.tests[0]!.revealed).toBe(true);
  });
});

describe('npm start and npm run check', { timeout: 180_000 }, () => {
  it('lists every task, the progress over all of them and the next task to do', () => {
    const answers = scratch('start');
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(answers, '01-idempotency/answers.ts'));
    cpSync(join(repoRoot, 'exercises/03-webhooks/answers.ts'), join(answers, '03-webhooks/answers.ts'));
    const result = run('check.ts', '--summary', '--answers', answers);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/PASS {2}1\.4/);
    expect(result.stdout).toMatch(/TODO {2}3\.1/);
    expect(result.stdout).toMatch(/4\/8 tasks pass/);
    expect(result.stdout).toMatch(/Next: 3\.1 An idempotent webhook handler — .*03-webhooks\/answers\.ts: verifyDelivery\(\) and handleWebhook\(\)/);
    expect(result.stdout).not.toMatch(/hint:/);
  });

  it('shows hints only with --hints, and after a chapter passes offers the next', async () => {
    const answers = scratch('chapter');
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(answers, '01-idempotency/answers.ts'));
    cpSync(join(repoRoot, 'exercises/03-webhooks/answers.ts'), join(answers, '03-webhooks/answers.ts'));
    const first = run('check.ts', '1', '--answers', answers);
    expect(first.status).toBe(0);
    // Chapter 3 was never checked: it counts as not passing, and says so.
    expect(first.stdout).toMatch(/4\/8 tasks pass {2}\(chapter 3: counted as not passing/);
    expect(first.stdout).toMatch(/Chapter 1 passes\. Next: chapter 3/);
    const third = run('check.ts', '3', '--answers', answers, '--hints');
    expect(third.stdout).toMatch(/hint: /);
    // Chapter 1's verdicts are remembered from its last check, as long as its files are unchanged.
    expect(third.stdout).toMatch(/4\/8 tasks pass\n/);
    const tasks = await loadTaskList();
    const standing = () => standings(tasks, readProgress(answers), (slug) => join(answers, slug));
    expect(standing().get('1.4')).toBe('pass');
    expect(standing().get('2.1')).toBe('unchecked');
    writeFileSync(join(answers, '01-idempotency/answers.ts'), readFileSync(join(answers, '01-idempotency/answers.ts'), 'utf8') + '\n// edited\n');
    expect(standing().get('1.4')).toBe('changed');
    expect(nextTask(tasks, standing())!.id).toBe('1.1');
  });
});

describe('npm run hint', () => {
  it('prints one task’s hint without running anything, and names the tasks for a wrong id', () => {
    const result = run('hint.ts', '1.3');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^1\.3 How long to keep idempotency keys \(answers\.ts: keyTtl\(\)\)\nhint: \S/);
    const wrong = run('hint.ts', '9.9');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/no task "9\.9"; the tasks are 1\.1, 1\.2/);
  });
});

describe('npm run reset', { timeout: 180_000 }, () => {
  it('reads where a task is answered', () => {
    expect(parseAnswer('answers.ts: breakerThresholds() and breakerStep()')).toEqual([{ file: 'answers.ts', functions: ['breakerThresholds', 'breakerStep'] }]);
    expect(parseAnswer('2.2-unbalanced-query.sql, 2.2-enforcement.sql')).toEqual([
      { file: '2.2-unbalanced-query.sql', functions: [] },
      { file: '2.2-enforcement.sql', functions: [] },
    ]);
  });

  it('replaces only the task’s functions, and declines a file that does not parse or lost the function', () => {
    const stub = 'export function a() {\n  throw new Error("TODO");\n}\n\nexport function b() {\n  throw new Error("TODO");\n}\n';
    const answered = 'const helper = 1;\nexport function a() {\n  return helper;\n}\n\nexport const b = () => 2;\n';
    const cut = resetFunctions(answered, stub, ['b']);
    expect(cut).toEqual({ ok: true, text: 'const helper = 1;\nexport function a() {\n  return helper;\n}\n\nexport function b() {\n  throw new Error("TODO");\n}\n' });
    expect(resetFunctions('export function a( {', stub, ['a'])).toMatchObject({ ok: false, reason: 'your file does not parse' });
    expect(resetFunctions('export function renamed() {}', stub, ['a'])).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer declares a\(\)/) });
  });

  it('restores one task’s stub and keeps the other answers and a backup', () => {
    const answers = scratch('reset');
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(answers, '01-idempotency/answers.ts'));
    cpSync(join(repoRoot, 'solutions/02-ledger'), join(answers, '02-ledger'), { recursive: true });
    const before = readFileSync(join(answers, '01-idempotency/answers.ts'), 'utf8');
    const reset = run('reset.ts', '1.3', '--answers', answers);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toMatch(/keyTtl\(\) restored from the stub; the rest of the file is unchanged/);
    const backup = /previous version is in (\S+)\)/.exec(reset.stdout)![1]!;
    expect(readFileSync(join(process.cwd(), backup), 'utf8')).toBe(before);
    const check = JSON.parse(run('check.ts', '1', '--answers', answers, '--json').stdout);
    expect(check.tests.map((t: { status: string }) => t.status)).toEqual(['pass', 'pass', 'todo', 'pass']);
    // A task answered in files of its own: those files, whole.
    const sql = run('reset.ts', '2.2', '--answers', answers);
    expect(sql.stdout).toMatch(/2\.2-unbalanced-query\.sql: restored from its stub/);
    expect(readFileSync(join(answers, '02-ledger/2.2-enforcement.sql'), 'utf8')).toMatch(/TODO: not answered yet/);
    expect(readFileSync(join(answers, '02-ledger/2.1-schema-and-payment.sql'), 'utf8')).not.toMatch(/TODO: not answered yet/);
  });

  it('restores the whole shared file, saying so, when the task’s part cannot be cut out', () => {
    const answers = scratch('reset-whole');
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(answers, '01-idempotency/answers.ts'));
    writeFileSync(join(answers, '01-idempotency/answers.ts'), readFileSync(join(answers, '01-idempotency/answers.ts'), 'utf8').replace('export function keyTtl', 'export function keyTTL'));
    const reset = run('reset.ts', '1.3', '--answers', answers);
    expect(reset.stdout).toMatch(/restored from its stub as a whole, because your file no longer declares keyTtl\(\): your answers to 1\.1, 1\.2, 1\.4 in it were reset too/);
    expect(readdirSync(join(answers, '01-idempotency'))).toEqual(['answers.ts']);
  });

  it('never touches the reference answers', () => {
    const result = run('reset.ts', '1.3', '--answers', join(repoRoot, 'solutions'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/refusing to reset the reference answers/);
  });
});
