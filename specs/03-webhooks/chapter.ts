/**
 * Chapter 3's four tasks, each with the one check that serves both `npm test` (against the
 * reference answers) and the grader (against a student's). Each task lives in its own module:
 * task-handler.ts (3.1), task-schedule.ts (3.2), task-dispatch.ts (3.3), task-terminal.ts (3.4).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Chapter, importAnswersModule } from '../../tools/grading/task.ts';
import { handleWebhook } from './task-handler.ts';
import { retrySchedule } from './task-schedule.ts';
import { dispatchPolicy } from './task-dispatch.ts';
import { terminalPolicy } from './task-terminal.ts';
import type { ChapterThreeAnswers } from './answer-types.ts';

export { PROPERTY_RUNS, PROPERTY_SEED } from './bounds.ts';
export { eventsArbitrary, handlerInModel, ImpureHandler } from './task-handler.ts';
export { modelConfigFor, RESPONSE_TIMEOUT_SECONDS, scheduleOf } from './task-schedule.ts';
export { checkDispatchPolicy, HEALTHY_P99_BOUND_SECONDS, MAX_QUEUED_IN_MEMORY } from './task-dispatch.ts';

/**
 * The answers module, and the source text of the `.ts` files beside it (plain data, so that it
 * travels with the answers wherever they run): a helper the answers import from a sibling file
 * is read too.
 */
export async function loadWithSource(chapterDir: string): Promise<ChapterThreeAnswers> {
  const module = await importAnswersModule<ChapterThreeAnswers>(chapterDir);
  // key.ts sits beside the reference answers and quotes them in prose: it is not an answer.
  const files = readdirSync(chapterDir).filter((name) => name.endsWith('.ts') && name !== 'key.ts').sort();
  const answerSource = files.map((name) => readFileSync(join(chapterDir, name), 'utf8')).join('\n');
  return { ...module, answerSource };
}

export const chapter: Chapter<ChapterThreeAnswers> = {
  number: 3,
  slug: '03-webhooks',
  title: 'Webhook reliability',
  tasks: [handleWebhook, retrySchedule, dispatchPolicy, terminalPolicy],
  loadAnswers: loadWithSource,
};
