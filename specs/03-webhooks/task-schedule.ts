/**
 * Task 3.2: the retry schedule, judged by the properties a sound one has (retry-schedule.ts), over
 * random jitter draws and in the delivery model at the largest jitter; and the schedule every
 * other task runs on (the 3.2 answer's, one source of truth).
 */
import { fail, pass, type Task } from '../../tools/grading/task.ts';
import type { WebhookDeliveryConfig } from '../../models/webhook-delivery/machine.ts';
import { delaysNeverShrink, noAttemptAfterDeadline } from './invariants.ts';
import { dedupConfig, exploreConfig } from './analysis.ts';
import { drawsArbitrary, expectRetrySchedule, MAX_ATTEMPTS, jittered, latestRetryTimes, retryTimes, scheduleProblem } from './retry-schedule.ts';
import { simulateStatusHandling, statusRunProblem } from './status-handling.ts';
import { PROPERTY_RUNS, PROPERTY_SEED } from './bounds.ts';
import { checkProperty } from '../../tools/grading/property.ts';
import type { ChapterThreeAnswers, RetrySchedule } from './answer-types.ts';

export const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The response timeout of the model: a failed attempt may take this long before its delay starts. */
export const RESPONSE_TIMEOUT_SECONDS = dedupConfig.responseTimeoutSeconds;

/** 3.2's check over some jitter draws: the visible task's, or an instructor's more. */
export const retryScheduleCheck = ({ seed, runs }: { seed: number; runs: number }): Task<ChapterThreeAnswers>['check'] => (answers) => {
  const schedule = expectRetrySchedule(answers.retrySchedule());
  const retries = schedule.baseDelaysSeconds.length;
  const figures: Record<string, number> = { seed, runs, retries };
  const problem = scheduleProblem(schedule, RESPONSE_TIMEOUT_SECONDS);
  if (problem) return fail(problem, { figures });
  // Status handling, simulated on the answer's own schedule: an endpoint that redirects, one gone, one throttled.
  const statuses = statusRunProblem(simulateStatusHandling(schedule.statusHandling, schedule.baseDelaysSeconds), schedule.statusHandling);
  if (statuses) return fail(statuses, { figures });
  const promise = schedule.promiseHours * 3600;
  const h = (s: number) => `${+(s / 3600).toFixed(2)} h`;
  // The window, over random jitter draws (extremes included): no retry after the promise.
  const statement = `no retry is sent later than the ${schedule.promiseHours} h promised, even when every failed attempt waits out its ${RESPONSE_TIMEOUT_SECONDS} s timeout`;
  const details = checkProperty(drawsArbitrary(retries), (x) => latestRetryTimes(jittered(schedule, x), RESPONSE_TIMEOUT_SECONDS).at(-1)! <= promise, { seed, numRuns: runs });
  if (details.failed) {
    const delays = jittered(schedule, details.counterexample![0]);
    const [times, latest] = [retryTimes(delays), latestRetryTimes(delays, RESPONSE_TIMEOUT_SECONDS)];
    const trace = delays.map((d, i) => `retry ${i + 1}: wait ${d} s, sent at ${h(times[i]!)} (${h(latest[i]!)} if every attempt before it timed out)`).join('\n');
    return fail(`property “${statement}” fails for the jittered delays [${delays.join(', ')}] s (seed ${seed})`, { trace, traceTitle: 'the jitter draw that breaks it', figures });
  }
  // The model at the largest jitter (every draw the same, so base delays that never shrink stay
  // so), with the promise as its deadline: the extreme where an attempt can come latest. It
  // checks delays never shrink and no attempt after the promise, with timeouts, errors and
  // lost acknowledgements in between.
  const { exploration, violations } = exploreConfig(modelConfigFor(schedule, 1));
  figures.statesAtMaxJitter = exploration.figures.states;
  const bad = violations.find((v) => v.id === noAttemptAfterDeadline.id || v.id === delaysNeverShrink.id);
  if (bad) return fail(`the model, at the largest jitter, violates ${bad.id}: ${bad.statement}`, { trace: bad.trace, figures });
  const last = retryTimes(schedule.baseDelaysSeconds).at(-1)!;
  const jitter = schedule.jitter === 'full' ? 'full jitter' : `±${+(schedule.jitter * 100).toFixed(2)} %`;
  return pass(
    `${retries + 1} attempts, first retry after ${schedule.baseDelaysSeconds[0]} s, last at ${h(last)} before jitter (${jitter}), within the ${schedule.promiseHours} h promised over ${runs} jitter draws (seed ${seed}); 3xx, 410 and 429 handled; the model at the largest jitter (${figures.statesAtMaxJitter} states) keeps ${noAttemptAfterDeadline.id} and ${delaysNeverShrink.id}`,
    { figures },
  );
};

export const retrySchedule: Task<ChapterThreeAnswers> = {
  id: '3.2',
  title: 'The retry schedule',
  answer: 'answers.ts: retrySchedule()',
  hint: 'How soon does a merchant that was down for one minute get its event? How long does one that was down for a day wait after it is back? When, at the largest jitter and with every attempt waiting out its timeout, is your last retry sent — and what did you promise? What is a receiver telling you with a 3xx, a 410 or a 429?',
  check: retryScheduleCheck({ seed: PROPERTY_SEED, runs: PROPERTY_RUNS }),
};

/** The model's config for a schedule: its delays at one jitter extreme (1 the largest factor, 0 the smallest), its promise as the deadline. */
export function modelConfigFor(schedule: Pick<RetrySchedule, 'baseDelaysSeconds' | 'jitter' | 'promiseHours'>, extreme: number): WebhookDeliveryConfig {
  return {
    ...dedupConfig,
    retryDelaysSeconds: jittered(schedule, schedule.baseDelaysSeconds.map(() => extreme)),
    deadlineSeconds: schedule.promiseHours * 3600,
  };
}

/** The schedule the other tasks run on: the 3.2 answer's when it has the right shape, or the scenario's. */
export function scheduleOf(answers: ChapterThreeAnswers): { delays: readonly number[]; promiseSeconds: number; source: '3.2' | 'scenario' } {
  try {
    const schedule = expectRetrySchedule(answers.retrySchedule());
    if (schedule.baseDelaysSeconds.length + 1 <= MAX_ATTEMPTS) return { delays: schedule.baseDelaysSeconds, promiseSeconds: schedule.promiseHours * 3600, source: '3.2' };
  } catch {
    // Unanswered, throwing or misshapen: 3.2 reports it; this task runs on the scenario's schedule.
  }
  return { delays: dedupConfig.retryDelaysSeconds, promiseSeconds: dedupConfig.deadlineSeconds, source: 'scenario' };
}
