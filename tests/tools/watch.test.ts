// Watch mode as a student uses it: editors that save by renaming, and q while a check runs.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/chapters.ts';

/** Processes whose command line names `text` (Linux's /proc). */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!existsSync('/proc'))('npm run watch', () => {
  it('re-checks after every rename-save (safe write, sed -i), and q stops a running check leaving nothing running', async () => {
    const answers = join(repoRoot, '.tmp', 'watch', `answers-${process.pid}`);
    const file = join(answers, '01-idempotency', 'answers.ts');
    rmSync(answers, { recursive: true, force: true });
    cpSync(join(repoRoot, 'exercises/01-idempotency/answers.ts'), file);
    const watcher = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'tools/cli/watch.ts'), '1', '--answers', answers], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    watcher.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => watcher.on('exit', (code) => done(code)));
    /** Waits for `pattern` in what was printed after `from`; returns where it ended. */
    const waitFor = async (pattern: RegExp, from: number) => {
      for (let waited = 0; waited < 60_000; waited += 100) {
        const match = pattern.exec(output.slice(from));
        if (match) return from + match.index + match[0].length;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${pattern} in:\n${output.slice(from)}`);
    };
    try {
      let at = await waitFor(/0\/4 tasks pass[\s\S]*watching/, 0);
      // A safe write: the new text goes to another file, renamed over the answer file.
      writeFileSync(`${file}.tmp`, readFileSync(join(repoRoot, 'solutions/01-idempotency/answers.ts'), 'utf8'));
      renameSync(`${file}.tmp`, file);
      at = await waitFor(/4\/4 tasks pass[\s\S]*watching.*n goes on to chapter 2/, at);
      // sed -i writes a temporary file and renames it over the original, too.
      expect(spawnSync('sed', ['-i', 's/^export function keyTtl/export function keyTtlRenamed/', file]).status).toBe(0);
      at = await waitFor(/3\/4 tasks pass[\s\S]*watching/, at);
      // An answer that never returns: the check would run until its time limit.
      writeFileSync(`${file}.tmp`, 'export function retryWithoutKeys() { for (;;) {} }\n');
      renameSync(`${file}.tmp`, file);
      await waitFor(/Chapter 1 · 01-idempotency/, at);
      await new Promise((r) => setTimeout(r, 1500));
      const checks = processesNaming(answers).filter((pid) => pid !== watcher.pid);
      expect(checks.length).toBeGreaterThan(0);
      watcher.stdin.write('q');
      expect(await exited).toBe(0);
      expect(processesNaming(answers)).toEqual([]);
    } finally {
      watcher.kill('SIGKILL');
    }
  }, 120_000);
});
