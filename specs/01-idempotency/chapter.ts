/**
 * Chapter 1's four tasks, each with the one check that serves both `npm test` (against the
 * reference answers) and the grader (against a student's).
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fail, pass, type Chapter, type CheckResult, type Task } from '../../tools/grading/task.ts';
import { explore } from '../../tools/explore/explore.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { candidateEvents, createIdempotencyModel, scenarioConfig, type Arrival, type IdempotencyConfig } from '../../models/idempotency-store/machine.ts';
import { describeState, describeStep } from '../../models/idempotency-store/describe.ts';
import { idempotencyScenario } from '../../models/idempotency-store/scenario.ts';
import { atMostOneCharge } from './invariants.ts';
import {
  cardNetworkErrorConfig,
  changedBodyConfig,
  distinctOutcomes,
  doubleChargeRun,
  exploreConfig,
  invalidFirstConfig,
  keysOffConfig,
  retryArrives,
  traceBefore,
  traceText,
  type IdempotencyExploration,
  type Snapshot,
} from './analysis.ts';
import { expectShape, isInteger, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { checkProperty, valuesFor } from '../../tools/grading/property.ts';
import { isClientMove, isMarginList, isPositiveHours, isStepList, requestOutcomeShape } from './shapes.ts';
import type { ChapterOneAnswers, KeyedRetryAnswer, PaymentOperation, RequestOutcome } from './answer-types.ts';

/** Seed and run count of the random checks; printed with every result that uses them. */
export const PROPERTY_SEED = 2026;
export const PROPERTY_RUNS = 300;

const predictionFields = ['charges', 'totalChargedMinor', 'merchantSees'] as const;

const retryWithoutKeys: Task<ChapterOneAnswers> = {
  id: '1.1',
  answer: 'answers.ts: retryWithoutKeys(scenario)',
  title: 'Retry without idempotency keys',
  hint: 'The card was charged before the client timed out. Without a key, what could tell the API that the retry is the same payment?',
  check(answers) {
    const predicted = expectShape('1.1 retryWithoutKeys(scenario)', answers.retryWithoutKeys({ ...idempotencyScenario }), {
      charges: isInteger,
      totalChargedMinor: isInteger,
      merchantSees: isOneOf("the first attempt's charge", 'a new charge', 'an error'),
    });
    const { exploration, runs, shortest, outcomes } = distinctOutcomes(keysOffConfig);
    const figures = { states: exploration.figures.states, scenarioRuns: runs.length };
    // Only the predicted fields are judged: an extra field (an explanation) is ignored.
    const wrongFields = predictionFields.filter((field) => outcomes.some(({ outcome }) => outcome[field] !== predicted[field]));
    if (wrongFields.length > 0) {
      const yours = wrongFields.map((field) => `${field} = ${JSON.stringify(predicted[field])}`).join(', ');
      const cut = shortest === undefined ? undefined : traceBefore(exploration, shortest, retryArrives);
      return fail(`${yours}: not what happens in the model's runs of the scenario; the trace shows a run until the retry reaches the API`, { ...cut, figures });
    }
    return pass(`the model agrees in all ${runs.length} interleavings of the scenario (${exploration.figures.states} states explored)`, { figures });
  },
};

/** JSON with sorted keys, so that field order does not matter in a comparison. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

type CaseName = 'afterCompletion' | 'whileFirstInFlight' | 'withChangedParameters' | 'afterValidationError' | 'afterCardNetworkError';

/** The cases of 1.2: which config, and which runs of it are the case. */
const keyedCases: Record<CaseName, { config: IdempotencyConfig; is: (arrival: Arrival, context: Snapshot['context']) => boolean; words: string }> = {
  afterCompletion: { config: scenarioConfig, is: (a) => a.found === 'completed', words: 'the retry after the first request completed' },
  whileFirstInFlight: { config: scenarioConfig, is: (a) => a.found === 'locked', words: 'the retry while the first request is in flight' },
  withChangedParameters: { config: changedBodyConfig, is: (a) => a.foundBody !== null && a.foundBody !== a.body, words: 'the retry with changed parameters' },
  afterValidationError: { config: invalidFirstConfig, is: () => true, words: 'the corrected retry after a validation error' },
  afterCardNetworkError: {
    config: cardNetworkErrorConfig,
    is: (a, c) => a.found === 'completed' && c.charges.length === 0,
    words: 'the retry after a card network error',
  },
};

