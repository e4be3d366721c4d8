/**
 * CPU time of a thread or a process, read from Linux's /proc, so that a time limit counts
 * the work of the check and the answer and not the time other programs took the cores.
 * Elsewhere (no /proc) the readers return undefined and the grader falls back to wall time.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux's USER_HZ: /proc counts CPU time in ticks of 10 ms on every mainstream kernel. */
const MS_PER_TICK = 10;

export const procAvailable = existsSync('/proc/self/stat');

/** utime + stime of a /proc `stat` file, in ms; undefined if it cannot be read (gone, no /proc). */
export function cpuMsOf(statPath: string): number | undefined {
  try {
    const text = readFileSync(statPath, 'utf8');
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** The /proc stat file of the calling thread (a worker thread reports it to its parent). */
export function currentThreadStat(): string | undefined {
  if (!procAvailable) return undefined;
  try {
    return `/proc/${readlinkSync('/proc/thread-self')}/stat`;
  } catch {
    return undefined;
  }
}

/** The pids of a process's children (Linux ≥ 3.5), e.g. the program `unshare --fork` runs. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a process's (main) thread is asleep, waiting on something: state S in /proc. */
export function isAsleep(statPath: string): boolean {
  try {
    const text = readFileSync(statPath, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).startsWith('S');
  } catch {
    return false;
  }
}
