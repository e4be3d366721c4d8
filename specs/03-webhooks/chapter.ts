/**
 * Chapter 3's four tasks, each with the one check that serves both `npm test` (against the
 * reference answers) and the grader (against a student's).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { fail, pass, type Chapter, type CheckResult, type Task, importAnswersModule, isNotAnswered } from '../../tools/grading/task.ts';
import { describeError } from '../../tools/grading/run-task.ts';
import { describedAs, expectShape, isBoolean, isInteger, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { scenarioConfig, type WebhookDeliveryConfig } from '../../models/webhook-delivery/machine.ts';
import { businessView, emptyMerchantState, exactlyOnce, sameBusinessState, type MerchantState, type WebhookEvent } from '../../models/webhook-delivery/merchant.ts';
import { delaysNeverShrink, DEADLINE_SECONDS, duplicateChangesNothing, endsDeliveredOrDeadLettered, noAttemptAfterDeadline, replayPossible } from './invariants.ts';
import { dedupConfig, endings, exploreConfig } from './analysis.ts';
import { fleetFigures, fleetScenario, simulateFleet, type FleetScenario } from './simulation.ts';
import { HANDLER_STEPS } from '../../models/webhook-delivery/handler-steps.ts';
import { exploreHandlerSteps } from './handler-atomicity.ts';
import { describeCase, firstWrongVerdict, showsConstantTimeComparison, verificationCases } from './verification.ts';
import type { ChapterThreeAnswers, DispatchPolicy, RetrySchedule, TerminalPolicy } from './answer-types.ts';

/** Seed and run count of the random checks; printed with every result that uses them. */
export const PROPERTY_SEED = 2026;
export const PROPERTY_RUNS = 300;

// ---------------------------------------------------------------------------------------------
// 3.1 — an idempotent handler

/** A merchant's events: per order one payment, then up to two partial refunds (`refund.created`), all distinct ids. */
export const eventsArbitrary: fc.Arbitrary<WebhookEvent[]> = fc
  .array(
    fc.record({
      amountMinor: fc.integer({ min: 100, max: 100_000 }),
      paidAt: fc.integer({ min: 0, max: 1_000 }),
      // `after` may be 0: `created` has one-second resolution, and a refund issued in the second
      // of its payment ties with it.
      refunds: fc.array(fc.record({ share: fc.integer({ min: 1, max: 50 }), after: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000 })) }), { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((orders) => {
    let n = 0;
    return orders.flatMap((order, o) => [
      { id: `evt_${++n}`, type: 'payment_intent.succeeded' as const, created: order.paidAt, orderId: `order_${o + 1}`, amountMinor: order.amountMinor },
      ...order.refunds.map((r) => ({
        id: `evt_${++n}`,
        type: 'refund.created' as const,
        created: order.paidAt + r.after,
        orderId: `order_${o + 1}`,
        amountMinor: Math.floor((order.amountMinor * r.share) / 100),
      })),
    ]);
  });

/** Each event delivered 1–3 times, in creation order. */
const duplicatedInOrder = eventsArbitrary.chain((events) =>
  fc.tuple(fc.constant(events), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: events.length, maxLength: events.length })).map(([es, copies]) => ({
    events: es,
    deliveries: [...es].sort((a, b) => a.created - b.created).flatMap((e, i) => Array.from({ length: copies[i]! }, () => e)),
  })),
);

/** Each event delivered once, in any order. */
const reordered = eventsArbitrary.chain((events) => fc.shuffledSubarray(events, { minLength: events.length }).map((deliveries) => ({ events, deliveries })));

/** Each event delivered 1–3 times, in any order. */
const duplicatedAndReordered = duplicatedInOrder.chain(({ events, deliveries }) =>
  fc.shuffledSubarray(deliveries, { minLength: deliveries.length }).map((shuffled) => ({ events, deliveries: shuffled })),
);

/**
 * Thrown when the handler changes the state or the event it was given. The answer's contract
 * is a pure function: the caller keeps the old state (to roll back a failed delivery, to compare
 * a redelivery with it), and a handler that edits it in place changes the merchant's records
 * even when its result is thrown away.
 */
export class ImpureHandler extends Error {
  override name = 'ImpureHandler';
}

/** The top-level fields of `before` that differ in `after`, named for the message. */
const changedFields = (before: object, after: object) =>
  Object.keys({ ...before, ...after }).filter((k) => !isDeepStrictEqual((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k]));

