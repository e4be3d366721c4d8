/**
 * Grade one chapter's answers: the checks run in a worker thread of the grader, the answers
 * in a sandboxed process of their own (sandbox/), and every call from a check to an answer
 * crosses between the two as plain data. The verdicts come only from the checks.
 *
 * Limits count CPU time, not wall time, so that a busy machine does not fail a right answer:
 * a task may use `timeoutMs` of CPU time, counted over the checker's thread and the answers'
 * process, from the moment the task starts (the chapter's `prepare`, loading the chapter and
 * starting the processes are not counted). An answer asleep in a call (state S in /proc) for
 * `timeoutMs` is stopped too; a check asleep with no call in flight (waiting on a database) is
 * stopped after `wallFactor` times `timeoutMs` of such waiting. Time a thread is runnable but
 * not running (a busy machine) counts nowhere. Without Linux's /proc, wall time.
 *
 * A task stopped at its limit is an ERR, the worker and the answers' process are stopped, and
 * the remaining tasks go on with fresh ones.
 */
import { pathToFileURL } from 'node:url';
import type { ChapterEntry } from '../chapters.ts';
import { environmentReport, type TaskReport } from './run-task.ts';
import type { AnswersMessage, WorkerMessage } from './worker.ts';
import { cpuMsOf, isAsleep } from './cpu.ts';
import { CheckerPool, type Checker, type TaskTitle } from './checker.ts';
import { answerModules, prepareSubmission, type PreparedSubmission } from './sandbox/submission.ts';
import { Sandbox, type Reply } from './sandbox/host.ts';
import { CALL_NUMBER_SLOT, ENDED_SLOT, IN_CALL_SLOT, KILL_SLOT } from './sandbox/call.ts';

export interface GradeOptions {
  /** Per-task limit, in milliseconds of CPU time (the checker's and the answer's). */
  timeoutMs?: number;
  /** Limit for loading the answers (a loop at the top of a file), in ms of CPU time. */
  loadTimeoutMs?: number;
  /** Wall-clock limit of the chapter's shared set-up (`prepare`: a database starting). */
  prepareTimeoutMs?: number;
  /** A task that does not use its CPU time (it sleeps, it waits) is stopped after this many times `timeoutMs` of wall time. */
  wallFactor?: number;
  /** Called as each task finishes (progress). */
  onReport?: (report: TaskReport) => void;
  /**
   * The run's checkers (a class graded in one run): a chapter's checks are loaded and prepared
   * once per checker and grade submission after submission. Without, a checker of its own,
   * closed when this grading ends.
   */
  checkers?: CheckerPool;
}

const BETWEEN_TASKS = -2;
const LOADING = -1;
const POLL_MS = 50;

// SIGUSR1 would open an inspector on the grader (Node's default), through which a process that
// can signal it could run code here; a listener of its own turns that off (measured on Node 20).
process.on('SIGUSR1', () => {});

export async function gradeChapter(chapter: ChapterEntry, answersDir: string, options: GradeOptions = {}): Promise<TaskReport[]> {
  const limits = {
    timeoutMs: options.timeoutMs ?? 10_000,
    loadTimeoutMs: options.loadTimeoutMs ?? 10_000,
    prepareTimeoutMs: options.prepareTimeoutMs ?? 180_000,
    wallFactor: options.wallFactor ?? 5,
  };
  const prepared = await prepareSubmission(answersDir, chapter.slug);
  const ownPool = options.checkers ? undefined : new CheckerPool();
  const pool = options.checkers ?? ownPool!;
  // Messages name the student's folder, not the grader's private copy of it.
  const shown = (text: string | undefined) => text?.split(prepared.sourceDir).join(answersDir);
  const reports: TaskReport[] = [];
  const add = (report: TaskReport) => {
    const clean = { ...report, message: shown(report.message)!, trace: shown(report.trace), reveal: shown(report.reveal) };
    for (const key of ['trace', 'reveal'] as const) if (clean[key] === undefined) delete clean[key];
    reports.push(clean);
    options.onReport?.(clean);
  };
  let tasks: TaskTitle[] = [];
  const timedOut = new Set<string>();
  const endedBefore = new Set<number>();
  try {
    // Tasks report in order, one report each: the number of reports is the next task to run.
    while (reports.length < tasks.length || tasks.length === 0) {
      const startAt = reports.length;
      const once = (index: number) => !endedBefore.has(index) && Boolean(endedBefore.add(index));
      const checker = pool.take(chapter, limits.prepareTimeoutMs);
      const outcome = await runOnce(checker, prepared, startAt, [...timedOut], limits, (titles) => (tasks = titles), add, once);
      // A checker is reused only after a grading that ended well; any other is ended.
      if (outcome.kind === 'done') pool.give(checker);
      else await pool.discard(checker);
      if (outcome.kind === 'done') return reports;
      if (outcome.kind === 'restart') continue;
      if (tasks.length === 0) {
        add({ chapter: chapter.number, id: `${chapter.number}`, title: 'chapter', hint: '', status: 'error', environment: true, message: `chapter ${chapter.number} could not be loaded: ${outcome.message}`, ms: 0 });
        return reports;
      }
      const remaining = tasks.slice(reports.length);
      if (outcome.kind === 'environment') {
        for (const task of remaining) add(environmentReport({ chapter: chapter.number, ...task }, outcome.message));
        return reports;
      }
      // The answers' process ended between two tasks (a timer of the last task's, say): start
      // afresh once; if it ends again before the same task, that task gets the ERR.
      if (outcome.kind === 'answer-ended' && outcome.index === BETWEEN_TASKS && once(reports.length)) continue;
      const index = outcome.index === BETWEEN_TASKS ? reports.length : outcome.index;
      // Stopped while loading the answers: every remaining task; in a task: that one.
      const failed = index === LOADING ? remaining : [tasks[index]!];
      for (const task of failed) {
        if (outcome.kind === 'limit') timedOut.add(task.id);
        add({ chapter: chapter.number, ...task, status: 'error', message: `task ${task.id}: ${outcome.message}`, ms: outcome.kind === 'limit' ? limits.timeoutMs : 0 });
      }
    }
    return reports;
  } finally {
    prepared.dispose();
    await ownPool?.close();
  }
}

