/**
 * The embedded server never outlives what started it: a worker thread terminated on a task's
 * deadline, or a process killed, leaves no server running and no data directory behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';

/** Running: it exists and is not a zombie (a postmaster started by a terminated worker thread has no one left to reap it). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Poll until `done` (the watchdog allows a fast shutdown up to 10 s before SIGKILL). */
async function eventually(done: () => boolean, ms = 20_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return done();
}

const starter = `
const { startEmbeddedServer } = await import(${JSON.stringify(new URL('../../tools/sql/embedded-server.ts', import.meta.url).href)});
const server = await startEmbeddedServer();
const report = JSON.stringify({ pid: await server.postmasterPid(), dataDir: server.dataDir });
`;

test.skipIf(process.platform !== 'linux')('a worker thread terminated with its server running: the server stops and its directory goes', { timeout: 60_000 }, async () => {
  const worker = new Worker(new URL('./fixtures/server-in-worker.mjs', import.meta.url));
  const { pid, dataDir } = JSON.parse(await new Promise<string>((resolve, reject) => worker.once('message', resolve).once('error', reject))) as { pid: number; dataDir: string };
  expect(alive(pid)).toBe(true);
  await worker.terminate();
  expect(await eventually(() => !alive(pid) && !existsSync(dataDir))).toBe(true);
});

test.skipIf(process.platform !== 'linux')('a process killed with SIGKILL with its server running: the server stops and its directory goes', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `${starter}\nprocess.stdout.write(report + '\\n');\nsetInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { pid, dataDir } = JSON.parse(await new Promise<string>((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk))))) as { pid: number; dataDir: string };
  expect(alive(pid)).toBe(true);
  child.kill('SIGKILL');
  expect(await eventually(() => !alive(pid) && !existsSync(dataDir))).toBe(true);
});
