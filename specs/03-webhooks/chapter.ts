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
import { webhookScenario } from '../../models/webhook-delivery/scenario.ts';
import { businessView, emptyMerchantState, exactlyOnce, sameBusinessState, type MerchantState, type WebhookEvent } from '../../models/webhook-delivery/merchant.ts';
import { delaysNeverShrink, DEADLINE_SECONDS, duplicateChangesNothing, endsDeliveredOrDeadLettered, noAttemptAfterDeadline, replayPossible } from './invariants.ts';
import { dedupConfig, endings, exploreConfig } from './analysis.ts';
import { fleetFigures, fleetScenario, simulateFleet, type FleetScenario } from './simulation.ts';
import { HANDLER_STEPS } from '../../models/webhook-delivery/handler-steps.ts';
import { exploreHandlerSteps } from './handler-atomicity.ts';
import { drawsArbitrary, expectRetrySchedule, MAX_ATTEMPTS, jittered, latestRetryTimes, retryTimes, scheduleProblem, statusHandlingProblem } from './retry-schedule.ts';
import { endpointHealthProblem, healthScenarios, OUTAGE_SECONDS, simulateEndpointHealth } from './endpoint-health.ts';
import { describeCase, firstWrongVerdict, showsConstantTimeComparison, verificationCases } from './verification.ts';
import type { ChapterThreeAnswers, DispatchPolicy, RetrySchedule, TerminalPolicy } from './answer-types.ts';

/** Seed and run count of the random checks; printed with every result that uses them. */
export const PROPERTY_SEED = 2026;
export const PROPERTY_RUNS = 300;

// ---------------------------------------------------------------------------------------------
// 3.1 — an idempotent handler

/** A merchant's events: per order one payment, then up to two partial refunds (`refund.created` and `charge.refunded` each), all distinct ids. */
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
    return orders.flatMap((order, o) => {
      const orderId = `order_${o + 1}`;
      let refunded = 0;
      return [
        { id: `evt_${++n}`, type: 'payment_intent.succeeded' as const, created: order.paidAt, orderId, amountMinor: order.amountMinor },
        // Each refund makes two events in the same second, as Stripe sends them: the Refund, and
        // the Charge with its running total.
        ...order.refunds.flatMap((r) => {
          const amount = Math.floor((order.amountMinor * r.share) / 100);
          refunded += amount;
          const created = order.paidAt + r.after;
          return [
            { id: `evt_${++n}`, type: 'refund.created' as const, created, orderId, amountMinor: amount },
            { id: `evt_${++n}`, type: 'charge.refunded' as const, created, orderId, amountMinor: order.amountMinor, amountRefundedMinor: refunded },
          ];
        }),
      ];
    });
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
  deliveries
    .map((e, i) => `${String(i + 1).padStart(2)}. ${e.id} ${e.type} ${e.orderId} ${e.amountMinor}${e.amountRefundedMinor === undefined ? '' : ` (amount_refunded ${e.amountRefundedMinor})`} created ${e.created}`)
    .join('\n');

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

const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The response timeout of the model: a failed attempt may take this long before its delay starts. */
export const RESPONSE_TIMEOUT_SECONDS = dedupConfig.responseTimeoutSeconds;

