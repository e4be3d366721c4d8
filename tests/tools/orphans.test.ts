// A grader killed from outside (watch's `q`, a test runner ending, an instructor's Ctrl-\)
// must not leave a student's answer running: its sandbox dies with it.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot } from '../../tools/chapters.ts';

const sandboxes = () => {
  try {
    return execFileSync('pgrep', ['-f', 'sandbox-child.mjs'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};
const cpuSeconds = (pid: string) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  } catch {
    return 0;
  }
};
const until = async (what: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (what()) return true;
  return what();
};

test('an answer looping forever dies with a grader killed by SIGKILL', { timeout: 120_000 }, async () => {
  const before = new Set(sandboxes());
  const check = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/check.ts'), '1', '--answers', join(repoRoot, 'tests/fixtures/loops-forever')], { stdio: 'ignore' });
  const ours = () => sandboxes().filter((pid) => !before.has(pid));
  // Killed once an answer is inside its loop (a second of CPU), not while it still loads.
  const looping = () => ours().filter((pid) => cpuSeconds(pid) >= 1);
  expect(await until(() => looping().length > 0, 60_000)).toBe(true);
  const started = ours();
  check.kill('SIGKILL');
  expect(await until(() => started.every((pid) => !sandboxes().includes(pid)), 10_000)).toBe(true);
});
