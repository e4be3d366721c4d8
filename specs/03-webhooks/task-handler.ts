/**
 * Task 3.1: an idempotent handler. The signature verified first (valid, tampered, replayed and
 * rotated-secret deliveries), the handler over random delivery streams (redelivered, reordered,
 * both) against exactly-once processing, the handler in the delivery model, then the handler's
 * steps with the merchant's process dying between any two.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { fail, pass, type CheckResult, type Task, isNotAnswered } from '../../tools/grading/task.ts';
import { describeError } from '../../tools/grading/run-task.ts';
import { WrongShape } from '../../tools/grading/shape.ts';
import { handOver } from '../../tools/grading/handed-over.ts';
import { checkProperty } from '../../tools/grading/property.ts';
import { scenarioConfig, type WebhookDeliveryConfig } from '../../models/webhook-delivery/machine.ts';
import { businessView, emptyMerchantState, exactlyOnce, sameBusinessState, type MerchantState, type WebhookEvent } from '../../models/webhook-delivery/merchant.ts';
import { HANDLER_STEPS } from '../../models/webhook-delivery/handler-steps.ts';
import { duplicateChangesNothing } from './invariants.ts';
import { dedupConfig, exploreConfig } from './analysis.ts';
import { exploreHandlerSteps } from './handler-atomicity.ts';
import { describeCase, firstWrongVerdict, showsConstantTimeComparison, verificationCases } from './verification.ts';
import { PROPERTY_RUNS, PROPERTY_SEED } from './bounds.ts';
import type { ChapterThreeAnswers } from './answer-types.ts';

/** How hard 3.1's random delivery streams press: seed, runs per property, orders and refunds per stream. */
export interface HandlerBounds {
  seed: number;
  runs: number;
  maxOrders: number;
  maxRefundsPerOrder: number;
}

export const visibleHandlerBounds: HandlerBounds = { seed: PROPERTY_SEED, runs: PROPERTY_RUNS, maxOrders: 4, maxRefundsPerOrder: 2 };

/** A merchant's events: per order one payment, then partial refunds (`refund.created` and `charge.refunded` each), all distinct ids. */
export const eventsArbitraryOf = ({ maxOrders, maxRefundsPerOrder }: Pick<HandlerBounds, 'maxOrders' | 'maxRefundsPerOrder'>): fc.Arbitrary<WebhookEvent[]> => fc
  .array(
    fc.record({
      amountMinor: fc.integer({ min: 100, max: 100_000 }),
      paidAt: fc.integer({ min: 0, max: 1_000 }),
      // `after` may be 0: `created` has one-second resolution, and a refund issued in the second
      // of its payment ties with it.
      refunds: fc.array(fc.record({ share: fc.integer({ min: 1, max: 50 }), after: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000 })) }), { maxLength: maxRefundsPerOrder }),
    }),
    { minLength: 1, maxLength: maxOrders },
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

export const eventsArbitrary = eventsArbitraryOf(visibleHandlerBounds);

type Streams = fc.Arbitrary<{ events: WebhookEvent[]; deliveries: WebhookEvent[] }>;

/** Each event delivered 1–3 times, in creation order. */
const duplicatedInOrder = (eventsArbitrary: fc.Arbitrary<WebhookEvent[]>): Streams => eventsArbitrary.chain((events) =>
  fc.tuple(fc.constant(events), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: events.length, maxLength: events.length })).map(([es, copies]) => ({
    events: es,
    deliveries: [...es].sort((a, b) => a.created - b.created).flatMap((e, i) => Array.from({ length: copies[i]! }, () => e)),
  })),
);

/** Each event delivered once, in any order. */
const reordered = (eventsArbitrary: fc.Arbitrary<WebhookEvent[]>): Streams => eventsArbitrary.chain((events) => fc.shuffledSubarray(events, { minLength: events.length }).map((deliveries) => ({ events, deliveries })));

/** Each event delivered 1–3 times, in any order. */
const duplicatedAndReordered = (eventsArbitrary: fc.Arbitrary<WebhookEvent[]>): Streams => duplicatedInOrder(eventsArbitrary).chain(({ events, deliveries }) =>
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

/** The top-level fields whose JSON differs between two values, named for the message (or the order of the fields, when only it moved). */
function changedFields(name: string, before: object, after: object): string[] {
  if (jsonOf(before) === jsonOf(after)) return [];
  const fields = Object.keys({ ...before, ...after }).filter((k) => jsonOf((before as Record<string, unknown>)[k]) !== jsonOf((after as Record<string, unknown>)[k]));
  return fields.length > 0 ? fields.map((f) => `${name}.${f}`) : [`the order of ${name}'s fields`];
}

/** JSON of a value, or undefined when it cannot be written (an answer made it cyclic). */
const jsonOf = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
};

/**
 * One call of the student's handler, checked for the shape of its result and for purity. The
 * handler is given what its sandbox gives it, in-process too: the state and event written as
 * JSON and read back, handed over (in the sandbox, what it does to them is done to them here),
 * so it is never given an object it returned. A change is what JSON shows, all the sandbox can
 * show: their JSON after the call against their JSON before.
 */