/** What the retry (attempt 2) got and did in one finished run (state `i`). */
function retryOutcome(exploration: IdempotencyExploration, i: number): RequestOutcome {
  const { context } = exploration.snapshots[i]!;
  const result = context.client.result!;
  const savesResult = exploration.pathTo(i).steps.some(
    ({ event, snapshot }) => event.type === 'API_SAVES_RESULT' && event.attempt === 2 && Object.values(snapshot.context.store).some((r) => r.status === 'completed' && r.savedBy === 2),
  );
  return { status: result.status, replayed: result.replayed, newCharges: context.charges.filter((c) => c.attempt === 2).length, savesResult };
}

/**
 * The model's outcome of each case of 1.2, over every finished run of the case in which the
 * client received the retry's response: the outcomes (one per case: the tests assert it), the
 * shortest such run, and the states explored.
 */
export function keyedRetryCases(adjust?: (config: IdempotencyConfig) => IdempotencyConfig) {
  return Object.fromEntries(
    (Object.keys(keyedCases) as CaseName[]).map((name) => {
      const { config, is, words } = keyedCases[name];
      const exploration = exploreConfig(adjusted(config, adjust));
      const runs = exploration.terminal.filter((i) => {
        const { context } = exploration.snapshots[i]!;
        const arrival = context.arrivals.find((a) => a.attempt === 2);
        return arrival !== undefined && is(arrival, context) && context.client.phase === 'done' && context.client.result?.attempt === 2;
      });
      const outcomes = [...new Set(runs.map((i) => canonical(retryOutcome(exploration, i))))].map((json) => JSON.parse(json) as RequestOutcome);
      return [name, { outcomes, shortest: runs[0]!, runs: runs.length, exploration, words }];
    }),
  ) as Record<CaseName, { outcomes: RequestOutcome[]; shortest: number; runs: number; exploration: IdempotencyExploration; words: string }>;
}

/** One adjusted config per (config, adjustment), so that explorations of it are kept. */
const adjustedConfigs = new Map<IdempotencyConfig, Map<(config: IdempotencyConfig) => IdempotencyConfig, IdempotencyConfig>>();
function adjusted(config: IdempotencyConfig, adjust?: (config: IdempotencyConfig) => IdempotencyConfig): IdempotencyConfig {
  if (!adjust) return config;
  const byAdjustment = adjustedConfigs.get(config) ?? new Map();
  adjustedConfigs.set(config, byAdjustment);
  if (!byAdjustment.has(adjust)) byAdjustment.set(adjust, adjust(config));
  return byAdjustment.get(adjust)!;
}

/**
 * A reused key with other parameters is refused: Stripe with an `idempotency_error` (the model
 * answers 400), the IETF Idempotency-Key draft with 422, brandur's rocket-rides-atomic with 409.
 * Any of the three is right.
 */
const refusalStatus = (status: number) => (status === 422 || status === 409 ? 400 : status);

/**
 * What the steps of a retry that finds its key completed must do, whatever the vocabulary's
 * order: find the key's record, compare before replaying, replay, and never execute again.
 * Each returns what is wrong, or null.
 */