const retrySchedule: Task<ChapterThreeAnswers> = {
  id: '3.2',
  title: 'The retry schedule',
  answer: 'answers.ts: retrySchedule()',
  hint: 'How soon does a merchant that was down for one minute get its event? How long does one that was down for a day wait after it is back? When, at the largest jitter and with every attempt waiting out its timeout, is your last retry sent — and what did you promise? What is a receiver telling you with a 3xx, a 410 or a 429?',
  check(answers) {
    const schedule = expectRetrySchedule(answers.retrySchedule());
    const retries = schedule.baseDelaysSeconds.length;
    const figures: Record<string, number> = { seed: PROPERTY_SEED, runs: PROPERTY_RUNS, retries };
    const problem = scheduleProblem(schedule, RESPONSE_TIMEOUT_SECONDS);
    if (problem) return fail(problem, { figures });
    const statuses = statusHandlingProblem(schedule.statusHandling);
    if (statuses) return fail(statuses, { figures });
    const promise = schedule.promiseHours * 3600;
    const h = (s: number) => `${+(s / 3600).toFixed(2)} h`;
    // The window, over random jitter draws (extremes included): no retry after the promise.
    const statement = `no retry is sent later than the ${schedule.promiseHours} h promised, even when every failed attempt waits out its ${RESPONSE_TIMEOUT_SECONDS} s timeout`;
    const details = fc.check(
      fc.property(drawsArbitrary(retries), (x) => latestRetryTimes(jittered(schedule, x), RESPONSE_TIMEOUT_SECONDS).at(-1)! <= promise),
      { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
    );
    if (details.failed) {
      const delays = jittered(schedule, details.counterexample![0]);
      const [times, latest] = [retryTimes(delays), latestRetryTimes(delays, RESPONSE_TIMEOUT_SECONDS)];
      const trace = delays.map((d, i) => `retry ${i + 1}: wait ${d} s, sent at ${h(times[i]!)} (${h(latest[i]!)} if every attempt before it timed out)`).join('\n');
      return fail(`property “${statement}” fails for the jittered delays [${delays.join(', ')}] s (seed ${PROPERTY_SEED})`, { trace, traceTitle: 'the jitter draw that breaks it', figures });
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
      `${retries + 1} attempts, first retry after ${schedule.baseDelaysSeconds[0]} s, last at ${h(last)} before jitter (${jitter}), within the ${schedule.promiseHours} h promised over ${PROPERTY_RUNS} jitter draws (seed ${PROPERTY_SEED}); 3xx, 410 and 429 handled; the model at the largest jitter (${figures.statesAtMaxJitter} states) keeps ${noAttemptAfterDeadline.id} and ${delaysNeverShrink.id}`,
      { figures },
    );
  },
};

/** The model's config for a schedule: its delays at one jitter extreme (1 the largest factor, 0 the smallest), its promise as the deadline. */
export function modelConfigFor(schedule: Pick<RetrySchedule, 'baseDelaysSeconds' | 'jitter' | 'promiseHours'>, extreme: number): WebhookDeliveryConfig {
  return {
    ...dedupConfig,
    retryDelaysSeconds: jittered(schedule, schedule.baseDelaysSeconds.map(() => extreme)),
    deadlineSeconds: schedule.promiseHours * 3600,
  };
}

// ---------------------------------------------------------------------------------------------
// 3.3 — slow merchants

/** Healthy merchants answer within 0.8 s; their events must be delivered within this, at p99. */
export const HEALTHY_P99_BOUND_SECONDS = webhookScenario.healthyP99BoundSeconds;
/**
 * The dispatcher's memory for one endpoint's waiting events: a merchant that stays slow must not
 * grow a queue without bound in the dispatcher (what does not fit waits in durable storage).
 */
export const MAX_QUEUED_IN_MEMORY = webhookScenario.maxQueuedInMemory;

export function checkDispatchPolicy(policy: DispatchPolicy, scenario: FleetScenario = fleetScenario) {
  const run = simulateFleet(scenario, policy);
  const figures = fleetFigures(run);
  const problems: string[] = [];
  if (!(figures.healthy.p99 <= HEALTHY_P99_BOUND_SECONDS)) {
    problems.push(`healthy merchants’ p99 delivery latency is ${figures.healthy.p99.toFixed(2)} s, above ${HEALTHY_P99_BOUND_SECONDS} s`);
  }
  const abandoned = figures.slow.events - figures.slow.delivered;
  if (abandoned > 0) problems.push(`${abandoned} of ${figures.slow.events} events of slow merchants (which do answer, in up to ${scenario.slowLatencySeconds[1]} s) were never delivered`);
  // The large slow merchant stays slow for the whole run: its backlog is the one that grows.
  if (policy.queueing === 'per_endpoint') {
    const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;
    if (run.largestQueue.events > MAX_QUEUED_IN_MEMORY) {
      problems.push(`one merchant that stays slow has ${run.largestQueue.events} events waiting in the dispatcher’s memory at once (its events wait up to ${minutes(figures.slow.max)}), more than the ${MAX_QUEUED_IN_MEMORY} it may hold`);
    } else if (!run.backlogAlerts.has(run.largestQueue.endpoint)) {
      problems.push(`the merchant that stays slow is never told that its events wait up to ${minutes(figures.slow.max)}`);
    }
  }
  return { figures, problems, run };
}

const isShare = describedAs((v) => isPositiveNumber(v) && v < 1, 'a fraction of the workers above 0 and below 1 (0.25 for a quarter), not a percentage');

/** The policy's shape, field by field (WrongShape names the field). */
function expectDispatchPolicy(raw: unknown): DispatchPolicy {
  const where = '3.3 dispatchPolicy()';
  const policy = expectShape(where, raw as DispatchPolicy, {
    queueing: isOneOf('shared_fifo', 'per_endpoint'),
    timeoutSeconds: describedAs((v) => isPositiveNumber(v) && v <= 600, 'a number of seconds above 0, at most 600'),
  });
  if (policy.queueing !== 'per_endpoint') return policy;
  const nullOr = (fields: string) => describedAs((v) => v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v)), `null, or { ${fields} }`);
  expectShape(where, policy, {
    maxInFlightPerEndpoint: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'),
    slowLane: nullOr('slowAfterSeconds, workerShare'),
    retryLane: nullOr('workerShare'),
    backlog: nullOr('maxQueuedPerEndpoint, alertMerchant'),
  });
  if (policy.slowLane) expectShape(where, policy, { slowLane: { slowAfterSeconds: describedAs(isPositiveNumber, 'a number of seconds > 0'), workerShare: isShare } });
  if (policy.retryLane) expectShape(where, policy, { retryLane: { workerShare: isShare } });
  if (policy.backlog) {
    expectShape(where, policy, { backlog: { maxQueuedPerEndpoint: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'), alertMerchant: isBoolean } });
  }
  return policy;
}

const dispatchPolicy: Task<ChapterThreeAnswers> = {
  id: '3.3',
  title: 'Slow merchants',
  answer: 'answers.ts: dispatchPolicy()',
  hint: 'In one shared queue, how long does a worker stay busy with a request to a merchant that takes 20 s to answer, and who waits meanwhile? What keeps one endpoint, or a wave of retries to endpoints that are down, from taking every worker? And when one merchant stays slow for an hour, where do its waiting events live, and who finds out?',
  check(answers) {
    const policy = expectDispatchPolicy(answers.dispatchPolicy());
    const schedule = scheduleOf(answers);
    const scenario = { ...fleetScenario, retryDelaysSeconds: schedule.delays };
    const { figures, problems, run } = checkDispatchPolicy(policy, scenario);
    const s = scenario;
    const numbers: Record<string, number | string> = {
      merchants: s.merchants,
      events: figures.events,
      seed: s.seed,
      healthyP99Ms: Math.round(figures.healthy.p99 * 1000),
      slowDelivered: figures.slow.delivered,
      largestQueue: run.largestQueue.events,
      schedule: schedule.source,
    };
    const onSchedule = schedule.source === '3.2' ? 'retries on the 3.2 schedule' : 'retries on the scenario’s schedule (3.2 has no usable answer yet)';
    if (problems.length > 0) return fail(`${problems.join('; ')} (${s.merchants} merchants, ${figures.events} events, seed ${s.seed}, ${onSchedule})`, { figures: numbers });
    return pass(
      `${s.merchants} merchants, ${figures.events} events (seed ${s.seed}, ${onSchedule}): healthy merchants’ p99 ${figures.healthy.p99.toFixed(2)} s ≤ ${HEALTHY_P99_BOUND_SECONDS} s; every slow merchant’s event delivered; at most ${run.largestQueue.events} events of one endpoint in memory, and the merchant that stays slow alerted`,
      { figures: numbers },
    );
  },
};

// ---------------------------------------------------------------------------------------------
// 3.4 — after 72 hours

/** Each field of the event's fate, when wrong: what the merchant suffers, and the invariant it breaks. */
const terminalPolicyMistakes: { wrong: (p: TerminalPolicy) => boolean; why: string; invariant: string }[] = [
  {
    wrong: (p) => p.event === 'discard',
    why: '`event` is "discard": once its retries run out the event is gone, and nobody can deliver it any more',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.notifyMerchant,
    why: '`notifyMerchant` is false: nobody tells the merchant that its events are failing, so nobody fixes the server or replays them',
    invariant: endsDeliveredOrDeadLettered.id,
  },
  {
    wrong: (p) => !p.allowReplay,
    why: '`allowReplay` is false: a dead-lettered event can never be delivered, even once the merchant’s server is fixed',
    invariant: replayPossible.id,
  },
];

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

const terminalPolicy: Task<ChapterThreeAnswers> = {
  id: '3.4',
  title: 'After the retries',
  answer: 'answers.ts: terminalPolicy()',
  hint: 'When one event has failed for three days, what do you know about the endpoint — and what about the next event? Who can still fix the problem, how do they learn of it, and how do they find every event they missed, including those never sent?',
  check(answers) {
    const policy = expectShape('3.4 terminalPolicy()', answers.terminalPolicy(), {
      event: isOneOf('dead_letter', 'discard'),
      notifyMerchant: isBoolean,
      allowReplay: isBoolean,
      endpoint: isOneOf('disable_when_an_event_runs_out', 'disable_after_sustained_failure', 'keep_enabled'),
      warnBeforeDisabling: isBoolean,
      backstop: isOneOf('list_undelivered_events', 'none'),
    });
    const schedule = scheduleOf(answers);
    const base = { ...dedupConfig, retryDelaysSeconds: schedule.delays, deadlineSeconds: schedule.promiseSeconds };
    const { exploration, violations } = exploreConfig({ ...base, terminalPolicy: { ...policy } });
    const figures: Record<string, number | string> = { states: exploration.figures.states, finishedRuns: exploration.figures.terminal, schedule: schedule.source };
    const violated = new Set(violations.map((v) => v.id).filter((id) => id === endsDeliveredOrDeadLettered.id || id === replayPossible.id));
    if (violated.size > 0) {
      const causes = terminalPolicyMistakes.filter((m) => violated.has(m.invariant) && m.wrong(policy)).map((m) => `${m.why} (${m.invariant})`);
      // The policy applies once the schedule runs out, whatever its length: with no retries at
      // all, the same violation shows in a few steps instead of a whole schedule.
      const short = exploreConfig({ ...base, retryDelaysSeconds: [], terminalPolicy: { ...policy } }).violations.find((v) => violated.has(v.id));
      const full = violations.find((v) => violated.has(v.id))!;
      return fail(causes.length > 0 ? causes.join('; ') : `${full.id} fails: ${full.statement}`, {
        trace: (short ?? full).trace,
        traceTitle: short ? 'what the model does, shortened: with no retries, the policy applies after the first failed attempt (with your schedule, after the last)' : undefined,
        figures,
      });
    }
    // Many events, days long: the endpoint's health apart from any one event's.
    const runs = healthScenarios.map((scenario) => simulateEndpointHealth(scenario, policy, schedule.delays));
    for (const run of runs) figures[`lost (${run.scenario})`] = run.lost;
    const problem = endpointHealthProblem(runs);
    if (problem) return fail(problem, { figures });
    const ends = Object.entries(endings(exploration)).map(([status, n]) => `${n} ${status.replace('_', '-')}`).join(', ');
    const onSchedule = schedule.source === '3.2' ? 'on the 3.2 schedule' : 'on the scenario’s schedule (3.2 has no usable answer yet)';
    return pass(
      `${onSchedule}: in ${exploration.figures.states} states every run ends delivered or dead-lettered and notified (${ends}), and a replay can deliver from every dead-lettered state; over days of many events, a poison event and a ${OUTAGE_SECONDS / 86_400}-day outage lose no event (${runs.map((r) => `${r.recovered} recovered after the ${r.scenario}`).join(', ')})`,
      { figures },
    );
  },
};

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
