/**
 * Runs a chapter's tasks from `startAt` on, posting a `start` before each task and a
 * `result` after it, so that the parent can stop a task that never returns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Chapter, Task } from './task.ts';
import { loadAnswersOrReport, runTask, type TaskReport } from './run-task.ts';

export interface WorkerInput {
  entry: string;
  chapterModule: string;
  answersDir: string;
  startAt: number;
  /** Ids of tasks that did not finish in time in an earlier worker. */
  timedOut: string[];
}

export type WorkerMessage =
  | { type: 'tasks'; tasks: { id: string; title: string; hint: string }[] }
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; report: TaskReport }
  | { type: 'done' };

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

const { chapter } = (await import(pathToFileURL(input.chapterModule).href)) as { chapter: Chapter<unknown> };
post({ type: 'tasks', tasks: chapter.tasks.map(({ id, title, hint }) => ({ id, title, hint })) });
const loaded = await loadAnswersOrReport(chapter, input.answersDir);
for (let index = input.startAt; index < chapter.tasks.length; index++) {
  post({ type: 'start', index });
  const task = chapter.tasks[index]!;
  // Running an answer that never returned once already would only wait out the limit again.
  const stuck = task.dependsOn?.find((id) => input.timedOut.includes(id));
  const report: TaskReport =
    'reports' in loaded
      ? loaded.reports[index]!
      : stuck
        ? notRun(task, `task ${task.id}: not run: it uses your answer to ${stuck}, which did not finish in time`)
        : await runTask(chapter, task, loaded.answers);
  post({ type: 'result', index, report });
}
await chapter.close?.();
post({ type: 'done' });

function notRun(task: Task<unknown>, message: string): TaskReport {
  return { chapter: chapter.number, id: task.id, title: task.title, hint: task.hint, status: 'fail', message, ms: 0 };
}