const stepRules: ((steps: readonly string[]) => string | null)[] = [
  (steps) => (steps.includes('look_up_key') || steps.includes('claim_key') ? null : 'nothing in them finds the key’s record'),
  (steps) => {
    const find = Math.min(...['look_up_key', 'claim_key'].map((s) => steps.indexOf(s)).filter((i) => i >= 0));
    const acts = steps.findIndex((s) => s === 'compare_parameters' || s === 'replay_saved_response');
    return acts >= 0 && acts < find ? 'they act on the key’s record before finding it' : null;
  },
  (steps) => (steps.includes('compare_parameters') ? null : 'they never compare the retry’s parameters with the saved request’s'),
  (steps) =>
    steps.includes('replay_saved_response') && steps.includes('compare_parameters') && steps.indexOf('compare_parameters') > steps.indexOf('replay_saved_response')
      ? 'they replay before comparing the parameters'
      : null,
  (steps) => {
    const again = steps.filter((s) => s === 'process_request' || s === 'call_card_network' || s === 'save_result');
    return again.length > 0 ? `they execute the request again (${again.join(', ')})` : null;
  },
  (steps) => (steps[steps.length - 1] === 'replay_saved_response' ? null : 'they do not end by answering the retry from what the key holds'),
  (steps) => {
    const answers = steps.filter((s) => s.startsWith('return_') || s === 'replay_saved_response');
    return answers.length > 1 ? `they answer the one retry ${answers.length} times (${answers.join(', ')})` : null;
  },
];

/** 1.2's check, with the cases explored in the scenario's configs as `adjust` changes them. */
export function keyedRetryCheck(adjust?: (config: IdempotencyConfig) => IdempotencyConfig): Task<ChapterOneAnswers>['check'] {
  return (answers) => {
    const answer = expectShape('1.2 retryWithKey()', answers.retryWithKey(), {
      steps: isStepList,
      ...Object.fromEntries(Object.keys(keyedCases).map((name) => [name, requestOutcomeShape])),
      clientAfterReplayed500: isClientMove,
      clientAfterCorrecting400: isClientMove,
    }) as KeyedRetryAnswer;
    const cases = keyedRetryCases(adjust);
    const figures = {
      states: (Object.keys(cases) as CaseName[]).reduce((sum, name, i, names) => (names.findIndex((n) => keyedCases[n].config === keyedCases[name].config) === i ? sum + cases[name].exploration.figures.states : sum), 0),
    };
    for (const name of Object.keys(keyedCases) as CaseName[]) {
      const model = cases[name];
      const given = answer[name];
      const theirs: RequestOutcome = { status: given.status, replayed: given.replayed, newCharges: given.newCharges, savesResult: given.savesResult };
      if (name === 'withChangedParameters') theirs.status = refusalStatus(theirs.status);
      const fields = (Object.keys(theirs) as (keyof RequestOutcome)[]).filter((f) => model.outcomes.some((o) => o[f] !== theirs[f]));
      if (fields.length > 0) {
        const yours = fields.map((f) => `${f} = ${JSON.stringify(given[f])}`).join(', ');
        return fail(`${name}: ${yours}: not what the model’s API does in ${model.words}; the trace shows a run of that case until the retry reaches the API`, {
          ...traceBefore(model.exploration, model.shortest, retryArrives),
          figures,
        });
      }
    }
    const wrongSteps = stepRules.map((rule) => rule(answer.steps)).filter((why): why is string => why !== null);
    if (wrongSteps.length > 0) {
      return fail(`steps for the retry that finds the key completed: ${wrongSteps[0]}`, {
        ...traceBefore(cases.afterCompletion.exploration, cases.afterCompletion.shortest, retryArrives),
        figures,
      });
    }
    if (answer.clientAfterReplayed500 !== 'reconcile before any new attempt') {
      const why =
        answer.clientAfterReplayed500 === 'retry with the same key'
          ? 'the same key replays the same saved 500 however often it is sent (the trace), so the client learns nothing and loops'
          : 'a new key is a new operation to the API, and a 500 does not say the first charge failed (Stripe: a server error leaves the outcome unknown): this can charge twice';
      const model = cases.afterCardNetworkError;
      return fail(`clientAfterReplayed500 = ${JSON.stringify(answer.clientAfterReplayed500)}: ${why}`, {
        trace: answer.clientAfterReplayed500 === 'retry with the same key' ? traceText(model.exploration, model.shortest) : undefined,
        figures,
      });
    }
    if (answer.clientAfterCorrecting400 !== 'retry with a new key') {
      const why =
        answer.clientAfterCorrecting400 === 'retry with the same key'
          ? 'a key whose endpoint began executing holds that 400, and a corrected request under it has other parameters: the trace shows what the API does with those'
          : 'a 400 is definitive: nothing was charged, so there is nothing to reconcile';
      const model = cases.withChangedParameters;
      return fail(`clientAfterCorrecting400 = ${JSON.stringify(answer.clientAfterCorrecting400)}: ${why}`, {
        trace: answer.clientAfterCorrecting400 === 'retry with the same key' ? traceText(model.exploration, model.shortest) : undefined,
        figures,
      });
    }
    return pass(`outcomes match the model in all five cases, the steps find, compare and replay, and the client's moves hold (${figures.states} states explored)`, { figures });
  };
}