/** One call of the student's handler, on copies, checked for the shape of its result and for purity. */
function applyHandler(handler: ChapterThreeAnswers['handleWebhook'], state: MerchantState, event: WebhookEvent): MerchantState {
  const [givenState, givenEvent] = [structuredClone(state), structuredClone(event)];
  const next = handler(givenState, givenEvent);
  if (typeof next !== 'object' || next === null || typeof next.orders !== 'object' || !Array.isArray(next.processedEventIds)) {
    throw new WrongShape(`handleWebhook returned ${JSON.stringify(next)}; expected a MerchantState { processedEventIds, orders, receiptsSent } (the state given, or a new one)`);
  }
  const changed = [...changedFields(state, givenState).map((f) => `state.${f}`), ...changedFields(event, givenEvent).map((f) => `event.${f}`)];
  if (changed.length > 0) {
    throw new ImpureHandler(
      `your handleWebhook changed its input (${changed.join(', ')}) while handling ${event.id} (${event.type} of ${event.orderId}): it must be a pure function, returning a new state and leaving the state and event it was given as they were, since the caller keeps the old state (to roll back a failed delivery, to compare a redelivery with it)`,
    );
  }
  return next;
}

function processAll(handler: ChapterThreeAnswers['handleWebhook'], deliveries: readonly WebhookEvent[]): MerchantState {
  return deliveries.reduce((state, event) => applyHandler(handler, state, event), emptyMerchantState());
}

/** The model's delivery of the scenario's event, with the merchant running a given handler. */
export function handlerInModel(handler: ChapterThreeAnswers['handleWebhook']) {
  const config: WebhookDeliveryConfig = { ...dedupConfig, handler };
  const { exploration, violations } = exploreConfig(config);
  return { exploration, violation: violations.find((v) => v.id === duplicateChangesNothing.id) };
}

const couldNotRun = (message: string, extra: Omit<CheckResult, 'status' | 'message'> = {}): CheckResult => ({ status: 'error', message, ...extra });

/**
 * The first part of 3.1: the signature is checked before anything else, on the raw body. A wrong
 * verdict fails; a verifier that throws is an error (a server that crashes on a forged request
 * answers 500, and the sender retries it).
 */
function checkVerification(answers: ChapterThreeAnswers, figures: Record<string, number>): CheckResult | undefined {
  const wrong = firstWrongVerdict(answers.verifyDelivery);
  const cases = verificationCases().length;
  figures.signedDeliveries = cases;
  if (wrong) {
    const trace = describeCase(wrong.case);
    const traceTitle = 'the delivery';
    if ('threw' in wrong) {
      if (isNotAnswered(wrong.threw)) throw wrong.threw;
      return couldNotRun(`your verifyDelivery threw ${describeError(wrong.threw)} on ${wrong.case.what}: a verifier answers every request, forged or not, with true or false`, { trace, traceTitle, figures });
    }
    if ('returned' in wrong) throw new WrongShape(`verifyDelivery returned ${JSON.stringify(wrong.returned) ?? String(wrong.returned)} for ${wrong.case.what}; expected true or false`);
    return fail(`your verifyDelivery ${wrong.accepted ? 'accepts' : 'refuses'} ${wrong.case.what}`, { trace, traceTitle, figures });
  }
  const source = answers.answerSource ?? answers.verifyDelivery.toString();
  if (!showsConstantTimeComparison(source)) {
    return fail(
      'no constant-time comparison of signatures in your answers: a comparison that stops at the first differing character answers sooner the more of a forged signature is right, so a forger can time the refusals and find a valid signature one character at a time (judged from the source text of your answers’ folder)',
      { figures },
    );
  }
  return undefined;
}

