/**
 * Checkers: a chapter's checks loaded in a worker thread of the grader, with the chapter's
 * shared set-up (`prepare`: explorations that do not depend on an answer, a database server)
 * done once. A checker grades one submission after another (see grade-chapter.ts); one that a
 * grading had to stop (a limit, an answer's process gone mid-task) is ended, never reused.
 *
 * A `CheckerPool` keeps the idle checkers of a run, by chapter, so that a class of submissions
 * pays for loading and preparing a chapter once per lane instead of once per submission.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { chapterModule, type ChapterEntry } from '../chapters.ts';
import type { WorkerInput, WorkerMessage, WorkerRequest } from './worker.ts';
import { signalSlots } from './sandbox/call.ts';

export type TaskTitle = { id: string; title: string; hint: string };

/** Whoever grades with a checker now: its messages, and the news that it stopped. */
export interface CheckerListener {
  message(message: WorkerMessage): void;
  stopped(message: string): void;
}

const boot = fileURLToPath(new URL('./boot.mjs', import.meta.url));
const entry = new URL('./worker.ts', import.meta.url).href;

export class Checker {
  readonly chapter: ChapterEntry;
  private readonly worker: Worker;
  /** Shared with the checker's thread: a call in flight, its number, and more (sandbox/call.ts). */
  readonly signal = new Int32Array(new SharedArrayBuffer(4 * signalSlots));
  /** The checker thread's /proc stat file: its CPU time counts against a task's limit. */
  threadStat?: string;
  tasks: TaskTitle[] = [];
  /** Resolves when the set-up is done (undefined) or failed (why: the environment's). */
  readonly ready: Promise<string | undefined>;
  /** Set once the worker has stopped or was ended: it grades nothing more. */
  ended?: string;
  private listener?: CheckerListener;
  private closing?: Promise<void>;

  constructor(chapter: ChapterEntry, prepareTimeoutMs: number, env?: NodeJS.ProcessEnv) {
    this.chapter = chapter;
    const input: WorkerInput & Record<string, unknown> = { entry, chapterModule: chapterModule(chapter), rpcFlag: this.signal.buffer };
    this.worker = new Worker(boot, { workerData: input, ...(env ? { env } : {}) });
    let settleReady: (why: string | undefined) => void = () => undefined;
    this.ready = new Promise((resolve) => (settleReady = resolve));
    // Loading the chapter and its set-up are not the answer's: a wall-clock limit, reported as the environment's.
    const prepareTimer = setTimeout(() => {
      const why = `the chapter's set-up did not finish within ${prepareTimeoutMs / 1000} s`;
      settleReady(why);
      void this.end(why);
    }, prepareTimeoutMs);
    this.worker.on('message', (message: WorkerMessage) => {
      if (this.ended) return;
      switch (message.type) {
        case 'thread':
          this.threadStat = message.stat;
          return;
        case 'tasks':
          this.tasks = message.tasks;
          return;
        case 'prepared':
          clearTimeout(prepareTimer);
          settleReady(undefined);
          return;
        case 'environment':
          clearTimeout(prepareTimer);
          settleReady(message.message);
          void this.end(message.message);
          return;
        default:
          this.listener?.message(message);
      }
    });
    const stopped = (why: string) => {
      clearTimeout(prepareTimer);
      settleReady(why);
      this.ended ??= why;
      this.listener?.stopped(why);
    };
    this.worker.on('error', (error) => stopped(`the checker stopped: ${error.message}`));
    // The worker ends by itself only after 'closed'; nothing of the answer's runs in it.
    this.worker.on('exit', (code) => stopped(`the checker stopped with exit code ${code}`));
  }

  /** Start grading one submission: from now on its messages go to `listener`. */
  attach(listener: CheckerListener) {
    this.signal.fill(0);
    this.listener = listener;
  }

  detach() {
    this.listener = undefined;
  }

  request(request: WorkerRequest) {
    this.worker.postMessage(request);
  }

  /** End the worker now (a grading stopped mid-task; a failed set-up). */
  async end(why = 'ended by the grader'): Promise<void> {
    this.ended ??= why;
    this.detach();
    await this.worker.terminate();
  }

  /** Let the chapter close what it opened (a database server), then end the worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.ended) {
        const closed = new Promise<void>((resolve) => {
          this.worker.on('message', (message: WorkerMessage) => message.type === 'closed' && resolve());
          this.worker.once('exit', () => resolve());
        });
        this.request({ type: 'close' });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        clearTimeout(timer);
      }
      await this.end('closed');
    })();
    return this.closing;
  }
}

/** The idle checkers of a run, by chapter; `close` ends them all. */
export class CheckerPool {
  private readonly idle = new Map<string, Checker[]>();
  private readonly all = new Set<Checker>();
  private closed = false;

  constructor(private readonly options: { prepareTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {}

  /** An idle checker of the chapter, or a new one (its set-up starts now). */
  take(chapter: ChapterEntry, prepareTimeoutMs = this.options.prepareTimeoutMs ?? 180_000): Checker {
    if (this.closed) throw new Error('the checkers of this run are closed');
    const idle = this.idle.get(chapter.slug) ?? [];
    for (let checker = idle.pop(); checker; checker = idle.pop()) if (!checker.ended) return checker;
    const checker = new Checker(chapter, prepareTimeoutMs, this.options.env);
    this.all.add(checker);
    return checker;
  }

  /** A checker whose grading ended well, for the next submission of its chapter. */
  give(checker: Checker) {
    checker.detach();
    if (checker.ended) return void this.all.delete(checker);
    if (this.closed) return void checker.close();
    const idle = this.idle.get(checker.chapter.slug) ?? [];
    idle.push(checker);
    this.idle.set(checker.chapter.slug, idle);
  }

  /** A checker that may not grade again. */
  async discard(checker: Checker) {
    this.all.delete(checker);
    await checker.end();
  }

  async close() {
    this.closed = true;
    this.idle.clear();
    await Promise.all([...this.all].map((checker) => checker.close()));
    this.all.clear();
  }
}
