/**
 * A real crash: a child process runs statements on a file-backed embedded Postgres and is
 * killed with SIGKILL while it still holds them (no shutdown, no flush, no ROLLBACK). Reopening
 * the directory then runs Postgres's crash recovery, which replays the write-ahead log up to
 * the last commit and discards what was not committed
 * (https://www.postgresql.org/docs/current/wal-intro.html).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

/** Run `statements` in a child process on `dataDir`, one call each, then SIGKILL it. */
export async function killAfterStatements(dataDir: string, statements: readonly string[], timeoutMs = 60_000): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crash-child.ts'), JSON.stringify({ dataDir, statements })], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    void exited.then((code) => reject(new Error(`the crash child exited (${code}) before it was killed:\n${errors}`)));
    setTimeout(() => reject(new Error(`the crash child was not ready after ${timeoutMs} ms:\n${errors}`)), timeoutMs).unref();
  });
  try {
    await ready;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}
