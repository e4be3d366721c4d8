/**
 * Chapter 1's four tasks, each with the one check that serves both `npm test` (against the
 * reference answers) and the grader (against a student's).
 */
import fc from 'fast-check';
import { fail, pass, type Chapter, type CheckResult, type Task, importAnswersModule } from '../../tools/grading/task.ts';
import { explore } from '../../tools/explore/explore.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { candidateEvents, createIdempotencyModel, scenarioConfig } from '../../models/idempotency-store/machine.ts';
import { describeState, describeStep } from '../../models/idempotency-store/describe.ts';
import { atMostOneCharge } from './invariants.ts';
import { changedBodyConfig, distinctOutcomes, doubleChargeRun, firstState, keysOffConfig, traceText, type Snapshot } from './analysis.ts';
import { describedAs, expectShape, isBoolean, isInteger, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { isStatus, isStepList } from './shapes.ts';
import type { ChapterOneAnswers, KeyedRetryAnswer, PaymentOperation, RequestOutcome } from './answer-types.ts';

/** Seed and run count of the random checks; printed with every result that uses them. */
export const PROPERTY_SEED = 2026;
export const PROPERTY_RUNS = 300;

const retryWithoutKeys: Task<ChapterOneAnswers> = {
  id: '1.1',
  answer: 'answers.ts: retryWithoutKeys()',
  title: 'Retry without idempotency keys',
  hint: 'The server already charged the card before the client timed out. Without a key, how can it tell the retry from a new payment?',
  check(answers) {
    const predicted = expectShape('1.1 retryWithoutKeys()', answers.retryWithoutKeys(), {
      charges: isInteger,
      totalChargedMinor: isInteger,
      merchantSees: isOneOf("the first attempt's charge", 'a new charge', 'an error'),
    });
    const { exploration, runs, shortest, outcomes } = distinctOutcomes(keysOffConfig);
    const figures = { states: exploration.figures.states, scenarioRuns: runs.length };
    const trace = shortest === undefined ? undefined : traceText(exploration, shortest);
    // Name what is off, not what is right: the trace shows what happens.
    const wrongFields = (Object.keys(predicted) as (keyof typeof predicted)[]).filter((field) =>
      outcomes.some(({ outcome }) => outcome[field] !== predicted[field]),
    );
    if (wrongFields.length > 0) {
      const yours = wrongFields.map((field) => `${field} = ${JSON.stringify(predicted[field])}`).join(', ');
      return fail(`${yours}: not what happens in the model's runs of the scenario; follow the trace to the end`, { trace, figures });
    }
    return pass(`the model agrees in all ${runs.length} interleavings of the scenario (${exploration.figures.states} states explored)`, { figures });
  },
};

const retryWithKey: Task<ChapterOneAnswers> = {
  id: '1.2',
  answer: 'answers.ts: retryWithKey()',
  title: 'Retry with an idempotency key',
  hint: 'The key names the operation. Look it up, compare the parameters, and decide by the key’s state: completed, still in flight, or parameters that differ.',
  check(answers) {
    const outcome = { status: isStatus, newCharges: isInteger };
    const answer = expectShape('1.2 retryWithKey()', answers.retryWithKey(), {
      steps: isStepList,
      response: { ...outcome, replayed: isBoolean },
      whileFirstInFlight: outcome,
      withChangedParameters: outcome,
    }) as KeyedRetryAnswer;
    const model = keyedRetryCases();
    const cases = [
      { field: 'steps', expected: model.afterCompletion.answer.steps, got: answer.steps, trace: model.afterCompletion.trace },
      { field: 'response', expected: model.afterCompletion.answer.response, got: answer.response, trace: model.afterCompletion.trace },
      { field: 'whileFirstInFlight', expected: model.whileFirstInFlight.answer, got: answer.whileFirstInFlight, trace: model.whileFirstInFlight.trace },
      {
        field: 'withChangedParameters',
        expected: model.withChangedParameters.answer,
        // Stripe answers 400 (an idempotency_error); the IETF Idempotency-Key draft
        // (https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-idempotency-key-header), 422. Either refuses.
        got: { ...answer.withChangedParameters, status: answer.withChangedParameters.status === 422 ? 400 : answer.withChangedParameters.status },
        trace: model.withChangedParameters.trace,
      },
    ].map((c) => ({ ...c, shown: answer[c.field as keyof KeyedRetryAnswer] }));
    const wrong = cases.filter((c) => canonical(c.expected) !== canonical(c.got));
    const figures = { states: model.afterCompletion.states, statesChangedParameters: model.withChangedParameters.states };
    if (wrong.length > 0) {
      const yours = wrong.map((c) => `${c.field} = ${JSON.stringify(c.shown)}`).join('; ');
      return fail(`${yours}: not what the model's API does; the trace shows the ${wrong[0]!.field} case`, { trace: wrong[0]!.trace, figures });
    }
    return pass(`steps and responses match the model in all three cases (${figures.states} + ${figures.statesChangedParameters} states explored)`, { figures });
  },
};

/** JSON with sorted keys, so that field order does not matter in a comparison. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

/** The model's answer to 1.2: the scenario's retry, a retry while in flight, a changed body. */
export function keyedRetryCases() {
  const scenario = distinctOutcomes(scenarioConfig);
  const after = scenario.exploration.snapshots[scenario.shortest!]!.context;
  const arrival = after.arrivals.find((a) => a.attempt === 2)!;
  const newChargesBy = (context: Snapshot['context'], attempt: number) => context.charges.filter((c) => c.attempt === attempt).length;
  const afterCompletion = {
    answer: {
      steps: arrival.steps,
      response: { status: after.client.result!.status, newCharges: newChargesBy(after, 2), replayed: after.client.result!.replayed },
    },
    states: scenario.exploration.figures.states,
    trace: traceText(scenario.exploration, scenario.shortest!),
  };
  const answeredRetry = (exploration: typeof scenario.exploration, found: (s: Snapshot) => boolean) => {
    const state = firstState(exploration, (s) => found(s) && s.context.client.result?.attempt === 2)!;
    const context = exploration.snapshots[state]!.context;
    // New charges: the most that any reachable state shows for the retry in this case.
    const newCharges = Math.max(...exploration.snapshots.filter(found).map((s) => newChargesBy(s.context, 2)));
    return { answer: { status: context.client.result!.status, newCharges } as RequestOutcome, states: exploration.figures.states, trace: traceText(exploration, state) };
  };
  const retryArrival = (s: Snapshot) => s.context.arrivals.find((a) => a.attempt === 2);
  const whileFirstInFlight = answeredRetry(scenario.exploration, (s) => retryArrival(s)?.found === 'in_flight');
  const withChangedParameters = answeredRetry(distinctOutcomes(changedBodyConfig).exploration, (s) => {
    const a = retryArrival(s);
    return a !== undefined && a.foundBody !== null && a.foundBody !== a.body;
  });
  return { afterCompletion, whileFirstInFlight, withChangedParameters };
}

/**
 * The shortest retry window a design may plan for: in-process retries end within a minute,
 * but a merchant's queued jobs and manual retries come hours later (hence Stripe's 24 h).
 */
export const MIN_RETRY_WINDOW_HOURS = 1;

const round = (x: number) => +x.toFixed(2);

/** Keys kept longer than this cost storage and outlive any sane retry policy. */
export const MAX_SENSIBLE_TTL_HOURS = 30 * 24;

const keyTtl: Task<ChapterOneAnswers> = {
  id: '1.3',
  answer: 'answers.ts: keyTtl()',
  title: 'How long to keep idempotency keys',
  hint: 'A key must outlive every retry of its operation. How long after the first attempt can your client still retry? Stripe keeps keys for at least 24 hours.',
  check(answers) {
    const { ttlHours, retryWindowHours } = expectShape('1.3 keyTtl()', answers.keyTtl(), {
      ttlHours: describedAs((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number of hours above 0'),
      retryWindowHours: describedAs((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number of hours above 0'),
    });
    const windowSeconds = Math.round(retryWindowHours * 3600);
    if (retryWindowHours < MIN_RETRY_WINDOW_HOURS) {
      return fail(
        `a retry window of ${round(retryWindowHours)} h covers only the client's own quick retries; merchants also retry from job queues and by hand, hours later: size the window (and the TTL) for those`,
      );
    }
    if (ttlHours > MAX_SENSIBLE_TTL_HOURS) {
      return fail(`${ttlHours} h keeps every key for over ${MAX_SENSIBLE_TTL_HOURS / 24} days: far beyond any retry, at the cost of storage; size it from the retry window`);
    }
    const run = doubleChargeRun(Math.round(ttlHours * 3600), windowSeconds);
    const figures = { states: run.exploration.figures.states };
    if (run.possible) {
      return fail(`with keys kept ${round(ttlHours)} h and retries for ${round(retryWindowHours)} h, the model finds a double charge (${atMostOneCharge.id} violated)`, { trace: run.trace, figures });
    }
    return pass(`no double charge in ${figures.states} states with TTL ${ttlHours} h and a ${retryWindowHours} h retry window`, { figures });
  },
};

const identity = (op: PaymentOperation) => JSON.stringify([op.merchantId, op.action, op.orderId]);

const operationArbitrary: fc.Arbitrary<PaymentOperation> = fc.record({
  merchantId: fc.stringMatching(/^acct_[A-Za-z0-9]{6,16}$/),
  orderId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.uuid()),
  action: fc.constantFrom('charge' as const, 'capture' as const, 'refund' as const),
  amountMinor: fc.integer({ min: 1, max: 10_000_000 }),
  currency: fc.constantFrom('usd', 'eur', 'gbp', 'jpy'),
  customerEmail: fc.emailAddress(),
  cardNumber: fc.stringMatching(/^4[0-9]{15}$/),
  attempt: fc.integer({ min: 1, max: 10 }),
  attemptedAt: fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
});

/** A retry of the same operation: another attempt number, another moment. */
const retryArbitrary = fc.tuple(operationArbitrary, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 86_400_000 })).map(
  ([op, attempt, laterMs]) => [op, { ...op, attempt, attemptedAt: new Date(Date.parse(op.attemptedAt) + laterMs).toISOString() }] as const,
);

/**
 * Two operations of one merchant that differ in one identifying field only: the hardest to
 * tell apart. (Stripe scopes keys to the account that sends them, so two merchants may use
 * the same key: the merchant id is optional in a key.)
 */
const siblingsArbitrary = fc
  .tuple(operationArbitrary, operationArbitrary, fc.constantFrom('orderId' as const, 'action' as const))
  .map(([a, other, field]) => ({ a, b: { ...a, [field]: other[field] }, field }));

const makeIdempotencyKey: Task<ChapterOneAnswers> = {
  id: '1.4',
  answer: 'answers.ts: makeIdempotencyKey()',
  title: 'The idempotency key format',
  hint: 'Derive the key from what identifies the operation (merchant, action, order), never from the attempt or the time, and never from card numbers or emails. Stripe accepts up to 255 characters.',
  check(answers) {
    const keyOf = (op: PaymentOperation) => {
      const key = answers.makeIdempotencyKey(op);
      if (typeof key !== 'string') throw new WrongShape(`makeIdempotencyKey returned ${typeof key}, expected a string`);
      return key;
    };
    // One call outside fast-check first, so that a stub or a throwing answer reads as itself.
    keyOf(sampleOperation);
    const options = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };
    const figures = { seed: PROPERTY_SEED, runsPerProperty: PROPERTY_RUNS };
    // Each property explains its own failure; fast-check runs the shrunk (smallest) failing
    // example last, so the explanation left is the simplest one.
    let why = '';
    const explain = (holds: boolean, explanation: () => string) => {
      if (!holds) why = explanation();
      return holds;
    };
    const properties: [string, fc.IPropertyWithHooks<never>][] = [
      [
        'a key is a non-empty string of at most 255 characters',
        fc.property(operationArbitrary, (op) => {
          const key = keyOf(op);
          return explain(key.length > 0 && key.length <= 255, () => `the key for order ${JSON.stringify(op.orderId)} has ${key.length} characters; Stripe accepts 1 to 255`);
        }) as never,
      ],
      [
        'a key contains no card number and no email address',
        fc.property(operationArbitrary, (op) => {
          const key = keyOf(op);
          const leaked = key.includes(op.cardNumber) ? 'the card number' : key.toLowerCase().includes(op.customerEmail.toLowerCase()) ? 'the customer’s email' : null;
          return explain(leaked === null, () => `the key ${JSON.stringify(key)} contains ${leaked}: keys end up in logs`);
        }) as never,
      ],
      [
        'a retry of the same operation gets the same key',
        fc.property(retryArbitrary, ([first, retry]) => {
          const [k1, k2] = [keyOf(first), keyOf(retry)];
          return explain(k1 === k2, () => `attempt ${first.attempt} (at ${first.attemptedAt}) and attempt ${retry.attempt} (at ${retry.attemptedAt}) of the same operation got ${JSON.stringify(k1)} and ${JSON.stringify(k2)}`);
        }) as never,
      ],
      [
        'different operations get different keys',
        fc.property(siblingsArbitrary, ({ a, b, field }) => {
          const key = keyOf(a);
          return explain(identity(a) === identity(b) || key !== keyOf(b), () => `two operations that differ only in ${field} (${JSON.stringify(a[field])} and ${JSON.stringify(b[field])}) got the same key ${JSON.stringify(key)}`);
        }) as never,
      ],
    ];
    for (const [statement, property] of properties) {
      why = '';
      const details = fc.check(property, options);
      if (details.failed) {
        const reason = why || (details.errorInstance instanceof Error ? `your function threw ${details.errorInstance.message}` : 'it failed');
        const trace = statement.startsWith('a retry') ? replayInModel(answers) : undefined;
        return fail(`“${statement}” does not hold: ${reason} (seed ${PROPERTY_SEED})`, { trace, figures });
      }
    }
    const replay = replayInModel(answers);
    if (replay) return fail('the model’s client, using your keys, charges twice', { trace: replay, figures });
    return pass(`4 properties hold over ${PROPERTY_RUNS} random operations each (seed ${PROPERTY_SEED}); the model’s client using your keys never charges twice`, { figures });
  },
};

/** The scenario's charge, as the merchant's server knows it. */
export const sampleOperation: PaymentOperation = {
  merchantId: 'acct_1Merchant',
  orderId: 'order_1842',
  action: 'charge',
  amountMinor: scenarioConfig.amountMinor,
  currency: 'usd',
  customerEmail: 'alice@example.com',
  cardNumber: '4242424242424242',
  attempt: 1,
  attemptedAt: '2026-11-25T09:00:00.000Z',
};

/** The scenario with the client deriving each attempt's key from the student's function. */
export function replayInModel(answers: ChapterOneAnswers): string | undefined {
  const base = sampleOperation;
  const config = {
    ...scenarioConfig,
    keyForAttempt: (attempt: number) =>
      answers.makeIdempotencyKey({ ...base, attempt, attemptedAt: new Date(Date.parse(base.attemptedAt) + (attempt - 1) * 33_000).toISOString() }),
  };
  const result = explore(createIdempotencyModel(config), { events: candidateEvents, invariants: [atMostOneCharge] });
  const violation = result.violations[0];
  return violation ? formatTrace(violation.trace as never, { step: describeStep, state: describeState }) : undefined;
}

export const chapter: Chapter<ChapterOneAnswers> = {
  number: 1,
  slug: '01-idempotency',
  title: 'Idempotency keys',
  tasks: [retryWithoutKeys, retryWithKey, keyTtl, makeIdempotencyKey],
  loadAnswers: importAnswersModule<ChapterOneAnswers>,
};

export type { CheckResult };
