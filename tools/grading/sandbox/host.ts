/**
 * The grader's side of a sandboxed submission (trusted): starts the process that holds the
 * answers, sends it one request at a time, and reads its replies as bounded data.
 *
 * The process runs Node with the permission model (read access to the answers' bundles only:
 * no other file, no writes, no child processes, no worker threads, no inspector), an empty
 * environment, a heap limit and an address-space limit, in its own process group; where the
 * kernel allows it, also in its own user, PID and network namespaces (so it can neither see
 * nor signal any process of the grader's, nor listen on or reach the network).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids, cpuMsOf, isAsleep, procAvailable } from '../cpu.ts';
import type { PreparedSubmission } from './submission.ts';

export const sandboxLimits = {
  /** Bytes of one reply (a returned value); more ends the process. */
  replyBytes: 4_000_000,
  heapMb: 256,
  /** Address space: V8 reserves ~0.6 GB of it at start; Buffers and ArrayBuffers count here. */
  addressSpaceBytes: 1_500_000_000,
  /** A backstop only: the grader stops a task long before (see grade-chapter.ts). */
  cpuSeconds: 600,
};

/** A call's handed-over arguments (tools/grading/handed-over.ts) that it changed, by index, as JSON. */
type ArgumentsChanged = { changed?: Record<string, string> };

export type Reply =
  | { kind: 'ready' }
  | { kind: 'loaded'; exports: Record<string, Reply> }
  | ({ kind: 'value'; json: string; async?: boolean } & ArgumentsChanged)
  | ({ kind: 'undefined'; async?: boolean } & ArgumentsChanged)
  | { kind: 'function' }
  | ({ kind: 'unserialisable'; message: string } & ArgumentsChanged)
  | ({ kind: 'threw'; name: string; message: string; stack: string } & ArgumentsChanged)
  | { kind: 'stopped'; message: string; before?: boolean };

// The grader's own requests (loading the answers, then handing the process to the checker); the
// checker's calls go on the pipes (CallChannel).
export type Request = { op: 'load'; file: string } | { op: 'serve' };

/**
 * The checker's own channel to the answers' process: two named pipes, calls one way, replies
 * the other. The checker's thread writes a call and blocks reading the reply, and the process
 * serves calls in a synchronous loop, so a call costs two reads and two writes: about a third
 * of a hop through the grader's main thread and its event loop (measured: 20,000 calls in
 * 0.32 s of CPU against 1.4 s).
 */
export interface CallChannel {
  calls: string;
  replies: string;
}

/** The line the grader writes on the replies pipe when the process has ended: it wakes a checker waiting on a reply. */
export const endedLine = (message: string) => `\n${JSON.stringify({ id: -1, kind: 'stopped', message })}\n`;