/** The paths (`orders.order_1.status`, `receiptsSent`) where two plain values differ: what is wrong, not what is right. */
function differingFields(got: unknown, want: unknown, path = ''): string[] {
  if (typeof got === 'object' && got !== null && typeof want === 'object' && want !== null) {
    const keys = [...new Set([...Object.keys(got), ...Object.keys(want)])].sort();
    return keys.flatMap((k) => differingFields((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return isDeepStrictEqual(got, want) ? [] : [path || 'the state'];
}

/** The last part of 3.1: the handler's steps, explored with crashes between any two of them. */
function checkHandlerSteps(answers: ChapterThreeAnswers, figures: Record<string, number>): CheckResult | { states: number } {
  const given = answers.handlerSteps();
  if (!Array.isArray(given) || given.length === 0) throw new WrongShape(`handlerSteps() returned ${JSON.stringify(given) ?? String(given)}; expected a non-empty list of steps`);
  const unknown = given.find((step) => !HANDLER_STEPS.includes(step));
  if (unknown !== undefined) throw new WrongShape(`handlerSteps() has ${JSON.stringify(unknown)}, which is not one of ${HANDLER_STEPS.map((s) => JSON.stringify(s)).join(', ')}`);
  const steps = [...given];
  if (steps[0] !== 'verify_signature') {
    const before = steps.indexOf('verify_signature');
    return fail(
      before < 0
        ? 'handlerSteps() never checks the signature: a forged request is handled like a genuine one'
        : `handlerSteps() runs ${steps.slice(0, before).map((s) => `"${s}"`).join(', ')} before checking the signature: a forged request gets that far`,
      { figures },
    );
  }
  const { exploration, violation } = exploreHandlerSteps(steps);
  figures.handlerStepStates = exploration.figures.states;
  if (violation) {
    return fail(`your handlerSteps() breaks ${violation.id}: ${violation.statement} — see the run below`, {
      trace: violation.trace,
      traceTitle: `your steps (${steps.join(' → ')}), with the merchant's process dying and a 2xx lost`,
      figures,
    });
  }
  return { states: exploration.figures.states };
}

const deliveryList = (deliveries: readonly WebhookEvent[]) =>
  deliveries.map((e, i) => `${String(i + 1).padStart(2)}. ${e.id} ${e.type} ${e.orderId} ${e.amountMinor} created ${e.created}`).join('\n');

/**
 * A handler that throws on some stream fails with the stream up to the delivery that throws,
 * replayed once more to find it, so that the student can replay it by hand.
 */
function handlerThrew(handler: ChapterThreeAnswers['handleWebhook'], error: unknown, deliveries: readonly WebhookEvent[], figures: Record<string, number>) {
  let state = emptyMerchantState();
  let throwsAt = deliveries.length - 1;
  for (const [i, event] of deliveries.entries()) {
    try {
      state = handler(structuredClone(state), structuredClone(event));
    } catch {
      throwsAt = i;
      break;
    }
  }
  const stream = deliveries.slice(0, throwsAt + 1);
  const culprit = stream.at(-1)!;
  // An answer that throws could not run: an error, as in every chapter, not a wrong result.
  return couldNotRun(
    `your handleWebhook threw ${describeError(error)} on delivery ${throwsAt + 1} of the stream below, ${culprit.id} (${culprit.type} of ${culprit.orderId}) (seed ${PROPERTY_SEED}): events arrive in any order and more than once — a refund may come before its payment — and each must be handled without throwing`,
    { trace: `${deliveryList(stream)}   ← throws`, traceTitle: 'the deliveries, in the order they arrived (from an empty state)', figures },
  );
}

const handleWebhook: Task<ChapterThreeAnswers> = {
  id: '3.1',
  title: 'An idempotent webhook handler',
  answer: 'answers.ts: verifyDelivery() and handleWebhook()',
  hint: 'What, in a request, could only Stripe have produced, and what stops someone from sending a genuine request again tomorrow? Then: what does a redelivery have in common with the first delivery, and which of two events about one order should decide its status when they arrive in the wrong order?',
  check(answers) {
    const options = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };
    const figures: Record<string, number> = { seed: PROPERTY_SEED, runsPerProperty: PROPERTY_RUNS };
    const unverified = checkVerification(answers, figures);
    if (unverified) return unverified;
    // One call outside fast-check first, so that a stub reads as itself.
    try {
      processAll(answers.handleWebhook, [scenarioConfig.event]);
    } catch (error) {
      if (isNotAnswered(error) || error instanceof WrongShape) throw error;
      if (error instanceof ImpureHandler) return fail(error.message, { figures });
      return handlerThrew(answers.handleWebhook, error, [scenarioConfig.event], figures);
    }
    const properties: [string, fc.Arbitrary<{ events: WebhookEvent[]; deliveries: WebhookEvent[] }>][] = [
      ['redelivered events leave the state exactly-once processing leaves', duplicatedInOrder],
      ['events delivered out of order leave the state in-order processing leaves', reordered],
      ['duplicates and reorders together leave the exactly-once state', duplicatedAndReordered],
    ];
    for (const [statement, arbitrary] of properties) {
      const details = fc.check(
        fc.property(arbitrary, ({ events, deliveries }) => sameBusinessState(processAll(answers.handleWebhook, deliveries), exactlyOnce(events))),
        options,
      );
      if (details.failed) {
        if (details.errorInstance instanceof WrongShape) throw details.errorInstance;
        const [{ events, deliveries }] = details.counterexample!;
        let final: MerchantState;
        try {
          final = processAll(answers.handleWebhook, deliveries);
        } catch (error) {
          if (error instanceof WrongShape) throw error;
          if (error instanceof ImpureHandler) {
            return fail(error.message, { trace: deliveryList(deliveries), traceTitle: 'the deliveries, in the order they arrived (from an empty state)', figures });
          }
          return handlerThrew(answers.handleWebhook, error, deliveries, figures);
        }
        const got = JSON.stringify(businessView(final));
        const wrongFields = differingFields(businessView(final), businessView(exactlyOnce(events)));
        const model = statement.startsWith('redelivered') ? handlerInModel(answers.handleWebhook).violation : undefined;
        const trace = [`deliveries, in the order they arrived:\n${deliveryList(deliveries)}`, model ? `\nthe model's delivery, with your handler:\n${model.trace}` : ''].join('\n');
        return fail(`property “${statement}” fails: your handler ends with ${got}, in which ${wrongFields.join(', ')} ${wrongFields.length === 1 ? 'is' : 'are'} not what processing each event once, in the order they happened, leaves (seed ${PROPERTY_SEED})`, {
          trace,
          traceTitle: 'the delivery stream that breaks it',
          figures,
        });
      }
    }
    const { exploration, violation } = handlerInModel(answers.handleWebhook);
    figures.states = exploration.figures.states;
    if (violation) return fail(`in the model, a redelivery changes the merchant’s state twice (${duplicateChangesNothing.id})`, { trace: violation.trace, figures });
    const steps = checkHandlerSteps(answers, figures);
    if ('status' in steps) return steps;
    return pass(
      `${figures.signedDeliveries} signed deliveries (genuine, rotated, tampered, replayed, forged) told apart, compared in constant time; 3 properties hold over ${PROPERTY_RUNS} random delivery streams each (seed ${PROPERTY_SEED}); in the model (${exploration.figures.states} states, lost acks and retries included) ${duplicateChangesNothing.id} holds; the handler's steps, with crashes between any two (${steps.states} states), keep WEBHOOK-6, WEBHOOK-7 and WEBHOOK-8`,
      { figures },
    );
  },
};

// ---------------------------------------------------------------------------------------------
// 3.2 — the retry schedule

/** Attempts allowed in all, first included: a bound on the work one failing event may cause. */
export const MAX_ATTEMPTS = 25;
/** The last retry must fall on the third day: no earlier than this after the event. */
export const COVERAGE_SECONDS = 48 * 3600;
/**
 * The first retry comes within this: most failures are brief (a deploy, a restart), and a
 * merchant down for a minute should get its event minutes later, not hours.
 */
export const FIRST_RETRY_WITHIN_SECONDS = 10 * 60;
/**
 * Each base delay is at least this many times the one before, until an optional cap: below it
 * the schedule is close to fixed intervals, and a long outage costs a retry every few minutes
 * for hours. At most MAX_GROWTH times: a larger step is a jump, not a backoff, and leaves the
 * endpoint unvisited for a long stretch right after the quick early retries.
 */
export const MIN_GROWTH = 1.5;
export const MAX_GROWTH = 10;
/**
 * Retries at least: with fewer, the late gaps of a schedule that covers two days are close to a
 * day each, and a merchant that recovers just after one waits that long for its event.
 */
export const MIN_RETRIES = 5;

/**
 * Jitter spreads the last retry's time by a factor (1 + j)/(1 − j) between the smallest and the
 * largest draw, and the third day allows 72/48 = 1.5: so j must stay below 0.2. Strictly below:
 * each failed attempt may also wait out its response timeout before its delay starts, and
 * those waits count toward the 72 h.
 */
export const MAX_JITTER = (DEADLINE_SECONDS - COVERAGE_SECONDS) / (DEADLINE_SECONDS + COVERAGE_SECONDS);

/** The response timeout of the model: a failed attempt may take this long before its delay starts. */
export const RESPONSE_TIMEOUT_SECONDS = dedupConfig.responseTimeoutSeconds;

/** The delays after jitter, one draw in [−1, 1] per delay, rounded to whole seconds. */
export const jittered = (schedule: RetrySchedule, draws: readonly number[]) =>
  schedule.baseDelaysSeconds.map((d, i) => Math.round(d * (1 + schedule.jitterFraction * draws[i]!)));

/** When each retry is sent, in seconds after the event, when every failed attempt is answered at once (a 500). */
export const retryTimes = (delays: readonly number[]) => delays.map((_, i) => delays.slice(0, i + 1).reduce((a, b) => a + b, 0));

/** When each retry is sent when every attempt before it waited out its timeout: the latest it can be. */
export const latestRetryTimes = (delays: readonly number[]) => retryTimes(delays).map((t, i) => t + (i + 1) * RESPONSE_TIMEOUT_SECONDS);

/**
 * The largest jitter with which some schedule of `retries` retries still lands its last retry in
 * 48–72 h at both extremes: (1 + j)/(1 − j) may not exceed (72 h − the timeouts)/48 h.
 */
export function largestJitterFor(retries: number): number {
  const ratio = (DEADLINE_SECONDS - retries * RESPONSE_TIMEOUT_SECONDS) / COVERAGE_SECONDS;
  return (ratio - 1) / (ratio + 1);
}

const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * The first base delay shorter than the one before it, or undefined. The rule is on the base
 * delays, not on the jittered ones: a backoff never hurries back, but a capped schedule (the
 * largest delay repeated, as truncated exponential backoff does) is a sound design, and at its
 * cap jitter makes consecutive delays differ both ways, around the same base.
 */
export function firstShrinkingDelay(baseDelays: readonly number[]): number | undefined {
  const i = baseDelays.findIndex((d, k) => k > 0 && d < baseDelays[k - 1]!);
  return i < 0 ? undefined : i;
}

/**
 * What keeps a schedule from being exponential backoff, in words, or undefined. Read as: grow by
 * MIN_GROWTH–MAX_GROWTH at each step, then (optionally) repeat the last delay, the cap, to the
 * end. The delays are numbered as retries (the first delay is the one before retry 1).
 */
export function notExponential(baseDelays: readonly number[]): string | undefined {
  const [first] = baseDelays;
  if (first! > FIRST_RETRY_WITHIN_SECONDS) {
    return `the first retry waits ${first} s, more than ${FIRST_RETRY_WITHIN_SECONDS / 60} min: most outages are brief, and a merchant back after a minute should get its event soon. Start the backoff within ${FIRST_RETRY_WITHIN_SECONDS / 60} min`;
  }
  if (baseDelays.length < MIN_RETRIES) {
    return `${baseDelays.length} retr${baseDelays.length === 1 ? 'y' : 'ies'}: fewer than ${MIN_RETRIES}, so the gaps between the late ones are close to a day each, and a merchant that recovers just after one waits that long. Use at least ${MIN_RETRIES}`;
  }
  const capFrom = baseDelays.findIndex((d, k) => k > 0 && d === baseDelays[k - 1]);
  for (let k = 1; k < baseDelays.length; k++) {
    const [before, after] = [baseDelays[k - 1]!, baseDelays[k]!];
    const factor = after / before;
    if (capFrom >= 0 && k >= capFrom) {
      if (after !== before) {
        return `the delay before retry ${k + 1} (${after} s) differs from the cap (${before} s) reached at retry ${capFrom + 1}: a capped backoff repeats its largest delay to the end`;
      }
      continue;
    }
    if (factor < MIN_GROWTH) {
      return `the delay before retry ${k + 1} (${after} s) is only ×${+factor.toFixed(2)} the one before (${before} s): exponential backoff grows each delay by at least ×${MIN_GROWTH} until an optional cap, so that a long outage is not retried at almost fixed intervals`;
    }
    if (factor > MAX_GROWTH) {
      return `the delay before retry ${k + 1} (${after} s) is ×${+factor.toFixed(1)} the one before (${before} s): a step above ×${MAX_GROWTH} is a jump, not a backoff, and leaves the endpoint unvisited for a long stretch. Grow by at most ×${MAX_GROWTH} a step`;
    }
  }
  return undefined;
}

const retrySchedule: Task<ChapterThreeAnswers> = {
  id: '3.2',
  title: 'The retry schedule',
  answer: 'answers.ts: retrySchedule()',
  hint: `Exponential backoff: the first retry within ${FIRST_RETRY_WITHIN_SECONDS / 60} min, each delay ×${MIN_GROWTH} to ×${MAX_GROWTH} the one before (then, optionally, a cap repeated), at least ${MIN_RETRIES} retries, so that the last retry lands on the third day and never after 72 h — at the largest jitter too, timeouts included. Jitter below ±${Math.round(MAX_JITTER * 100)} %.`,
  check(answers) {
    const schedule = expectShape('3.2 retrySchedule()', answers.retrySchedule(), {
      baseDelaysSeconds: describedAs((v) => Array.isArray(v) && v.length > 0 && v.every(isPositiveNumber), 'a non-empty list of delays in seconds, each > 0'),
      jitterFraction: describedAs((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1, 'a fraction from 0 to 1 (0.1 for ±10 %), not a percentage'),
      jitterDescription: describedAs((v) => typeof v === 'string', 'a sentence (a string)'),
    });
    const retries = schedule.baseDelaysSeconds.length;
    const figures: Record<string, number> = { seed: PROPERTY_SEED, runs: PROPERTY_RUNS, retries };
    const attempts = retries + 1;
    const jitter = schedule.jitterFraction;
    if (attempts > MAX_ATTEMPTS) return fail(`${attempts} attempts in all: more than ${MAX_ATTEMPTS}, too much work for one failing event`, { figures });
    if (jitter === 0) return fail('no jitter: events that failed together (an endpoint that was down) would all be retried at the same instant', { figures });
    // Said directly rather than found by a property: no schedule lands in 48–72 h at both
    // extremes of a jitter this wide.
    const largest = largestJitterFor(retries);
    if (jitter >= largest) {
      const spread = (1 + jitter) / (1 - jitter);
      return fail(
        `jitter of ±${+(jitter * 100).toFixed(2)} % is too wide for the third day: from the smallest draw to the largest it stretches the last retry's time ×${spread.toFixed(2)}, but 48–72 h allows ×1.5, less the ${retries} × ${RESPONSE_TIMEOUT_SECONDS} s that failed attempts may wait for their timeout. No schedule lands in the window at both extremes: keep jitter below ±${Math.floor(largest * 1000) / 10} %`,
        { figures },
      );
    }
    const shrinks = firstShrinkingDelay(schedule.baseDelaysSeconds);
    if (shrinks !== undefined) {
      const [before, after] = [schedule.baseDelaysSeconds[shrinks - 1]!, schedule.baseDelaysSeconds[shrinks]!];
      return fail(
        `the delay before retry ${shrinks + 1} (${after} s) is shorter than the one before it (${before} s): a backoff never hurries back to a failing endpoint. Make each base delay at least the one before (repeating the largest, as a cap, is fine)`,
        { figures },
      );
    }
    const notBackoff = notExponential(schedule.baseDelaysSeconds);
    if (notBackoff) return fail(`not exponential backoff: ${notBackoff}`, { figures });

    const draws = fc.array(fc.oneof(fc.constant(-1), fc.constant(1), fc.double({ min: -1, max: 1, noNaN: true })), {
      minLength: retries,
      maxLength: retries,
    });
    const h = (s: number) => `${+(s / 3600).toFixed(2)} h`;
    const properties: [string, (delays: number[]) => boolean][] = [
      [`no retry is sent more than 72 h after the event, even when every failed attempt waits out its ${RESPONSE_TIMEOUT_SECONDS} s timeout`, (d) => latestRetryTimes(d).at(-1)! <= DEADLINE_SECONDS],
      ['the last retry falls on the third day (48–72 h after the event)', (d) => retryTimes(d).at(-1)! >= COVERAGE_SECONDS],
    ];
    for (const [statement, holds] of properties) {
      const details = fc.check(fc.property(draws, (x) => holds(jittered(schedule, x))), { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS });
      if (details.failed) {
        const delays = jittered(schedule, details.counterexample![0]);
        const [times, latest] = [retryTimes(delays), latestRetryTimes(delays)];
        const trace = delays.map((d, i) => `retry ${i + 1}: wait ${d} s, sent at ${h(times[i]!)} (${h(latest[i]!)} if every attempt before it timed out)`).join('\n');
        return fail(`property “${statement}” fails for the jittered delays [${delays.join(', ')}] s (seed ${PROPERTY_SEED})`, {
          trace,
          traceTitle: 'the jitter draw that breaks it',
          figures,
        });
      }
    }
    // The model at the two extremes of the jitter (every draw the same, so base delays that never
    // shrink stay so): delays never shrink, no attempt past 72 h,
    // with timeouts, errors and lost acknowledgements in between.
    for (const extreme of [1, -1]) {
      const config = { ...dedupConfig, retryDelaysSeconds: jittered(schedule, schedule.baseDelaysSeconds.map(() => extreme)) };
      const { exploration, violations } = exploreConfig(config);
      figures[extreme > 0 ? 'statesAtMaxJitter' : 'statesAtMinJitter'] = exploration.figures.states;
      const bad = violations.find((v) => v.id === noAttemptAfterDeadline.id || v.id === delaysNeverShrink.id);
      if (bad) return fail(`the model, at ${extreme > 0 ? 'maximum' : 'minimum'} jitter, violates ${bad.id}: ${bad.statement}`, { trace: bad.trace, figures });
    }
    const last = retryTimes(schedule.baseDelaysSeconds).at(-1)!;
    return pass(
      `${attempts} attempts, first retry after ${schedule.baseDelaysSeconds[0]} s, last at ${h(last)} (±${jitter * 100} %); exponential backoff (×${MIN_GROWTH}–×${MAX_GROWTH} a step, then an optional cap); 2 properties hold over ${PROPERTY_RUNS} jitter draws (seed ${PROPERTY_SEED}); the model at both jitter extremes (${figures.statesAtMaxJitter} + ${figures.statesAtMinJitter} states) keeps ${noAttemptAfterDeadline.id} and ${delaysNeverShrink.id}`,
      { figures },
    );
  },
};

// ---------------------------------------------------------------------------------------------
// 3.3 — slow merchants

/** Healthy merchants answer within 0.8 s; their events must be delivered within this, at p99. */
export const HEALTHY_P99_BOUND_SECONDS = 2;

export function checkDispatchPolicy(policy: DispatchPolicy, scenario: FleetScenario = fleetScenario) {
  const figures = fleetFigures(simulateFleet(scenario, policy));
  const problems: string[] = [];
  if (!(figures.healthy.p99 <= HEALTHY_P99_BOUND_SECONDS)) {
    problems.push(`healthy merchants’ p99 delivery latency is ${figures.healthy.p99.toFixed(2)} s, above ${HEALTHY_P99_BOUND_SECONDS} s`);
  }
  const abandoned = figures.slow.events - figures.slow.delivered;
  if (abandoned > 0) problems.push(`${abandoned} of ${figures.slow.events} events of slow merchants (which do answer, in up to ${scenario.slowLatencySeconds[1]} s) were never delivered`);
  return { figures, problems };
}

const dispatchPolicy: Task<ChapterThreeAnswers> = {
  id: '3.3',
  title: 'Slow merchants',
  answer: 'answers.ts: dispatchPolicy()',
  hint: 'In one shared queue, a slow endpoint’s requests hold the workers for seconds each, and everyone queues behind them. Give each endpoint its own queue, cap what one endpoint may have in flight, and keep slow endpoints to a share of the workers. Cutting the timeout alone abandons merchants that are slow but working.',
  check(answers) {
    const raw = answers.dispatchPolicy();
    const policy = expectShape('3.3 dispatchPolicy()', raw, {
      queueing: isOneOf('shared_fifo', 'per_endpoint'),
      timeoutSeconds: describedAs((v) => isPositiveNumber(v) && v <= 600, 'a number of seconds above 0, at most 600'),
    });
    if (policy.queueing === 'per_endpoint') {
      expectShape('3.3 dispatchPolicy()', policy, {
        maxInFlightPerEndpoint: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'),
        slowLane: describedAs((v) => v === null || (typeof v === 'object' && !Array.isArray(v)), 'null, or { slowAfterSeconds, workerShare }'),
      });
      if (policy.slowLane !== null) {
        expectShape('3.3 dispatchPolicy()', policy, {
          slowLane: {
            slowAfterSeconds: describedAs(isPositiveNumber, 'a number of seconds > 0'),
            workerShare: describedAs((v) => isPositiveNumber(v) && v < 1, 'a fraction of the workers above 0 and below 1 (0.25 for a quarter), not a percentage'),
          },
        });
      }
    }
    const { figures, problems } = checkDispatchPolicy(policy);
    const s = fleetScenario;
    const numbers = {
      merchants: s.merchants,
      events: figures.events,
      seed: s.seed,
      healthyP99Ms: Math.round(figures.healthy.p99 * 1000),
      slowDelivered: figures.slow.delivered,
    };
    if (problems.length > 0) return fail(`${problems.join('; ')} (${s.merchants} merchants, ${figures.events} events, seed ${s.seed})`, { figures: numbers });
    return pass(
      `${s.merchants} merchants, ${figures.events} events (seed ${s.seed}): healthy merchants’ p99 ${figures.healthy.p99.toFixed(2)} s ≤ ${HEALTHY_P99_BOUND_SECONDS} s; every slow merchant’s event delivered`,
      { figures: numbers },
    );
  },
};

// ---------------------------------------------------------------------------------------------
// 3.4 — after 72 hours

/** Each field of the terminal policy, when wrong: why, in the merchant's terms, and the invariant it breaks. */
const terminalPolicyMistakes: { wrong: (p: TerminalPolicy) => boolean; why: string; invariant: string }[] = [
  {
    wrong: (p) => p.event === 'discard',
    why: '`event` is "discard": after 72 h the event is thrown away, and neither Stripe nor the merchant can ever deliver it; keep it ("dead_letter")',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.disableEndpoint,
    why: '`disableEndpoint` is false: the endpoint stays on after three days of failures, so every new event goes on to the same broken server and fails in turn; disable it until the merchant fixes it',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.notifyMerchant,
    why: '`notifyMerchant` is false: nobody tells the merchant its endpoint failed, so nobody fixes it or replays the events; notify them',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.allowReplay,
    why: '`allowReplay` is false: a dead-lettered event can never be delivered, even once the merchant’s server is fixed; allow replays',
    invariant: replayPossible.id,
  },
];

const terminalPolicy: Task<ChapterThreeAnswers> = {
  id: '3.4',
  title: 'After 72 hours',
  answer: 'answers.ts: terminalPolicy()',
  hint: 'An event that could not be delivered in three days must not vanish: keep it, stop hammering the endpoint, tell the merchant, and let them replay it once their server is fixed.',
  check(answers) {
    const policy = expectShape('3.4 terminalPolicy()', answers.terminalPolicy(), {
      event: isOneOf('dead_letter', 'discard'),
      disableEndpoint: isBoolean,
      notifyMerchant: isBoolean,
      allowReplay: isBoolean,
    });
    const { exploration, violations } = exploreConfig({ ...dedupConfig, terminalPolicy: { ...policy } });
    const figures = { states: exploration.figures.states, finishedRuns: exploration.figures.terminal };
    const violated = new Set(violations.map((v) => v.id).filter((id) => id === endsDeliveredOrDeadLettered.id || id === replayPossible.id));
    if (violated.size > 0) {
      const causes = terminalPolicyMistakes.filter((m) => violated.has(m.invariant) && m.wrong(policy)).map((m) => `${m.why} (${m.invariant})`);
      // The policy applies once the schedule runs out, whatever its length: with no retries at
      // all, the same violation shows in a few steps instead of nine attempts.
      const short = exploreConfig({ ...dedupConfig, retryDelaysSeconds: [], terminalPolicy: { ...policy } }).violations.find((v) => violated.has(v.id));
      const full = violations.find((v) => violated.has(v.id))!;
      return fail(causes.length > 0 ? causes.join('; ') : `${full.id} fails: ${full.statement}`, {
        trace: (short ?? full).trace,
        traceTitle: short ? 'what the model does, shortened: with no retries, the policy applies after the first failed attempt (with your schedule, after the last)' : undefined,
        figures,
      });
    }
    const ends = Object.entries(endings(exploration)).map(([status, n]) => `${n} ${status.replace('_', '-')}`).join(', ');
    return pass(`in ${exploration.figures.states} states, every run ends delivered or dead-lettered and notified (${ends}), and a replay can deliver from every dead-lettered state`, { figures });
  },
};

/**
 * The answers module, and the source text of the `.ts` files beside it (plain data, so that it
 * travels with the answers wherever they run): a helper the answers import from a sibling file
 * is read too.
 */
export async function loadWithSource(chapterDir: string): Promise<ChapterThreeAnswers> {
  const module = await importAnswersModule<ChapterThreeAnswers>(chapterDir);
  const files = readdirSync(chapterDir).filter((name) => name.endsWith('.ts')).sort();
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