const retryWithKey: Task<ChapterOneAnswers> = {
  id: '1.2',
  answer: 'answers.ts: retryWithKey()',
  title: 'Retry with an idempotency key',
  hint: 'What can the key’s record tell the API when the retry arrives: that the first request finished, that it is still running, that it asked for something else, or that it never began? And which of those results did Stripe’s API save?',
  check: keyedRetryCheck(),
};

/**
 * The shortest retry window a design may plan for: in-process retries end within a minute,
 * but a merchant's queued jobs and manual retries come hours later (hence Stripe's 24 h).
 */
export const MIN_RETRY_WINDOW_HOURS = idempotencyScenario.minRetryWindowHours;

const round = (x: number) => +x.toFixed(2);

/**
 * Keys kept longer than this cost storage and outlive any sane retry policy: the longest
 * published retention, Stripe's API v2's 30 days (https://docs.stripe.com/error-low-level).
 */
export const MAX_SENSIBLE_TTL_HOURS = 30 * 24;

/** 1.3's check, the model run from `base` (the scenario, or a larger bound). */
export function keyTtlCheck(base: IdempotencyConfig = scenarioConfig): Task<ChapterOneAnswers>['check'] {
  return (answers) => {
    const answer = expectShape('1.3 keyTtl()', answers.keyTtl(), {
      ttlHours: isPositiveHours,
      retryWindowHours: isPositiveHours,
      margin: isMarginList,
      clientAfterTtl: isClientMove,
    });
    const { ttlHours, retryWindowHours } = answer;
    const marginHours = answer.margin.reduce((sum, m) => sum + m.hours, 0);
    if (retryWindowHours < MIN_RETRY_WINDOW_HOURS) {
      return fail(
        `a retry window of ${round(retryWindowHours)} h covers only the client's own quick retries; merchants also retry from job queues and by hand, much later`,
      );
    }
    if (ttlHours > MAX_SENSIBLE_TTL_HOURS) {
      return fail(`${ttlHours} h keeps every key for over ${MAX_SENSIBLE_TTL_HOURS / 24} days: far beyond any retry, at the cost of storage`);
    }
    if (answer.margin.length === 0) {
      return fail(`margin is empty: the TTL's room beyond the retry window is argued from no cause`);
    }
    // The margin's causes make a retry arrive later than the window says (queued jobs, people)
    // or the key expire sooner than the client's clock says (skew): the model sees both as a
    // retry arriving that much later.
    const latestHours = retryWindowHours + marginHours;
    const run = doubleChargeRun(Math.round(ttlHours * 3600), Math.round(latestHours * 3600), base);
    const figures = { states: run.exploration.figures.states };
    if (run.possible) {
      return fail(
        `with keys kept ${round(ttlHours)} h and retries up to ${round(retryWindowHours)} h plus your ${round(marginHours)} h margin, the model finds a double charge (${atMostOneCharge.id} violated)`,
        { trace: run.trace, figures },
      );
    }
    if (answer.clientAfterTtl !== 'reconcile before any new attempt') {
      // A retry past the TTL, with the old key (pruned: a new request) or a new one, is a new charge.
      const late = doubleChargeRun(Math.round(ttlHours * 3600), Math.round(ttlHours * 3600) + 3600, base);
      return fail(`clientAfterTtl = ${JSON.stringify(answer.clientAfterTtl)}: past the TTL the API no longer knows the key, and the model's retry there charges again`, {
        trace: late.trace,
        figures: { ...figures, statesPastTtl: late.exploration.figures.states },
      });
    }
    return pass(`no double charge in ${figures.states} states with TTL ${ttlHours} h against retries up to ${round(latestHours)} h (window plus margin)`, { figures });
  };
}