let namespacesWork: boolean | undefined;
/** Whether `unshare` can give an unprivileged process its own user, PID and network namespaces here. */
export function namespacesAvailable(): boolean {
  // WORKBOOK_SANDBOX_NAMESPACES=0 runs without them, as on a machine that has none (tests use it).
  if (process.env.WORKBOOK_SANDBOX_NAMESPACES === '0') return false;
  namespacesWork ??= process.platform === 'linux' && spawnSync('unshare', ['-Urpn', '--fork', '--kill-child', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return namespacesWork;
}
let prlimitWorks: boolean | undefined;
const prlimitAvailable = () => (prlimitWorks ??= process.platform === 'linux' && spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0);

export class Sandbox {
  readonly process: ChildProcess;
  /** Why the process ended, once it has. */
  ended?: string;
  /** Set when the sandbox failed before any of the answers' code ran: the environment's fault. */
  failedToStart?: string;
  private nextId = 0;
  private pending?: { id: number; resolve: (reply: Reply) => void };
  private line = '';
  private killedByGrader = false;
  private stopWatchdog: () => void = () => undefined;
  private nodePid?: number;
  /** The sandbox's own script said it started, before any of the answers' code ran. */
  private ready = false;
  /** The start of what the process printed on stderr, for when the sandbox itself fails. */
  private stderrStart = '';
  readonly exited: Promise<string>;
  /** The named pipes of the checker's calls (see CallChannel). */
  readonly channel: CallChannel;
  /** The grader's own ends of the pipes: they keep a checker's open and read from blocking. */
  private channelFds: number[] = [];
  private wakeFd?: number;

  /** `onEnded` runs as soon as the process has ended, before a checker waiting on it is woken. */
  constructor(prepared: PreparedSubmission, private readonly onEnded: () => void = () => undefined) {
    const channel = takeChannel();
    this.channel = channel ?? { calls: '', replies: '' };
    // Read and write on both (Linux and BSDs open a named pipe so without waiting for the other end).
    if (channel) {
      this.channelFds = [openSync(this.channel.calls, constants.O_RDWR), openSync(this.channel.replies, constants.O_RDWR)];
      // The grader's news that the process ended goes on a writer that never blocks: a replies
      // pipe left full (a reply past the size limit, no longer read) must not hold up the grader.
      this.wakeFd = openSync(this.channel.replies, constants.O_WRONLY | constants.O_NONBLOCK);
    }
    const node = [
      process.execPath,
      permissionFlag(),
      `--allow-fs-read=${prepared.runDir}/*`,
      `--max-old-space-size=${sandboxLimits.heapMb}`,
      '--enable-source-maps',
      '--no-warnings',
      join(prepared.runDir, 'sandbox-child.mjs'),
      prepared.runDir,
    ];
    const contained = namespacesAvailable() ? ['unshare', '-Urpn', '--fork', '--kill-child', '--', ...node] : node;
    const limited = prlimitAvailable()
      ? ['prlimit', `--as=${sandboxLimits.addressSpaceBytes}`, `--cpu=${sandboxLimits.cpuSeconds}`, '--fsize=0', '--core=0', '--', ...contained]
      : contained;
    this.process = spawn(limited[0]!, limited.slice(1), {
      env: {},
      cwd: prepared.runDir,
      // stdin: the grader's requests; stdout/stderr: whatever the answer prints, read and
      // dropped; fd 3: replies to the grader; fds 4 and 5: the checker's calls and their replies.
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', ...(this.channelFds.length === 2 ? this.channelFds : ['ignore', 'ignore'])] as never,
      // Its own process group, so that the whole group is killed when its grading ends.
      detached: true,
    });
    this.stopWatchdog = this.process.pid === undefined ? () => undefined : groupWatchdog(this.process.pid);
    this.process.stdout!.resume();
    this.process.stderr!.on('data', (chunk: Buffer) => {
      if (!this.ready && this.stderrStart.length < 2000) this.stderrStart += chunk.toString('utf8');
    });
    this.process.stdin!.on('error', () => {});
    const replies = this.process.stdio[3] as NodeJS.ReadableStream;
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.receive(chunk));
    if (!channel) this.failedToStart = 'the sandbox could not make its named pipes (mkfifo)';
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        if (!this.ready && !this.killedByGrader) this.failedToStart ??= `the sandbox did not start (${signal ?? `exit code ${code}`}): ${this.stderrStart.trim().split('\n')[0] ?? ''}`;
        this.ended ??= this.killedByGrader ? 'stopped by the grader' : describeExit(code, signal);
        this.wakeChecker(this.ended);
        this.pending?.resolve({ kind: 'stopped', message: this.ended });
        this.pending = undefined;
        resolve(this.ended);
      });
      this.process.on('error', (error) => {
        this.failedToStart ??= `the sandbox did not start: ${error.message}`;
        this.ended ??= `could not start: ${error.message}`;
        this.wakeChecker(this.ended);
        this.pending?.resolve({ kind: 'stopped', message: this.ended });
        this.pending = undefined;
        resolve(this.ended);
      });
    });
  }

  /** Send one request; resolves with the reply, or `stopped` if the process ends first. */
  request(request: Request): Promise<Reply> {
    // Ended before this request was made: the call never reached the answers.
    if (this.ended) return Promise.resolve({ kind: 'stopped', message: this.ended, before: true });
    if (this.pending) return Promise.resolve({ kind: 'stopped', message: 'one request at a time' });
    const id = ++this.nextId;
    this.line = '';
    return new Promise((resolve) => {
      this.pending = { id, resolve };
      this.process.stdin!.write(JSON.stringify({ id, ...request }) + '\n');
    });
  }

  private receive(chunk: string) {
    this.line += chunk;
    if (this.line.length > sandboxLimits.replyBytes) {
      this.ended = `returned more than ${sandboxLimits.replyBytes / 1e6} MB`;
      this.kill();
      return;
    }
    let newline;
    while ((newline = this.line.indexOf('\n')) >= 0) {
      const text = this.line.slice(0, newline);
      this.line = this.line.slice(newline + 1);
      const reply = readReply(text);
      // Only the reply to the request in flight counts; anything else the answer wrote is noise.
      if (reply?.reply.kind === 'ready' && reply.id === 0) this.ready = true;
      else if (reply && this.pending && reply.id === this.pending.id) {
        const { resolve } = this.pending;
        this.pending = undefined;
        resolve(reply.reply);
      }
    }
  }

  /** From now on the process serves the checker's calls on its channel (and nothing else). */
  serve() {
    if (!this.ended) this.process.stdin!.write(JSON.stringify({ id: ++this.nextId, op: 'serve' }) + '\n');
  }

  /** The process is gone: a checker reading a reply (or about to) reads that instead. */
  private wakeChecker(why: string) {
    this.onEnded();
    if (this.wakeFd === undefined) return;
    try {
      writeSync(this.wakeFd, endedLine(why));
    } catch {
      /* closed already */
    }
  }

  private closeChannel() {
    const fds = [...this.channelFds.splice(0), ...(this.wakeFd === undefined ? [] : [this.wakeFd])];
    this.wakeFd = undefined;
    for (const fd of fds) {
      try {
        closeSync(fd);
      } catch {
        /* closed already */
      }
    }
  }

  /** CPU time used by the answers' process so far, in ms (undefined without /proc). */
  cpuMs(): number | undefined {
    if (!procAvailable || this.process.pid === undefined) return undefined;
    // With namespaces the answers run in the child of `unshare`; without, in the process itself.
    this.nodePid ??= namespacesAvailable() ? childPids(this.process.pid)[0] : this.process.pid;
    return this.nodePid === undefined ? 0 : (cpuMsOf(`/proc/${this.nodePid}/stat`) ?? 0);
  }

  /** A call is in flight. */
  inCall(): boolean {
    return this.pending !== undefined;
  }

  /** True while the answers' process sleeps (asked during a call: it sleeps instead of working on it). */
  asleep(): boolean {
    if (!procAvailable) return false;
    this.cpuMs(); // finds the pid
    return this.nodePid !== undefined && isAsleep(`/proc/${this.nodePid}/stat`);
  }

  /** Kill the whole process group (idempotent). */
  kill() {
    this.stopWatchdog();
    if (this.process.exitCode !== null || this.process.signalCode !== null || this.process.pid === undefined) return;
    this.killedByGrader = true;
    try {
      process.kill(-this.process.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  /** End it (its grading is over) and wait until it has. */
  async close() {
    this.process.stdin!.end();
    this.kill();
    await this.exited;
    this.closeChannel();
    for (const path of [this.channel.calls, this.channel.replies]) if (path) rmSync(path, { force: true });
  }
}

/**
 * Kills the sandboxes' process groups once the grader is gone, however it went: one detached
 * shell per grader, told of each group as it starts (`+id`) and ends (`-id`) on a pipe whose
 * other end the grader holds; the pipe closes when the grader's process exits, a SIGKILL
 * included (a `check` stopped by watch's `q`, a test runner ending), and the shell then kills
 * the groups still listed. Without it an answer looping forever outlives a grader that was
 * killed. One shell for all, not one per sandbox: starting a process from the grader costs
 * ~17 ms of its CPU (measured), twice per submission's chapter otherwise.
 * Returns what takes the group off the list.
 */
const watchdogScript = `live=" "
while read -r line; do
  case "$line" in
    +*) live="$live\${line#+} " ;;
    -*) id="\${line#-}"; kept=" "; for g in $live; do [ "$g" = "$id" ] || kept="$kept$g "; done; live="$kept" ;;
  esac
done
for g in $live; do kill -KILL -"$g" 2>/dev/null; done`;
let watchdog: ChildProcess | undefined;
function groupWatchdog(groupId: number): () => void {
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null) {
    watchdog = spawn('sh', ['-c', watchdogScript], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    // No `sh`: no watchdog; the grader's own kill on its way out remains.
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    // Neither the shell nor its pipe may keep the grader's event loop alive.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const shell = watchdog;
  shell.stdin?.write(`+${groupId}\n`);
  let listed = true;
  return () => {
    if (listed && shell.exitCode === null) shell.stdin?.write(`-${groupId}\n`);
    listed = false;
  };
}

/**
 * Named pipes for the checkers' channels, made in batches (one `mkfifo` for many: starting it
 * costs the grader ~10 ms each time). Each pair serves one sandbox and is then removed: a pair
 * used again could hold a line of its last sandbox's (the news of its end, written while a
 * process of its group still held the pipe), which the next checker would read as its own.
 */
const unusedChannels: CallChannel[] = [];
let pipesDir: string | undefined;
let channelsMade = 0;
function takeChannel(): CallChannel | undefined {
  if (unusedChannels.length === 0) {
    if (!pipesDir) {
      pipesDir = mkdtempSync(join(tmpdir(), 'grading-pipes-'));
      const dir = pipesDir;
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    const batch = Array.from({ length: 8 }, () => ++channelsMade).map((n) => ({ calls: join(pipesDir!, `calls-${n}`), replies: join(pipesDir!, `replies-${n}`) }));
    const made = spawnSync('mkfifo', ['-m', '600', ...batch.flatMap((c) => [c.calls, c.replies])], { stdio: 'ignore' });
    if (made.status !== 0) return undefined;
    unusedChannels.push(...batch);
  }
  return unusedChannels.pop();
}

const replyKinds = new Set(['ready', 'loaded', 'value', 'undefined', 'function', 'unserialisable', 'threw']);

/**
 * Node's permission model: `--experimental-permission` on Node 20 (checked on 20.20);
 * `--permission` where Node made the model stable (22.13.0 release notes, nodejs/node#56201;
 * the 23 line from 23.5), the old name later dropped (nodejs/node#56240).
 */
export function permissionFlag(version = process.versions.node): string {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const stable = major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13);
  return stable ? '--permission' : '--experimental-permission';
}

/** A reply line as data: anything that is not a well-formed reply reads as nothing. */
function readReply(text: string): { id: number; reply: Reply } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const { id, ...reply } = data as { id?: unknown; kind?: unknown };
  if (typeof id !== 'number' || typeof reply.kind !== 'string' || !replyKinds.has(reply.kind)) return undefined;
  return { id, reply: reply as Reply };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (code === 134 || signal === 'SIGABRT' || signal === 'SIGSEGV' || signal === 'SIGTRAP') return `ran out of memory (ended by ${signal ?? 'an abort'})`;
  if (signal === 'SIGXCPU') return 'used up its CPU time';
  if (signal) return `was killed by ${signal} (process.kill? the system running out of memory?)`;
  return `ended with exit code ${code} (process.exit?)`;
}
