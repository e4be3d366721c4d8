/**
 * Runs a chapter's tasks from `startAt` on, posting a `start` before each task and a
 * `result` after it, so that the parent can stop a task that never returns. The chapter's
 * shared set-up (`prepare`) runs first, before any task's clock starts.
 */
import { register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { EnvironmentError, type Chapter, type Task } from './task.ts';
import { loadAnswersOrReport, runTask, type TaskReport } from './run-task.ts';
import { currentThreadStat } from './cpu.ts';

export interface WorkerInput {
  entry: string;
  chapterModule: string;
  answersDir: string;
  startAt: number;
  /** Ids of tasks that did not finish in time in an earlier worker. */
  timedOut: string[];
}

export type WorkerMessage =
  | { type: 'thread'; stat: string | undefined }
  | { type: 'tasks'; tasks: { id: string; title: string; hint: string }[] }
  | { type: 'prepared' }
  | { type: 'environment'; message: string }
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; report: TaskReport }
  | { type: 'done' };

/** The parent's answer to `prepared`: the answers as loaded in the sandbox (see sandbox/hooks.mjs). */
export interface AnswersMessage {
  modules: Record<string, unknown>;
  sourceRoot: string;
}

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

// The parent counts this thread's CPU time (and the answers' process's) against a task's limit.
post({ type: 'thread', stat: currentThreadStat() });
const { chapter } = (await import(pathToFileURL(input.chapterModule).href)) as { chapter: Chapter<unknown> };
post({ type: 'tasks', tasks: chapter.tasks.map(({ id, title, hint }) => ({ id, title, hint })) });
try {
  await chapter.prepare?.();
  post({ type: 'prepared' });
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  post({ type: 'environment', message: error instanceof EnvironmentError ? reason : `the chapter's set-up failed: ${reason}` });
  await new Promise(() => {}); // the parent ends this worker
}
// Only now are the answers loaded, in their sandbox: the checker's imports of them get stand-ins.
const answers = await new Promise<AnswersMessage>((resolve) => parentPort!.once('message', resolve));
register('./sandbox/hooks.mjs', import.meta.url, { data: answers });
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
  return { chapter: chapter.number, id: task.id, title: task.title, hint: task.hint, status: 'error', message, ms: 0 };
}