function applyHandler(handler: ChapterThreeAnswers['handleWebhook'], state: MerchantState, event: WebhookEvent): MerchantState {
  const [stateJson, eventJson] = [JSON.stringify(state), JSON.stringify(event)];
  const [givenState, givenEvent] = [handOver(JSON.parse(stateJson) as MerchantState), handOver(JSON.parse(eventJson) as WebhookEvent)];
  const next = handler(givenState, givenEvent);
  if (typeof next !== 'object' || next === null || typeof next.orders !== 'object' || !Array.isArray(next.processedEventIds)) {
    throw new WrongShape(`handleWebhook returned ${JSON.stringify(next)}; expected a MerchantState { processedEventIds, orders, receiptsSent } (the state given, or a new one)`);
  }
  const changed = jsonOf(givenState) === stateJson && jsonOf(givenEvent) === eventJson ? [] : [...changedFields('state', state, givenState), ...changedFields('event', event, givenEvent)];
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
function handlerThrew(handler: ChapterThreeAnswers['handleWebhook'], error: unknown, deliveries: readonly WebhookEvent[], figures: Record<string, number>, seed: number) {
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
    `your handleWebhook threw ${describeError(error)} on delivery ${throwsAt + 1} of the stream below, ${culprit.id} (${culprit.type} of ${culprit.orderId}) (seed ${seed}): events arrive in any order and more than once — a refund may come before its payment — and each must be handled without throwing`,
    { trace: `${deliveryList(stream)}   ← throws`, traceTitle: 'the deliveries, in the order they arrived (from an empty state)', figures },
  );
}

/** 3.1's check under some bounds: the visible task's, or an instructor's larger ones. */
export const handleWebhookCheck = (bounds: HandlerBounds): Task<ChapterThreeAnswers>['check'] => {
  // Built once per check, not per answer: the streams are drawn once and put to every answer.
  const events = eventsArbitraryOf(bounds);
  const properties: [string, fc.Arbitrary<{ events: WebhookEvent[]; deliveries: WebhookEvent[] }>][] = [
    ['redelivered events leave the state exactly-once processing leaves', duplicatedInOrder(events)],
    ['events delivered out of order leave the state in-order processing leaves', reordered(events)],
    ['duplicates and reorders together leave the exactly-once state', duplicatedAndReordered(events)],
  ];
  return (answers) => checkHandler(answers, bounds, properties);
};

/** 3.1's check of one answer: the verifier, the handler on the streams, in the model, then its steps. */
function checkHandler(answers: ChapterThreeAnswers, bounds: HandlerBounds, properties: [string, fc.Arbitrary<{ events: WebhookEvent[]; deliveries: WebhookEvent[] }>][]): CheckResult {
  const { seed, runs } = bounds;
  const options = { seed, numRuns: runs };
  const figures: Record<string, number> = { seed, runsPerProperty: runs };
  const unverified = checkVerification(answers, figures);
  if (unverified) return unverified;
  // One call outside fast-check first, so that a stub reads as itself.
  try {
    processAll(answers.handleWebhook, [scenarioConfig.event]);
  } catch (error) {
    if (isNotAnswered(error) || error instanceof WrongShape) throw error;
    if (error instanceof ImpureHandler) return fail(error.message, { figures });
    return handlerThrew(answers.handleWebhook, error, [scenarioConfig.event], figures, seed);
  }
  for (const [statement, arbitrary] of properties) {
    const details = checkProperty(arbitrary, ({ events, deliveries }) => sameBusinessState(processAll(answers.handleWebhook, deliveries), exactlyOnce(events)), options);
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
        return handlerThrew(answers.handleWebhook, error, deliveries, figures, seed);
      }
      const got = JSON.stringify(businessView(final));
      const wrongFields = differingFields(businessView(final), businessView(exactlyOnce(events)));
      const model = statement.startsWith('redelivered') ? handlerInModel(answers.handleWebhook).violation : undefined;
      const trace = [`deliveries, in the order they arrived:\n${deliveryList(deliveries)}`, model ? `\nthe model's delivery, with your handler:\n${model.trace}` : ''].join('\n');
      return fail(`property “${statement}” fails: your handler ends with ${got}, in which ${wrongFields.join(', ')} ${wrongFields.length === 1 ? 'is' : 'are'} not what processing each event once, in the order they happened, leaves (seed ${seed})`, {
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
    `${figures.signedDeliveries} signed deliveries (genuine, rotated, tampered, replayed, forged) told apart, compared in constant time; 3 properties hold over ${runs} random delivery streams each (seed ${seed}); in the model (${exploration.figures.states} states, lost acks and retries included) ${duplicateChangesNothing.id} holds; the handler's steps, with crashes between any two (${steps.states} states), keep WEBHOOK-6, WEBHOOK-7 and WEBHOOK-8`,
    { figures },
  );
}

export const handleWebhook: Task<ChapterThreeAnswers> = {
  id: '3.1',
  title: 'An idempotent webhook handler',
  answer: 'answers.ts: verifyDelivery() and handleWebhook()',
  hint: 'What, in a request, could only Stripe have produced, and what stops someone from sending a genuine request again tomorrow? Then: what does a redelivery have in common with the first delivery, and which of two events about one order should decide its status when they arrive in the wrong order?',
  check: handleWebhookCheck(visibleHandlerBounds),
};
