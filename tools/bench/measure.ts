/**
 * Running a command and measuring it: wall time, CPU time (user + system, of the process and
 * every child it waited for) and peak resident memory, read from GNU time (`/usr/bin/time`)
 * when the machine has it. CPU time is what a shared machine does not distort: wall time grows
 * with the other processes' load, CPU time hardly does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measured {
  wallMs: number;
  /** User + system time; NaN without /usr/bin/time. */
  cpuMs: number;
  /** Peak resident set of the largest process, in MB; NaN without /usr/bin/time. */
  peakRssMb: number;
  ok: boolean;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/** Run `node args…` in `cwd`, measured. */
export function measureNode(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Measured {
  const withTime = existsSync(GNU_TIME);
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const report = join(dir, 'time.txt');
  const command = withTime ? GNU_TIME : process.execPath;
  const argv = withTime ? ['-f', '%U %S %M', '-o', report, process.execPath, ...args] : [...args];
  const started = performance.now();
  const run = spawnSync(command, argv, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - started;
  let cpuMs = NaN;
  let peakRssMb = NaN;
  if (withTime && existsSync(report)) {
    // GNU time prints "Command exited with non-zero status N" first when the command fails.
    const last = readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '';
    const [user, system, maxKb] = last.split(' ').map(Number);
    cpuMs = (user! + system!) * 1000;
    peakRssMb = maxKb! / 1024;
  }
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, cpuMs, peakRssMb, ok: run.status === 0, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Medians of several runs of the same command. */
export function measureRepeated(args: readonly string[], cwd: string, repeat: number, before?: () => void): Measured & { runs: number } {
  const runs: Measured[] = [];
  for (let i = 0; i < repeat; i++) {
    before?.();
    runs.push(measureNode(args, cwd));
  }
  return {
    wallMs: median(runs.map((run) => run.wallMs)),
    cpuMs: median(runs.map((run) => run.cpuMs)),
    peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
    ok: runs.every((run) => run.ok),
    stdout: runs.at(-1)!.stdout,
    stderr: runs.at(-1)!.stderr,
    runs: runs.length,
  };
}