type Outcome =
  | { kind: 'done' }
  | { kind: 'restart' }
  /** A limit stopped the answer (time while a task or the loading ran). */
  | { kind: 'limit'; index: number; message: string }
  /** The answers' process ended by itself (process.exit, out of memory, a signal). */
  | { kind: 'answer-ended'; index: number; message: string }
  /** Not the answer: the checker stopped, the set-up failed, the sandbox did not start. */
  | { kind: 'environment'; index: number; message: string };

type Limits = Required<Omit<GradeOptions, 'onReport' | 'checkers'>>;

/** Load the answers into a fresh sandbox; what the checker's stand-in modules need. */
async function loadAnswerModules(prepared: PreparedSubmission, sandbox: Sandbox) {
  const modules: Record<string, unknown> = {};
  // An answers module that is not there (or was left out of the copy) reads as missing, with why.
  for (const file of answerModules) {
    const left = prepared.skipped.find((line) => line.startsWith(`${file} `));
    const message = left ? `${file} was left out: ${left.slice(file.length + 1)}` : `there is no ${file} in the folder`;
    modules[pathToFileURL(`${prepared.sourceDir}/${file}`).href] = { file, error: { name: 'Error', message, stack: '' } };
  }
  for (const module of prepared.modules) {
    const url = pathToFileURL(`${prepared.sourceDir}/${module.file}`).href;
    if (module.error) {
      modules[url] = { file: module.file, error: { name: 'SyntaxError', message: module.error, stack: '' } };
      continue;
    }
    const bundle = module.file.replace(/\.ts$/, '.mjs');
    const reply: Reply = await sandbox.request({ op: 'load', file: bundle });
    if (reply.kind === 'stopped') return { stopped: reply.message };
    modules[url] =
      reply.kind === 'loaded'
        ? { file: bundle, exports: reply.exports }
        : { file: bundle, error: reply.kind === 'threw' ? reply : { name: 'Error', message: 'did not load', stack: '' } };
  }
  return { modules };
}

