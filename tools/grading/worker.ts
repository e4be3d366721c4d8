/**
 * Runs a chapter's tasks from `startAt` on, posting a `start` before each task and a
 * `result` after it, so that the parent can stop a task that never returns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Chapter } from './task.ts';
import { loadAnswersOrReport, runTask } from './run-task.ts';

export interface WorkerInput {
  entry: string;
  chapterModule: string;
  answersDir: string;
  startAt: number;
}

export type WorkerMessage =
  | { type: 'tasks'; tasks: { id: string; title: string; hint: string }[] }
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; report: import('./run-task.ts').TaskReport }
  | { type: 'done' };

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

const { chapter } = (await import(pathToFileURL(input.chapterModule).href)) as { chapter: Chapter<unknown> };
post({ type: 'tasks', tasks: chapter.tasks.map(({ id, title, hint }) => ({ id, title, hint })) });
const loaded = await loadAnswersOrReport(chapter, input.answersDir);
for (let index = input.startAt; index < chapter.tasks.length; index++) {
  post({ type: 'start', index });
  const report = 'reports' in loaded ? loaded.reports[index]! : await runTask(chapter, chapter.tasks[index]!, loaded.answers);
  post({ type: 'result', index, report });
}
await chapter.close?.();
post({ type: 'done' });
