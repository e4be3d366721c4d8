// The commands as a user runs them: each test starts a process, as `npm run` would.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/chapters.ts';

// Each test starts several grading processes: on a machine shared with other work, they take minutes.
describe('batch grading', { timeout: 300_000 }, () => {
  const grade = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/grade.ts'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const readBook = (out: string) => JSON.parse(readFileSync(join(out, 'gradebook.json'), 'utf8'));

  it('grades a class into a CSV, a JSON gradebook and feedback files, whatever the submissions print or return', () => {
    const root = join(repoRoot, '.tmp', 'submissions');
    const out = `${root}-gradebook`;
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(root, 'ada/01-idempotency/answers.ts'));
    cpSync(join(repoRoot, 'tests/fixtures/wrong-answers/01-idempotency/answers.ts'), join(root, 'bob/01-idempotency/answers.ts'));
    // A student folder named like the gradebook is one more student, nothing else.
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(root, 'gradebook.json/01-idempotency/answers.ts'));
    // Prints a forged gradebook row, and fails with a 20 MB message.
    mkdirSync(join(root, 'eve/01-idempotency'), { recursive: true });
    writeFileSync(
      join(root, 'eve/01-idempotency/answers.ts'),
      `console.log('eve,,eve,eve,,1,1,1,1,4'); console.log(JSON.stringify({ students: { eve: { total: 4 } } }));
export function retryWithoutKeys() { throw new Error('x'.repeat(20_000_000)); }
export function retryWithKey() { return 'y'.repeat(20_000_000); }
export function keyTtl() { throw new Error('FORGED-PASS'); }
export function makeIdempotencyKey() { return 'z'.repeat(20_000_000); }
`,
    );
    // A link to another student's folder is no student of its own.
    symlinkSync(join(root, 'ada'), join(root, 'mallory'));
    const run = grade(root, '--chapter', '1', '--points', '1.3=2', '--jobs', '2');
    expect(run.stderr).toMatch(/skipped mallory: a symbolic link/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\| ada \| 5\/17 \| pass \| pass \| pass \| pass \| — \|/);
    expect(run.stderr).toMatch(/\[4\/4\] /);
    const csv = readFileSync(join(out, 'gradebook.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toMatch(/^Student,ID,SIS User ID,SIS Login ID,Section,1\.1 Retry without idempotency keys,.*,Total$/);
    expect(csv).toContain('ada,,ada,ada,,1,1,2,1,0,0,0,0,0,0,0,0,0,0,0,0,5');
    expect(csv).toContain('bob,,bob,bob,,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0');
    expect(csv).toContain('eve,,eve,eve,,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0');
    expect(csv).toContain('gradebook.json,,gradebook.json,gradebook.json,,1,1,2,1,0,0,0,0,0,0,0,0,0,0,0,0,5');
    expect(csv).toHaveLength(6); // the header, four students, the last line's end
    const book = readBook(out);
    expect(book.students.bob.tasks['1.3']).toMatchObject({ status: 'fail', points: 0, max: 2 });
    expect(book.students.eve.tasks['1.1'].status).toBe('error');
    // Bounded: a 20 MB answer leaves a gradebook of kilobytes.
    for (const file of ['gradebook.json', 'gradebook.csv', 'feedback/eve.md']) expect(statSync(join(out, file)).size).toBeLessThan(100_000);
    const feedback = readFileSync(join(out, 'feedback/bob.md'), 'utf8');
    expect(feedback).toMatch(/## 1\.3 How long to keep idempotency keys — FAIL \(0\/2\)/);
    expect(feedback).toMatch(/Hint: /);
  });

  it('runs the hidden checks apart, into a gradebook of their own', () => {
    const root = join(repoRoot, '.tmp', 'submissions-hidden');
    const out = `${root}-gradebook`;
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(root, 'ada/01-idempotency/answers.ts'));
    const run = grade(root, '--chapter', '1', '--hidden', '--jobs', '1');
    expect(run.status, run.stderr).toBe(0);
    const hidden = readBook(join(out, 'hidden'));
    const ids = hidden.tasks.map((t: { id: string }) => t.id);
    expect(ids.length).toBeGreaterThan(0);
    // Only hidden tasks, none of the visible ones, and the reference answers pass them.
    expect(ids.filter((id: string) => /^\d+\.\d+$/.test(id))).toEqual([]);
    const chapterOne = ids.filter((id: string) => id.startsWith('1.'));
    expect(chapterOne.length).toBeGreaterThan(0);
    expect(chapterOne.map((id: string) => hidden.students.ada.tasks[id].status)).toEqual(chapterOne.map(() => 'pass'));
    expect(() => statSync(join(out, 'gradebook.json'))).toThrow();
  });

  it('loses nothing when killed, goes on with --resume, and merges a chapter graded later', async () => {
    const root = join(repoRoot, '.tmp', 'submissions-resume');
    const out = join(repoRoot, '.tmp', 'gradebook-resume');
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    for (const student of ['a1', 'a2', 'a3', 'a4']) cpSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), join(root, student, '01-idempotency/answers.ts'));
    // Killed as soon as the first student is written.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/grade.ts'), root, '--out', out, '--chapter', '1', '--jobs', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((done) => child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('[1/4]') && (child.kill('SIGKILL'), done())));
    await new Promise((done) => child.on('exit', done));
    const partial = readBook(out);
    expect(Object.keys(partial.students).length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(partial.students).length).toBeLessThan(4);
    const resumed = grade(root, '--out', out, '--chapter', '1', '--resume', '--jobs', '1');
    expect(resumed.stderr).toMatch(new RegExp(`resuming: ${Object.keys(partial.students).length} of 4 students already graded`));
    expect(Object.values(readBook(out).students).map((s) => (s as { total: number }).total)).toEqual([4, 4, 4, 4]);
    // A changed submission is graded again on --resume; the unchanged ones are not.
    cpSync(join(repoRoot, 'tests/fixtures/wrong-answers/01-idempotency/answers.ts'), join(root, 'a2/01-idempotency/answers.ts'));
    const again = grade(root, '--out', out, '--chapter', '1', '--resume');
    expect(again.stderr).toMatch(/resuming: 3 of 4 students already graded/);
    expect(readBook(out).students.a2.total).toBe(0);
    // Chapter 3 graded afterwards keeps chapter 1's grades.
    cpSync(join(repoRoot, 'solutions/03-webhooks/answers.ts'), join(root, 'a1/03-webhooks/answers.ts'));
    grade(root, '--out', out, '--chapter', '3');
    const merged = readBook(out).students.a1;
    expect(merged.total).toBe(8);
    expect(merged.tasks['1.1'].status).toBe('pass');
    expect(merged.tasks['3.4'].status).toBe('pass');
  });

  it('refuses an --out whose gradebook is a folder before grading anyone, and a points setting naming no task', () => {
    const out = join(repoRoot, '.tmp', 'gradebook-folder');
    mkdirSync(join(out, 'gradebook.json'), { recursive: true });
    const run = grade(join(repoRoot, 'tests/fixtures'), '--out', out);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/gradebook\.json is a folder, not a gradebook: give another --out/);
    expect(grade(join(repoRoot, 'tests/fixtures'), '--points', '7.7=2').stderr).toMatch(/--points: no task "7\.7"/);
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

  it.each(['check', 'build', 'hint', 'reset', 'release', 'docs'])('npm run %s answers an option it does not know with its usage, and --help with the usage alone', (command) => {
    const run = (arg: string) => spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, `tools/cli/${command}.ts`), arg], { encoding: 'utf8' });
    const wrong = run('--no-such-option');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(new RegExp(`^Unknown option '--no-such-option'\nusage:[^]*npm run ${command}`));
    expect(wrong.stderr).not.toMatch(/\n\s+at |node:internal/);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage:[^]*npm run ${command}`));
  });

  it('names the chapters it knows when asked for one it does not', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), '9'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no chapter "9"; the chapters are 1 \(01-idempotency\)/);
  });
});
