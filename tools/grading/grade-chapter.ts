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
  const loadTimeoutMs = options.loadTimeoutMs ?? 60_000;
  const reports: TaskReport[] = [];
  const add = (report: TaskReport) => {
    reports.push(report);
    options.onReport?.(report);
  };
  let tasks: TaskTitle[] = [];
  const timedOut = new Set<string>();
  let startAt = 0;
  for (;;) {
    const input: WorkerInput = { entry, chapterModule: chapterModule(chapter), answersDir, startAt, timedOut: [...timedOut] };
    const outcome = await runWorker(input, timeoutMs, loadTimeoutMs, (titles) => (tasks = titles), add);
    // A worker that stops after its last result (while closing a database) lost nothing.
    if (outcome.kind === 'done' || outcome.index === BETWEEN_TASKS) return reports;
    const failed = outcome.index < 0 ? tasks.slice(startAt) : [tasks[outcome.index]!];
    const reason =
      outcome.kind === 'timeout'
        ? outcome.index < 0
          ? `chapter ${chapter.number}: the answers did not load within ${loadTimeoutMs / 1000} s (a loop at the top of a file?)`
          : `no result within ${timeoutMs / 1000} s (an answer that never returns, or a statement that runs forever?)`
        : `the checker stopped: ${outcome.message}`;
    for (const task of failed.length > 0 ? failed : [{ id: `${chapter.number}`, title: 'chapter', hint: '' }]) {
      if (outcome.kind === 'timeout') timedOut.add(task.id);
      add({
        chapter: chapter.number,
        ...task,
        status: outcome.kind === 'timeout' ? 'fail' : 'error',
        message: `task ${task.id}: ${reason}`,
        ms: outcome.kind === 'timeout' ? timeoutMs : 0,
      });
    }
    if (outcome.index < 0) return reports;
    startAt = outcome.index + 1;
    if (startAt >= tasks.length) return reports;
  }
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
    worker.on('exit', (code) => finish(code === 0 ? { kind: 'done' } : { kind: 'crash', index: current, message: `worker exited with code ${code}` }));
  });
}