const keyTtl: Task<ChapterOneAnswers> = {
  id: '1.3',
  answer: 'answers.ts: keyTtl()',
  title: 'How long to keep idempotency keys',
  hint: 'How long after the first attempt can your client still retry, counting its job queue and people? What can make a retry arrive later than planned, or a key expire sooner? And once the key is gone, what does a retry with it mean to the API?',
  check: keyTtlCheck(),
};

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-z]{${length}}$`));

/** One intended operation: its record (id and stored UUID) and what it asks for. */
const operationArbitrary: fc.Arbitrary<PaymentOperation> = fc
  .record({
    merchantId: fc.stringMatching(/^acct_[A-Za-z0-9]{6,16}$/),
    orderId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.uuid()),
    recordSuffix: hex(12),
    storedUuid: fc.uuid({ version: 4 }),
    action: fc.constantFrom('charge' as const, 'capture' as const, 'refund' as const),
    amountMinor: fc.integer({ min: 1, max: 10_000_000 }),
    currency: fc.constantFrom('usd', 'eur', 'gbp', 'jpy'),
    paymentMethodId: hex(14).map((s) => `pm_${s}`),
    customerEmail: fc.emailAddress(),
    cardNumber: fc.stringMatching(/^4[0-9]{15}$/),
    attempt: fc.integer({ min: 1, max: 10 }),
    attemptedAt: fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  })
  .map(({ recordSuffix, ...op }) => ({ ...op, operationId: `${op.action === 'refund' ? 'refund' : 'pay_att'}_${recordSuffix}` }));

/** A new record for another operation: a new id and a new stored UUID. */
const newRecord = fc.tuple(hex(12), fc.uuid({ version: 4 }));

/** Another operation of an order: a new record, a charge attempt or a refund. */
const recordOfOneOrder = fc.tuple(newRecord, fc.constantFrom('charge' as const, 'refund' as const));

/** A retry of the same operation, maybe after a restart: another attempt number, another moment. */
const retryArbitrary = fc.tuple(operationArbitrary, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 86_400_000 })).map(
  ([op, attempt, laterMs]) => [op, { ...op, attempt, attemptedAt: new Date(Date.parse(op.attemptedAt) + laterMs).toISOString() }] as const,
);

/** Two partial refunds of one order: two refund records, maybe of the same amount. */
const twoRefundsArbitrary = fc
  .tuple(operationArbitrary, newRecord, fc.boolean(), fc.integer({ min: 1, max: 10_000_000 }))
  .map(([op, [suffix, uuid], sameAmount, amount]) => {
    const first = { ...op, action: 'refund' as const, operationId: `refund_${op.operationId.split('_').pop()}` };
    return [first, { ...first, operationId: `refund_${suffix}`, storedUuid: uuid, amountMinor: sameAmount ? first.amountMinor : amount }] as const;
  });

/** A charge declined, then a new payment attempt on the same order with another card. */
const newCardArbitrary = fc
  .tuple(operationArbitrary, operationArbitrary, newRecord)
  .map(([op, other, [suffix, uuid]]) => {
    const declined = { ...op, action: 'charge' as const, operationId: `pay_att_${op.operationId.split('_').pop()}` };
    return [declined, { ...declined, operationId: `pay_att_${suffix}`, storedUuid: uuid, paymentMethodId: other.paymentMethodId, cardNumber: other.cardNumber, attempt: 1 }] as const;
  });

/** The same operation with only the card number and the customer's e-mail changed. */
const personalDataArbitrary = fc.tuple(operationArbitrary, operationArbitrary).map(([op, other]) => [op, { ...op, cardNumber: other.cardNumber, customerEmail: other.customerEmail }] as const);

/** A key from one answer function, refused unless it is a string. */
const keyFrom = (make: ChapterOneAnswers['makeIdempotencyKey'], op: PaymentOperation) => {
  const key = make({ ...op });
  if (typeof key !== 'string') throw new WrongShape(`makeIdempotencyKey returned ${typeof key}, expected a string`);
  return key;
};

/**
 * A restarted server: the answers module loaded afresh (a new module instance, so whatever it
 * kept in module-level variables is gone), as the grader's own loader registers it. Answers
 * built by hand (tests) have none; a loader that cannot give a fresh instance (a folder whose
 * .ts files load as CommonJS, which caches by path) gives undefined.
 */
const restarts = new WeakMap<object, () => Promise<ChapterOneAnswers | undefined>>();
let restartCount = 0;

export async function loadAnswers(chapterDir: string): Promise<ChapterOneAnswers> {
  const url = pathToFileURL(join(chapterDir, 'answers.ts')).href;
  const module = (await import(url)) as ChapterOneAnswers;
  restarts.set(module, async () => {
    const fresh = (await import(`${url}?restart=${++restartCount}`)) as ChapterOneAnswers;
    return fresh === module ? undefined : fresh;
  });
  return module;
}

/** A property of 1.4: an arbitrary of operations, and what must hold of each. */
type Property = { arbitrary: fc.Arbitrary<never>; predicate: (value: never) => boolean };
const property = <T,>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => boolean): Property => ({ arbitrary, predicate }) as unknown as Property;

/** The bounds of 1.4's check: the visible one, and the instructor's larger one. */
export interface KeyFormatBounds {
  seed: number;
  runsPerProperty: number;
  /** Operations whose keys are asked for before and after a restart. */
  restartOperations: number;
  /** Distinct operations of one order whose keys must all differ (0: not checked). */
  batchOfOneOrder: number;
}

export const visibleKeyBounds: KeyFormatBounds = { seed: PROPERTY_SEED, runsPerProperty: PROPERTY_RUNS, restartOperations: 20, batchOfOneOrder: 0 };

/** 1.4's check under given bounds. */
export function keyFormatCheck(bounds: KeyFormatBounds): Task<ChapterOneAnswers>['check'] {
  return async (answers) => {
    const keyOf = (op: PaymentOperation) => keyFrom(answers.makeIdempotencyKey, op);
    // One call outside fast-check first, so that a stub or a throwing answer reads as itself.
    keyOf(sampleOperation);
    const options = { seed: bounds.seed, numRuns: bounds.runsPerProperty };
    const figures: Record<string, number | string> = { seed: bounds.seed, runsPerProperty: bounds.runsPerProperty };
    // Each property explains its own failure; fast-check runs the shrunk (smallest) failing
    // example last, so the explanation left is the simplest one.
    let why = '';
    const explain = (holds: boolean, explanation: () => string) => {
      if (!holds) why = explanation();
      return holds;
    };
    const same = (a: PaymentOperation, b: PaymentOperation, explanation: (k1: string, k2: string) => string) => {
      const [k1, k2] = [keyOf(a), keyOf(b)];
      return explain(k1 === k2, () => explanation(k1, k2));
    };
    const differ = (a: PaymentOperation, b: PaymentOperation, explanation: (key: string) => string) => {
      const key = keyOf(a);
      return explain(key !== keyOf(b), () => explanation(key));
    };
    const properties: [string, Property][] = [
      [
        'a key is 1 to 255 printable ASCII characters',
        property(operationArbitrary, (op) => {
          const key = keyOf(op);
          if (!explain(key.length > 0 && key.length <= 255, () => `the key for order ${JSON.stringify(op.orderId)} has ${key.length} characters; Stripe accepts 1 to 255`)) return false;
          // The IETF draft makes the header's value a Structured Field String (RFC 8941): only
          // printable ASCII, which is also all an HTTP client sends unmangled.
          const bad = [...key].find((ch) => ch < ' ' || ch > '~');
          return explain(bad === undefined, () => `the key ${JSON.stringify(key)} contains ${JSON.stringify(bad)}, which is not printable ASCII: an Idempotency-Key header cannot carry it (IETF Idempotency-Key draft, a Structured Field String)`);
        }),
      ],
      [
        retryStatement,
        property(retryArbitrary, ([first, retry]) =>
          same(first, retry, (k1, k2) => `attempt ${first.attempt} (at ${first.attemptedAt}) and attempt ${retry.attempt} (at ${retry.attemptedAt}) of the same operation got ${JSON.stringify(k1)} and ${JSON.stringify(k2)}`),
        ),
      ],
      [
        'two partial refunds of one order get different keys',
        property(twoRefundsArbitrary, ([a, b]) =>
          differ(a, b, (key) => `two refunds of order ${JSON.stringify(a.orderId)} (${a.amountMinor} and ${b.amountMinor}) got the same key ${JSON.stringify(key)}: the second would replay the first and refund nothing`),
        ),
      ],
      [
        'a new payment attempt with another card after a decline gets a new key',
        property(newCardArbitrary, ([a, b]) =>
          differ(a, b, (key) => `the declined attempt and the new attempt with another card on order ${JSON.stringify(a.orderId)} got the same key ${JSON.stringify(key)}: the new card's charge would replay the decline`),
        ),
      ],
      [
        'a key does not depend on the card number or the customer’s e-mail',
        property(personalDataArbitrary, ([a, b]) => {
          const [k1, k2] = [keyOf(a), keyOf(b)];
          const leaked = k1.includes(a.cardNumber) ? 'contains the card number' : k1.toLowerCase().includes(a.customerEmail.toLowerCase()) ? 'contains the customer’s e-mail' : k1 !== k2 ? 'changes when only the card number or the e-mail changes: the operation needs nothing from the card or the customer to be named, and from outside no check can tell a keyed hash of a card number (PCI DSS v4.0 requirement 3.5.1.1) from an unkeyed one, which trying every 16-digit number reverses' : null;
          return explain(leaked === null, () => `the key ${JSON.stringify(k1)} ${leaked}: a key is no secret (the API stores it and repeats it in the events the request causes)`);
        }),
      ],
    ];
    for (const [statement, { arbitrary, predicate }] of properties) {
      why = '';
      const details = checkProperty(arbitrary, predicate, options);
      if (details.failed) {
        const reason = why || (details.errorInstance instanceof Error ? `your function threw ${details.errorInstance.message}` : 'it failed');
        const trace = statement === retryStatement ? replayInModel(answers) : undefined;
        return fail(`“${statement}” does not hold: ${reason} (seed ${bounds.seed})`, { trace, figures });
      }
    }
    if (bounds.batchOfOneOrder > 0) {
      // Many operations of one order (refunds, attempts): a short or truncated key collides
      // among them long before two random operations ever do.
      const [order] = valuesFor(operationArbitrary, { seed: bounds.seed, numRuns: 1 });
      const records = valuesFor(recordOfOneOrder, { seed: bounds.seed, numRuns: bounds.batchOfOneOrder });
      const seen = new Map<string, string>();
      for (const [[suffix, uuid], action] of records) {
        const operationId = `${action === 'refund' ? 'refund' : 'pay_att'}_${suffix}`;
        const key = keyOf({ ...order!, action, operationId, storedUuid: uuid });
        const earlier = seen.get(key);
        if (earlier !== undefined && earlier !== operationId) {
          return fail(`“${batchStatement}” does not hold: among ${bounds.batchOfOneOrder} operations of order ${JSON.stringify(order!.orderId)}, records ${earlier} and ${operationId} got the same key ${JSON.stringify(key)} (seed ${bounds.seed})`, { figures });
        }
        seen.set(key, operationId);
      }
      figures.batchOfOneOrder = bounds.batchOfOneOrder;
    }
    const restart = restarts.get(answers);
    const restarted = restart ? await restart() : undefined;
    figures.restartChecked = restarted ? 'yes' : 'no';
    if (restarted) {
      const operations = valuesFor(retryArbitrary, { seed: bounds.seed, numRuns: bounds.restartOperations });
      const before = operations.map(([first]) => keyOf(first));
      for (const [i, [first, retry]] of operations.entries()) {
        const after = keyFrom(restarted.makeIdempotencyKey, retry);
        if (after !== before[i]) {
          return fail(
            `“${retryStatement}” does not hold: attempt ${first.attempt} of an operation got ${JSON.stringify(before[i])}, and attempt ${retry.attempt} of it got ${JSON.stringify(after)} once your answers module was loaded afresh, as after a restart: what the process held in memory is gone (seed ${bounds.seed})`,
            { trace: replayInModel(answers, restarted), figures },
          );
        }
      }
    }
    const replay = replayInModel(answers);
    if (replay) return fail('the model’s client, using your keys, charges twice', { trace: replay, figures });
    // A loader that cannot give a fresh module instance says so, rather than pass in silence.
    const restartWords = restarted ? `, also across a restart (${bounds.restartOperations} operations)` : restart ? ' (a restart could not be simulated for this folder)' : '';
    return pass(
      `${properties.length} properties hold over ${bounds.runsPerProperty} random operations each (seed ${bounds.seed})${restartWords}; the model’s client using your keys never charges twice`,
      { figures },
    );
  };
}

