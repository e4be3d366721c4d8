/**
 * Task 3.2: a retry schedule judged by the properties a sound one has, against the window the
 * student promises, not against a schedule of the key's. Published designs pass: the Standard
 * Webhooks spec's example schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h,
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
 * with ±50 % or full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter",
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), as well as the
 * key's ×3 from one minute.
 */
import fc from 'fast-check';
import { WrongShape, describedAs, expectShape, isOneOf } from '../../tools/grading/shape.ts';
import type { RetrySchedule } from './answer-types.ts';
import { webhookScenario } from '../../models/webhook-delivery/scenario.ts';
import { memoByValue } from '../../tools/explore/memo.ts';

/** Attempts allowed in all, first included: a bound on the work one failing event may cause. */
export const MAX_ATTEMPTS = webhookScenario.maxAttempts;
/** Retries at least: with fewer, the late gaps of a schedule that spans days are close to a day each. */
export const MIN_RETRIES = webhookScenario.minRetries;
/**
 * The first retry comes within this, at the largest jitter: most failures are brief (a deploy,
 * a restart), and a merchant down for a minute should get its event minutes later, not hours.
 */
export const FIRST_RETRY_WITHIN_SECONDS = webhookScenario.firstRetryWithinSeconds;
/** Backoff: the largest base delay is at least this many times the first (fixed intervals are not backoff). */
export const MIN_OVERALL_GROWTH = webhookScenario.minOverallGrowth;
/**
 * The promise spans at least a day: the Standard Webhooks spec recommends a schedule spanning
 * multiple days; a promise shorter than a night leaves a merchant down overnight with its
 * events given up. At most 30 days, the age of the events Stripe's Events API lists.
 */
export const MIN_PROMISE_HOURS = webhookScenario.minPromiseHours;
export const MAX_PROMISE_HOURS = 30 * 24;
/** The schedule covers its promise: its last retry comes, before jitter, no earlier than this share of it. */
export const MIN_COVERAGE = webhookScenario.minCoveragePercent / 100;

/** The base delays as the jitter can make them: each multiplied by a factor drawn from this range. */
export function jitterRange(jitter: RetrySchedule['jitter']): [number, number] {
  return jitter === 'full' ? [0, 1] : [1 - jitter, 1 + jitter];
}

/** The delays after jitter, one draw in [0, 1] per delay (0 the smallest factor, 1 the largest), rounded to whole seconds. */
export const jittered = (schedule: Pick<RetrySchedule, 'baseDelaysSeconds' | 'jitter'>, draws: readonly number[]) => {
  const [low, high] = jitterRange(schedule.jitter);
  return schedule.baseDelaysSeconds.map((d, i) => Math.round(d * (low + (high - low) * draws[i]!)));
};

/** When each retry is sent, in seconds after the event, when every failed attempt is answered at once. */
export const retryTimes = (delays: readonly number[]) => delays.map((_, i) => delays.slice(0, i + 1).reduce((a, b) => a + b, 0));

/** When each retry is sent when every attempt before it waited out its timeout: the latest it can be. */
export const latestRetryTimes = (delays: readonly number[], timeoutSeconds: number) => retryTimes(delays).map((t, i) => t + (i + 1) * timeoutSeconds);

const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The answer's shape, checked field by field (WrongShape names the field). */
export function expectRetrySchedule(value: unknown): RetrySchedule {
  const schedule = expectShape('3.2 retrySchedule()', value as RetrySchedule, {
    baseDelaysSeconds: describedAs((v) => Array.isArray(v) && v.length > 0 && v.every(isPositiveNumber), 'a non-empty list of delays in seconds, each > 0'),
    jitter: describedAs((v) => v === 'full' || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1), '"full", or a fraction from 0 to below 1 (0.1 for ±10 %), not a percentage'),
    promiseHours: describedAs((v) => isPositiveNumber(v) && v <= MAX_PROMISE_HOURS, `a number of hours above 0, at most ${MAX_PROMISE_HOURS}`),
    jitterDescription: describedAs((v) => typeof v === 'string', 'a sentence (a string)'),
    statusHandling: {
      redirect: isOneOf('failure', 'follow', 'success'),
      gone: isOneOf('disable_endpoint', 'stop_this_event', 'retry'),
      tooManyRequests: isOneOf('wait_retry_after', 'retry_on_schedule', 'give_up'),
    },
  });
  if (schedule.baseDelaysSeconds.length + 1 > 10_000) throw new WrongShape('3.2 retrySchedule().baseDelaysSeconds is far too long');
  return schedule;
}

/**
 * What keeps a schedule from being a sound backoff for its promise, in words, or undefined. The
 * window checks use the largest jitter and every failed attempt waiting out its timeout.
 */
export function scheduleProblem(schedule: RetrySchedule, timeoutSeconds: number): string | undefined {
  const delays = schedule.baseDelaysSeconds;
  const retries = delays.length;
  const [, high] = jitterRange(schedule.jitter);
  const promise = schedule.promiseHours * 3600;
  const h = (s: number) => `${+(s / 3600).toFixed(2)} h`;
  if (retries + 1 > MAX_ATTEMPTS) return `${retries + 1} attempts in all: more than ${MAX_ATTEMPTS}, too much work for one failing event`;
  if (retries < MIN_RETRIES) {
    return `${retries} retr${retries === 1 ? 'y' : 'ies'}: fewer than ${MIN_RETRIES}, so the gaps between the late ones are long, and a merchant that recovers just after one waits that long`;
  }
  if (schedule.jitter === 0) return 'no jitter: events that failed together (an endpoint that was down) are all retried at the same instant';
  if (schedule.promiseHours < MIN_PROMISE_HOURS) {
    return `a promise of ${schedule.promiseHours} h: shorter than a day, so a merchant down overnight has its events given up before it is back`;
  }
  if (delays[0]! * high > FIRST_RETRY_WITHIN_SECONDS) {
    return `the first retry can wait ${Math.round(delays[0]! * high)} s, more than ${FIRST_RETRY_WITHIN_SECONDS / 60} min: most outages are brief, and a merchant back after a minute waits that long for its event`;
  }
  const shrinks = delays.findIndex((d, k) => k > 0 && d < delays[k - 1]!);
  if (shrinks > 0) {
    return `the delay before retry ${shrinks + 1} (${delays[shrinks]} s) is shorter than the one before it (${delays[shrinks - 1]} s): a backoff never hurries back to a failing endpoint`;
  }
  const largest = Math.max(...delays);
  if (largest < MIN_OVERALL_GROWTH * delays[0]!) {
    return `the largest delay (${largest} s) is less than ×${MIN_OVERALL_GROWTH} the first (${delays[0]} s): close to fixed intervals, so a long outage is retried at the same pace from start to end`;
  }
  const latest = latestRetryTimes(delays.map((d) => d * high), timeoutSeconds).at(-1)!;
  if (latest > promise) {
    return `the last retry can be sent ${h(latest)} after the event (largest jitter, every failed attempt waiting out its ${timeoutSeconds} s timeout), after the ${schedule.promiseHours} h you promise`;
  }
  const nominal = retryTimes(delays).at(-1)!;
  if (nominal < MIN_COVERAGE * promise) {
    return `the last retry is sent ${h(nominal)} after the event before jitter, under half of the ${schedule.promiseHours} h you promise: the schedule gives up long before the window it announces`;
  }
  return undefined;
}

/**
 * The jitter draws of the property: the extremes, and anything between. One arbitrary per
 * length, so that its draws are made once and put to every schedule of that length.
 */
export const drawsArbitrary = memoByValue((retries: number) =>
  fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: retries, maxLength: retries }),
);
