import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../../tools/chapters.ts';
import { findReleaseLeaks } from '../../tools/release/audit.ts';
import { writeRelease, type Release } from '../../tools/release/release.ts';
import { solutionRegions } from '../../tools/build/stubs.ts';

let release: Release;
const scratch = mkdtempSync(join(tmpdir(), 'release-test-'));

beforeAll(async () => {
  release = await writeRelease(repoRoot, join(scratch, 'student'), { points: { '1.2': 3 } });
  symlinkSync(join(repoRoot, 'node_modules'), join(release.dir, 'node_modules'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a student release', () => {
  test('holds no reference answer, answer key, test or instructor tool', () => {
    for (const path of ['solutions', 'tests', 'bench', 'tools/cli/build.ts', 'tools/cli/grade.ts', 'tools/release', '.ci']) {
      expect(existsSync(join(release.dir, path)), path).toBe(false);
    }
    expect(release.files.filter((f) => /KEY\.md$|\/hidden(\.ts|\/)/.test(f))).toEqual([]);
    // Only what git tracks travels: no built site, cache or scratch file of the instructor's.
    expect(release.files.filter((f) => /^docs\/site|^\.tmp\/|^\.cache\//.test(f))).toEqual([]);
    const scripts = Object.keys(JSON.parse(readFileSync(join(release.dir, 'package.json'), 'utf8')).scripts);
    expect(scripts).toContain('check');
    expect(scripts.filter((s) => /^(build|test|bench|grade|release)$/.test(s))).toEqual([]);
    expect(JSON.parse(readFileSync(join(release.dir, 'package.json'), 'utf8')).scripts.docs).toMatch(/--no-solutions$/);
  });

  test('contains no line of any reference answer or key', () => {
    expect(findReleaseLeaks(repoRoot, release.dir)).toEqual([]);
  });

  test('a reference line copied into the release is found', () => {
    const answers = readFileSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), 'utf8');
    const line = solutionRegions(answers, 'typescript').join('\n').split('\n').find((l) => l.trim().length > 30)!;
    const planted = join(release.dir, 'models/planted.ts');
    writeFileSync(planted, `// a model that knows the answer\n${line}\n`);
    try {
      expect(findReleaseLeaks(repoRoot, release.dir).map((l) => l.file)).toContain('models/planted.ts');
    } finally {
      rmSync(planted);
    }
  });

  // Type-checking and installing the release on its own are .ci/run's (they take seconds).
  test('carries stubs that load and check as TODO', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'tools/cli/check.ts', '1', '--json'], { cwd: release.dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    const tests = JSON.parse(result.stdout).tests as { task_id: string; status: string }[];
    expect(tests.map((t) => t.status)).toEqual(tests.map(() => 'todo'));
  });

  test('grades each task on GitHub Classroom for its points, from one check', () => {
    const workflow = parse(readFileSync(join(release.dir, '.github/workflows/classroom.yml'), 'utf8'));
    const steps = workflow.jobs.grade.steps as { id?: string; uses?: string; run?: string; with?: Record<string, unknown> }[];
    const graders = steps.filter((s) => s.uses === 'classroom-resources/autograding-command-grader@v1');
    expect(graders.map((s) => String(s.with!['test-name']).split(' ')[0])).toEqual(release.tasks.map((t) => t.id));
    expect(graders.find((s) => String(s.with!['test-name']).startsWith('1.2 '))!.with!['max-score']).toBe(3);
    expect(steps.filter((s) => s.run?.includes('check -- --json'))).toHaveLength(1);
    const reporter = steps.find((s) => s.uses === 'classroom-resources/autograding-grading-reporter@v1')!;
    expect(String(reporter.with!.runners).split(',')).toEqual(graders.map((s) => s.id));
  });

  test('resets one task from the pristine stubs it carries, having no reference answers', () => {
    const file = join(release.dir, 'exercises/01-idempotency/answers.ts');
    const stub = readFileSync(file, 'utf8');
    writeFileSync(file, stub.replaceAll("throw new Error('TODO: not answered yet');", 'return undefined as never;'));
    const reset = spawnSync(process.execPath, ['--import', 'tsx', 'tools/cli/reset.ts', '1.3'], { cwd: release.dir, encoding: 'utf8' });
    expect(reset.status, reset.stderr).toBe(0);
    // Exactly one TODO is back: 1.3's.
    expect(readFileSync(file, 'utf8').split("throw new Error('TODO: not answered yet');")).toHaveLength(2);
    writeFileSync(file, stub);
  });

  test('awards a task only when the check passed it', () => {
    const result = join(scratch, 'result.json');
    writeFileSync(result, JSON.stringify({ tests: [{ task_id: '1.1', status: 'pass' }, { task_id: '1.2', status: 'fail', message: 'x' }] }));
    const passed = (task: string) => spawnSync(process.execPath, [join(release.dir, 'tools/cli/task-passed.mjs'), result, task]).status;
    expect([passed('1.1'), passed('1.2'), passed('1.3')]).toEqual([0, 1, 1]);
    appendFileSync(result, 'not json');
    expect(passed('1.1')).toBe(1);
  });
});

describe('writing a release', () => {
  test('refuses the repository itself and a folder that is not empty', async () => {
    await expect(writeRelease(repoRoot, join(repoRoot, 'exercises'))).rejects.toThrow(/inside the repository/);
    await expect(writeRelease(repoRoot, release.dir)).rejects.toThrow(/not empty/);
  });
});
