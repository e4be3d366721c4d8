/**
 * A checker: loads a chapter's checks and runs its shared set-up (`prepare`) once, before any
 * task's clock starts, then grades one submission after another as the parent asks, posting a
 * `start` before each task and a `result` after it, so that the parent can stop a task that
 * never returns (it then ends this worker and starts a fresh one).
 */
import { register } from 'node:module';
import { MessageChannel, parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { EnvironmentError, type Chapter, type Task } from './task.ts';
import { loadAnswersOrReport, runTask, type TaskReport } from './run-task.ts';
import { currentThreadStat } from './cpu.ts';
import { connect, disconnect } from './sandbox/call.ts';
import type { CallChannel } from './sandbox/host.ts';

export interface WorkerInput {
  entry: string;
  chapterModule: string;
}

export type WorkerMessage =
  | { type: 'thread'; stat: string | undefined }
  | { type: 'tasks'; tasks: { id: string; title: string; hint: string }[] }
  | { type: 'prepared' }
  | { type: 'environment'; message: string }
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; report: TaskReport }
  | { type: 'done' }
  | { type: 'closed' };

/** The answers as loaded in the sandbox (see sandbox/hooks.mjs). */
export interface AnswersMessage {
  modules: Record<string, unknown>;
  sourceRoot: string;
}

/** What the parent asks: grade one submission (from task `startAt` on), or end. */
export type WorkerRequest =
  | {
      type: 'grade';
      answers: AnswersMessage;
      answersDir: string;
      /** Where the checks' calls into the answers go (the submission's sandbox). */
      channel: CallChannel;
      startAt: number;
      /** Ids of tasks that did not finish in time in an earlier worker. */
      timedOut: string[];
    }
  | { type: 'close' };

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const requests: WorkerRequest[] = [];
let wake: (() => void) | undefined;
parentPort!.on('message', (request: WorkerRequest) => {
  requests.push(request);
  wake?.();
});
const nextRequest = async (): Promise<WorkerRequest> => {
  while (requests.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  return requests.shift()!;
};

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

// The checker's imports of a submission's answers get stand-ins (sandbox/hooks.mjs); the hooks
// learn each submission's answers through this port, and say when they have.
const toHooks = new MessageChannel();
register('./sandbox/hooks.mjs', import.meta.url, { data: { port: toHooks.port2 }, transferList: [toHooks.port2] });
let submissions = 0;
const tellHooks = (answers: AnswersMessage) =>
  new Promise<void>((resolve) => {
    const id = ++submissions;
    const listener = (reply: { id: number }) => {
      if (reply.id !== id) return;
      toHooks.port1.off('message', listener);
      resolve();
    };
    toHooks.port1.on('message', listener);
    toHooks.port1.postMessage({ id, ...answers });
  });

// One submission after another: the set-up above (explorations, a database) serves them all.
for (let request = await nextRequest(); request.type === 'grade'; request = await nextRequest()) {
  await tellHooks(request.answers);
  connect(request.channel);
  try {
    await gradeSubmission(request);
  } finally {
    disconnect();
  }
  post({ type: 'done' });
}
await chapter.close?.();
post({ type: 'closed' });

async function gradeSubmission({ answersDir, startAt, timedOut }: Extract<WorkerRequest, { type: 'grade' }>) {
  const loaded = await loadAnswersOrReport(chapter, answersDir);
  for (let index = startAt; index < chapter.tasks.length; index++) {
    post({ type: 'start', index });
    const task = chapter.tasks[index]!;
    // Running an answer that never returned once already would only wait out the limit again.
    const stuck = task.dependsOn?.find((id) => timedOut.includes(id));
    const report: TaskReport =
      'reports' in loaded
        ? loaded.reports[index]!
        : stuck
          ? notRun(task, `task ${task.id}: not run: it uses your answer to ${stuck}, which did not finish in time`)
          : await runTask(chapter, task, loaded.answers);
    post({ type: 'result', index, report });
  }
}

function notRun(task: Task<unknown>, message: string): TaskReport {
  return { chapter: chapter.number, id: task.id, title: task.title, hint: task.hint, status: 'error', message, ms: 0 };
}