function runOnce(
  checker: Checker,
  prepared: PreparedSubmission,
  startAt: number,
  timedOut: string[],
  limits: Limits,
  onTasks: (tasks: TaskTitle[]) => void,
  onReport: (report: TaskReport) => void,
  mayRunAgain: (index: number) => boolean,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const signal = checker.signal;
    // Before anything of this submission's runs: the last one's marks are gone.
    checker.attach({ message: (message) => onMessage(message), stopped: (message) => finish({ kind: 'environment', index: current, message }) });
    const sandbox = new Sandbox(prepared, () => Atomics.store(signal, ENDED_SLOT, 1));
    let settled = false;
    let current = LOADING;
    // The clock of whatever runs now: CPU of the checker's thread + the answers' process, and wall time.
    let clock:
      | { cpu0: number; wall0: number; lastPoll: number; lastState: string; lastCall: number; asleep: number; waiting: number; limitMs: number; what: string }
      | undefined;
    const cpuNow = () => {
      const thread = checker.threadStat ? cpuMsOf(checker.threadStat) : undefined;
      const answers = sandbox.cpuMs();
      return thread === undefined || answers === undefined ? undefined : thread + answers;
    };
    const startClock = (limitMs: number, what: string) => (clock = { cpu0: cpuNow() ?? 0, wall0: performance.now(), lastPoll: performance.now(), lastState: 'working', lastCall: -1, asleep: 0, waiting: 0, limitMs, what });
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      checker.detach();
      // A checker stopped mid-task is ended by the caller; resolved only once the answers'
      // process group is gone: nothing outlives its grading.
      void Promise.all([outcome.kind === 'done' ? undefined : checker.end(), sandbox.close()]).then(() => resolve(outcome));
    };
    const watchdog = setInterval(() => {
      // A reply over the size limit: the checker's thread asks for the process to be ended.
      if (Atomics.load(signal, KILL_SLOT) === 1) sandbox.kill();
      if (!clock) return;
      const cpu = cpuNow();
      const now = performance.now();
      const wall = now - clock.wall0;
      // Time an answer spends asleep in a call (a sleep, a wait that never ends) counts as its
      // own; a starved process is runnable, not asleep, so a busy machine adds nothing here.
      // Counted only when two polls in a row see the same state of the same call, so that the
      // moments between a reply and the next call (which a loaded machine stretches) never add up.
      const inCall = Atomics.load(signal, IN_CALL_SLOT) === 1 || sandbox.inCall();
      const callNumber = Atomics.load(signal, CALL_NUMBER_SLOT);
      const state = inCall ? (sandbox.asleep() ? 'asleep' : 'working') : checker.threadStat && isAsleep(checker.threadStat) ? 'waiting' : 'working';
      const same = state === clock.lastState && callNumber === clock.lastCall;
      if (same && state === 'asleep') clock.asleep += now - clock.lastPoll;
      // The check itself asleep, no call in flight: it waits on something outside (a database).
      if (same && state === 'waiting') clock.waiting += now - clock.lastPoll;
      clock.lastState = state;
      clock.lastCall = callNumber;
      clock.lastPoll = now;
      if (clock.asleep > clock.limitMs) {
        finish({ kind: 'limit', index: current, message: `your answer waited without working for more than ${clock.limitMs / 1000} s (a sleep, or a wait on something that never comes?)` });
        return;
      }
      const overCpu = cpu !== undefined && cpu - clock.cpu0 > clock.limitMs;
      // Runnable time counts only as CPU time: a starved check or answer is not stopped for it.
      const overWait = cpu === undefined ? wall > clock.limitMs : clock.waiting > clock.limitMs * limits.wallFactor;
      if (overCpu || overWait) {
        const seconds = clock.limitMs / 1000;
        const message = overCpu
          ? `${clock.what} used more than ${seconds} s of CPU time without a result (a loop that never ends?)`
          : `${clock.what} gave no result within ${cpu === undefined ? seconds : seconds * limits.wallFactor} s of waiting (a statement that runs forever, an answer that waits forever?)`;
        finish({ kind: 'limit', index: current, message });
      }
    }, POLL_MS);

    // During a task, the check's call gets the news (and the task its ERR); otherwise it ends the run here.
    void sandbox.exited.then((reason) => {
      if (settled || current >= 0) return;
      if (sandbox.failedToStart) finish({ kind: 'environment', index: current, message: sandbox.failedToStart });
      else finish({ kind: 'answer-ended', index: current, message: `your answer's process ${reason}` });
    });

    const loadAnswers = () => {
      // The answers' top level runs now, in the sandbox, under the load limit (and on until the first task starts).
      startClock(limits.loadTimeoutMs, 'loading the answers');
      void loadAnswerModules(prepared, sandbox).then((loaded) => {
        if (settled) return;
        if ('stopped' in loaded) {
          if (sandbox.failedToStart) return finish({ kind: 'environment', index: LOADING, message: sandbox.failedToStart });
          return finish({ kind: 'answer-ended', index: LOADING, message: `loading the answers: your answer's process ${loaded.stopped}` });
        }
        const answers: AnswersMessage = { modules: loaded.modules, sourceRoot: pathToFileURL(prepared.sourceDir).href + '/' };
        // From here on the process serves the checker's calls, on a channel of their own.
        sandbox.serve();
        checker.request({ type: 'grade', answers, answersDir: prepared.sourceDir, channel: sandbox.channel, startAt, timedOut });
      });
    };
    const onMessage = (message: WorkerMessage) => {
      // A worker being ended may still post: once settled, nothing it says counts.
      if (settled) return;
      switch (message.type) {
        case 'start':
          current = message.index;
          startClock(limits.timeoutMs, 'the task');
          return;
        case 'result': {
          const cpu = cpuNow();
          // What the task cost against its limit: the figure the load-proof compares with it.
          const cpuMs = clock && cpu !== undefined ? Math.round(cpu - clock.cpu0) : undefined;
          clock = undefined;
          current = BETWEEN_TASKS;
          // The process ended before this task called it: run the task again, once, on a fresh one.
          if (message.report.endedBefore && sandbox.ended && mayRunAgain(message.index)) {
            finish({ kind: 'restart' });
            return;
          }
          const { endedBefore: _, ...report } = message.report;
          onReport(cpuMs === undefined ? report : { ...report, cpuMs });
          // The answers' process ended during the task, or must (a reply over the size limit):
          // the next tasks get a fresh one.
          if (sandbox.ended || Atomics.load(signal, KILL_SLOT) === 1) finish({ kind: 'restart' });
          return;
        }
        case 'done':
          finish({ kind: 'done' });
      }
    };
    void checker.ready.then((failed) => {
      if (settled) return;
      onTasks(checker.tasks);
      if (failed) finish({ kind: 'environment', index: LOADING, message: failed });
      else loadAnswers();
    });
  });
}
