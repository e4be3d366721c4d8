/**
 * Grade one chapter's answers in a worker thread, with a time limit per task. A task that
 * does not finish in time (an answer that loops forever, a runaway SQL statement) is failed,
 * the worker is stopped, and the remaining tasks go on in a fresh worker.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { chapterModule, type ChapterEntry } from '../chapters.ts';
import type { TaskReport } from './run-task.ts';
import type { WorkerInput, WorkerMessage } from './worker.ts';

export interface GradeOptions {
  /** Per-task time limit in milliseconds. */
  timeoutMs?: number;
  /** Time limit for loading the chapter and the answers (a database may start here). */
  loadTimeoutMs?: number;
  /** Called as each task finishes (progress). */
  onReport?: (report: TaskReport) => void;
}

const BETWEEN_TASKS = -2;

type TaskTitle = { id: string; title: string; hint: string };

const boot = fileURLToPath(new URL('./boot.mjs', import.meta.url));
const entry = new URL('./worker.ts', import.meta.url).href;

export async function gradeChapter(chapter: ChapterEntry, answersDir: string, options: GradeOptions = {}): Promise<TaskReport[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
  const reports: TaskReport[] = [];
  const add = (report: TaskReport) => {
    reports.push(report);
    options.onReport?.(report);
  };
  let tasks: TaskTitle[] = [];
  const timedOut = new Set<string>();
  // Tasks report in order, one report each: the number of reports is the next task to run.
  while (reports.length < tasks.length || tasks.length === 0) {
    const startAt = reports.length;
    const input: WorkerInput = { entry, chapterModule: chapterModule(chapter), answersDir, startAt, timedOut: [...timedOut] };
    const outcome = await runWorker(input, timeoutMs, loadTimeoutMs, (titles) => (tasks = titles), add);
    if (outcome.kind === 'done') return reports;
    if (tasks.length === 0) {
      const message = outcome.kind === 'crash' ? outcome.message : `not loaded within ${loadTimeoutMs / 1000} s`;
      add({ chapter: chapter.number, id: `${chapter.number}`, title: 'chapter', hint: '', status: 'error', message: `chapter ${chapter.number} could not be loaded: ${message}`, ms: 0 });
      return reports;
    }
    // Stopped between two tasks (closing a database, say): nothing lost, go on.
    if (outcome.index === BETWEEN_TASKS) continue;
    const reason =
      outcome.kind === 'timeout'
        ? outcome.index < 0
          ? `the answers did not load within ${loadTimeoutMs / 1000} s (a loop at the top of a file?)`
          : `no result within ${timeoutMs / 1000} s (an answer that never returns, or a statement that runs forever?)`
        : `the checker stopped: ${outcome.message}`;
    // Stopped while loading the answers: every remaining task fails; in a task: that one.
    const failed = outcome.index < 0 ? tasks.slice(startAt) : [tasks[outcome.index]!];
    for (const task of failed) {
      if (outcome.kind === 'timeout') timedOut.add(task.id);
      add({
        chapter: chapter.number,
        ...task,
        status: outcome.kind === 'timeout' ? 'fail' : 'error',
        message: `task ${task.id}: ${reason}`,
        ms: outcome.kind === 'timeout' ? timeoutMs : 0,
      });
    }
  }
  return reports;
}

type WorkerOutcome = { kind: 'done' } | { kind: 'timeout'; index: number } | { kind: 'crash'; index: number; message: string };

function runWorker(
  input: WorkerInput,
  timeoutMs: number,
  loadTimeoutMs: number,
  onTasks: (tasks: TaskTitle[]) => void,
  onReport: (report: TaskReport) => void,
): Promise<WorkerOutcome> {
  return new Promise((resolve) => {
    const worker = new Worker(boot, { workerData: input });
    let current = -1;
    let settled = false;
    let timer = setTimeout(() => finish({ kind: 'timeout', index: -1 }), loadTimeoutMs);
    const finish = (outcome: WorkerOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'tasks') onTasks(message.tasks);
      else if (message.type === 'start') {
        current = message.index;
        clearTimeout(timer);
        timer = setTimeout(() => finish({ kind: 'timeout', index: current }), timeoutMs);
      } else if (message.type === 'result') {
        clearTimeout(timer);
        current = BETWEEN_TASKS;
        onReport(message.report);
      } else finish({ kind: 'done' });
    });
    worker.on('error', (error) => finish({ kind: 'crash', index: current, message: error.message }));
    // The worker ends by itself only after 'done'; any other exit (an answer that calls
    // process.exit, even with 0) stopped it in the middle of the chapter.
    worker.on('exit', (code) => finish({ kind: 'crash', index: current, message: `the answers ended the process (process.exit(${code})?)` }));
  });
}
