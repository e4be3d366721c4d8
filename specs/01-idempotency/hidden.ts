/**
 * Chapter 1's hidden checks: the instructor's, kept out of the student release. The same
 * answers, loaded and prepared as the visible chapter does, judged under larger bounds: the
 * cases of 1.2 and the TTL of 1.3 in the crash window (a crash anywhere, card network failures,
 * a lock released while its request still runs), and 1.4 over five times the random operations,
 * another seed, a restart over more operations, and many operations of one order at once.
 *
 * 1.1 has no hidden check: it predicts the one scenario, which the visible check explores
 * exhaustively already.
 */
import type { Chapter, Task } from '../../tools/grading/task.ts';
import type { IdempotencyConfig } from '../../models/idempotency-store/machine.ts';
import { chapter as visible, keyedRetryCases, keyedRetryCheck, keyFormatCheck, keyTtlCheck, PROPERTY_RUNS, type KeyFormatBounds } from './chapter.ts';
import { recoveryConfig } from './analysis.ts';
import type { ChapterOneAnswers } from './answer-types.ts';

/** A case's config, with a crash allowed and the lock released as in the crash-window explorations. */
export const inCrashWindow = (config: IdempotencyConfig): IdempotencyConfig => ({
  ...config,
  maxCrashes: recoveryConfig.maxCrashes,
  lockTimeoutSeconds: recoveryConfig.lockTimeoutSeconds,
});

export const hiddenKeyBounds: KeyFormatBounds = { seed: 4711, runsPerProperty: 5 * PROPERTY_RUNS, restartOperations: 200, batchOfOneOrder: 20_000 };

const visibleTask = (id: string) => visible.tasks.find((t) => t.id === id)!;

const hiddenTasks: Task<ChapterOneAnswers>[] = [
  { ...visibleTask('1.2'), id: '1.2h', title: 'Retry with an idempotency key, in the crash window', check: keyedRetryCheck(inCrashWindow) },
  { ...visibleTask('1.3'), id: '1.3h', title: 'How long to keep keys, in the crash window', check: keyTtlCheck(recoveryConfig) },
  { ...visibleTask('1.4'), id: '1.4h', title: 'The key format, under larger bounds', check: keyFormatCheck(hiddenKeyBounds) },
];

export const chapter: Chapter<ChapterOneAnswers> = {
  ...visible,
  tasks: hiddenTasks,
  prepare: async () => {
    await visible.prepare?.();
    keyedRetryCases(inCrashWindow);
  },
};