const retryStatement = 'a retry of the same operation gets the same key, even after a restart';
const batchStatement = 'every operation of one order gets its own key';

const makeIdempotencyKey: Task<ChapterOneAnswers> = {
  id: '1.4',
  answer: 'answers.ts: makeIdempotencyKey()',
  title: 'The idempotency key format',
  hint: 'What names one intended operation — the same on every retry, even after your server restarts, and different for a second refund of the same order or a new card after a decline? Which fields would you be unhappy to see in a log?',
  check: keyFormatCheck(visibleKeyBounds),
};

/** The scenario's charge, as the merchant's server knows it. */
export const sampleOperation: PaymentOperation = {
  merchantId: 'acct_1Merchant',
  orderId: 'order_1842',
  operationId: 'pay_att_7c1f0e2a9b44',
  storedUuid: '9f6c2a4e-1b7d-4c3e-8a5f-2d9e0b7c6a11',
  action: 'charge',
  paymentMethodId: 'pm_card_visa',
  amountMinor: scenarioConfig.amountMinor,
  currency: 'usd',
  customerEmail: 'alice@example.com',
  cardNumber: '4242424242424242',
  attempt: 1,
  attemptedAt: '2026-11-25T09:00:00.000Z',
};

/** The scenario with the client deriving each attempt's key from the student's function. */
export function replayInModel(answers: ChapterOneAnswers, restarted?: ChapterOneAnswers): string | undefined {
  const base = sampleOperation;
  const retryAfterMs = (scenarioConfig.clientTimeoutSeconds + scenarioConfig.retryDelaysSeconds[0]!) * 1000;
  const config = {
    ...scenarioConfig,
    // With a restart, the server restarted between the first attempt and the retry.
    keyForAttempt: (attempt: number) =>
      keyFrom((attempt > 1 && restarted ? restarted : answers).makeIdempotencyKey, { ...base, attempt, attemptedAt: new Date(Date.parse(base.attemptedAt) + (attempt - 1) * retryAfterMs).toISOString() }),
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
  loadAnswers,
  // The explorations that do not depend on an answer, once, before any task's clock starts
  // (exploreConfig keeps them).
  prepare: async () => {
    distinctOutcomes(keysOffConfig);
    keyedRetryCases();
  },
};

export type { CheckResult };
