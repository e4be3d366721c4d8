/**
 * Chapter 4's four tasks, each with the one check that serves both `npm test` (against the
 * reference answers) and the grader (against a student's).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { transition } from 'xstate';
import { fail, pass, type Chapter, type Task, importAnswersModule } from '../../tools/grading/task.ts';
import { describedAs, expectShape, isInteger, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { randomWalk } from '../../tools/explore/random-walk.ts';
import type { Trace } from '../../tools/explore/explore.ts';
import { localActions } from '../../models/cross-region-transfer/ledger.ts';
import { initialBalances, sagaScenario, type SagaConfig } from '../../models/cross-region-transfer/saga.ts';
import { twoPhaseScenario } from '../../models/cross-region-transfer/two-phase.ts';
import { candidateEvents as breakerEvents, createCircuitBreakerModel, letThrough, visaConfig, type CircuitBreakerConfig, type CircuitBreakerEvent } from '../../models/circuit-breaker/machine.ts';
import { scenarioConfig as intentScenario, statuses, statusOf, type ConfirmResponse } from '../../models/payment-intent/machine.ts';
import { availabilityReport, downtimeBreakdown, downtimeMinutesPerYear, percent, TARGET } from './availability.ts';
import { alwaysFinishes, endsSettled, singleWriter, twoPhaseNeverBlocks } from './invariants.ts';
import {
  exploreBreaker,
  exploreFailover,
  exploreIntent,
  exploreSaga,
  exploreTwoPhase,
  failoverConfigFor,
  failoverTrace,
  modelTransitions,
  sagaTraceText,
  transitionId,
  twoPhaseTraceText,
  whyNotInModel,
  type BreakerSnapshot,
} from './analysis.ts';
import { closedBreaker, type ActiveActiveArchitecture, type BreakerState, type BreakerThresholds, type ChapterFourAnswers, type CrossRegionAnswer, type IntentEventType, type RetrySafetyAnswer, type StatusTransition } from './answer-types.ts';

/** Seed and run count of the random checks; printed with every result that uses them. */
export const PROPERTY_SEED = 2026;
export const PROPERTY_RUNS = 200;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** An availability: a fraction, so that a percentage (99.95 for 0.9995) is caught as such. */
const isFraction = describedAs((v) => isNumber(v) && v > 0 && v <= 1, 'a fraction from 0 to 1 (0.9995 for 99.95 %), not a percentage');
const isNonNegative = describedAs((v) => isNumber(v) && v >= 0, 'a number ≥ 0');
/**
 * Promotion takes time: the failure must be detected, the writer lease moved and the new writer
 * caught up. Zero would make failover free, and remove from the availability the very cost the
 * design must keep under five nines.
 */
const isPromotionTime = describedAs(
  (v) => isNumber(v) && v > 0,
  'a number of seconds > 0: detecting the failure and moving the writer takes time, and 0 would make failover cost nothing in the availability',
);
const isPercent = describedAs((v) => isNumber(v) && v >= 0 && v <= 100, 'a percentage from 0 to 100 (22 for 22 %)');
const isName = describedAs((v) => typeof v === 'string' && v.length > 0, 'a region name such as "us-east"');

// ── 4.1 ─────────────────────────────────────────────────────────────────────────────────────

/** The share one region's failure stops today (US-East, in the scenario): a design must do better. */
export const TODAYS_BLAST_RADIUS_PERCENT = 40;

function checkArchitectureShape(arch: ActiveActiveArchitecture): void {
  expectShape('4.1 architecture()', arch, {
    componentAvailability: { databaseReplica: isFraction, regionServices: isFraction, globalRouting: isFraction },
    writes: isOneOf('home_region_only', 'any_region'),
    failover: { fencing: isOneOf('epoch_fencing', 'none'), promotionSeconds: isPromotionTime, regionFailuresPerYear: isNonNegative },
    oneRegionFailureAffectsPercent: isPercent,
  });
  if (!Array.isArray(arch.regions) || arch.regions.length === 0) throw new WrongShape('4.1 architecture().regions should be a non-empty list of regions');
  const names = arch.regions.map((r) => r.name);
  arch.regions.forEach((region, i) => {
    expectShape(`4.1 architecture().regions[${i}]`, region, {
      name: isName,
      shareOfTransactionsPercent: isPercent,
      databaseReplicas: describedAs((v) => isInteger(v) && (v as number) >= 1 && (v as number) <= 9, 'an integer from 1 to 9'),
      failoverTo: describedAs((v) => typeof v === 'string', 'the name of another region'),
    });
  });
  if (new Set(names).size !== names.length) throw new WrongShape(`4.1 region names repeat: ${names.join(', ')}`);
  if (arch.regions.length > 8) throw new WrongShape('4.1 more than 8 regions: the failover model is checked exhaustively, keep it to 8');
}

/**
 * Inputs that would make any design look good: a component that never fails, regions that never
 * fail, a region that writes nothing. The first one found, as a message, or undefined.
 */
function implausibleInputs(arch: ActiveActiveArchitecture): string | undefined {
  // Active-active: every region is the home (writer) of some accounts. A region homing nothing
  // only waits for a failover: that is active-passive, and its peer carries the whole load.
  const idle = arch.regions.find((r) => r.shareOfTransactionsPercent === 0);
  if (idle) {
    return `region ${idle.name} homes 0 % of transactions: it writes nothing until a failover, which is active-passive. In active-active every region is the home (writer) of a share of the accounts: give ${idle.name} one`;
  }
  for (const [field, availability] of Object.entries(arch.componentAvailability)) {
    if (availability >= 1) {
      return `componentAvailability.${field} is 1: no component is perfect, and a perfect one makes any design reach 99.999 %. Use a figure you can source, such as its provider's SLA (RDS Multi-AZ: 99.95 %, 0.9995)`;
    }
  }
  if (arch.failover.regionFailuresPerYear === 0) {
    return 'failover.regionFailuresPerYear is 0: regions do fail (that is why the design has failover), and each failure costs its accounts the promotion time. Plan for at least one a year';
  }
  return undefined;
}

const architecture: Task<ChapterFourAnswers> = {
  id: '4.1',
  title: 'Multi-region active-active payments database',
  answer: 'answers.ts: architecture()',
  hint: 'Home every account in one region (its single writer), spread the homes so no region carries 40 %, give each region a failover region, and fence the old writer when you promote the new one. Compose availabilities: series multiplies, parallel multiplies the unavailabilities.',
  check(answers) {
    const arch = answers.architecture();
    checkArchitectureShape(arch);
    const names = arch.regions.map((r) => r.name);
    const shares = arch.regions.reduce((s, r) => s + r.shareOfTransactionsPercent, 0);
    if (Math.abs(shares - 100) > 1e-9) {
      const fractions = Math.abs(shares - 1) < 1e-9 ? ': they look like fractions; give percentages from 0 to 100 (22 for 22 %)' : '';
      return fail(`the regions' shares of transactions add up to ${shares} %, not 100 %${fractions}`);
    }
    const badFailover = arch.regions.find((r) => r.failoverTo === r.name || !names.includes(r.failoverTo));
    if (badFailover) return fail(`region ${badFailover.name} fails over to "${badFailover.failoverTo}": it must name another region of the deployment`);
    const problem = implausibleInputs(arch);
    if (problem) return fail(problem);
    // Said in words rather than as a run of the failover model: with every region writing every
    // account there are several writers from the first state on, failure or not.
    if (arch.writes === 'any_region') {
      return fail(
        `writes is "any_region": every region accepts writes for every account, so each account has ${arch.regions.length} writers all the time, not only during a failover. Two regions can then accept conflicting writes to one balance (two debits that each saw enough funds), which no region can refuse: ${singleWriter(failoverConfigFor(arch)).id} needs one writer region per account`,
      );
    }

    const report = availabilityReport(arch);
    const failoverConfig = failoverConfigFor(arch);
    const exploration = exploreFailover(failoverConfig);
    const figures = {
      availability: percent(report.overall),
      downtimeMinutesPerYear: +downtimeMinutesPerYear(report.overall).toFixed(2),
      blastRadiusPercent: report.blastRadiusPercent,
      failoverStates: exploration.figures.states,
    };
    if (report.overall < TARGET) {
      // Which component eats the budget: the downtime split by component, then by region.
      const breakdown = downtimeBreakdown(arch);
      const [largest] = breakdown;
      const minutes = (m: number) => `${m.toFixed(2).padStart(8)} min`;
      const trace = [
        ...breakdown.map((b) => `${minutes(b.minutesPerYear)}  ${b.component}`),
        `${minutes(downtimeMinutesPerYear(report.overall))}  in all (the budget of 99.999 %: ${downtimeMinutesPerYear(TARGET).toFixed(2)} min)`,
        '',
        ...report.perRegion.map((r) => `${r.region} accounts (${r.sharePercent} % of transactions): ${percent(r.accounts)}`),
      ].join('\n');
      return fail(
        `computed availability ${percent(report.overall)} (${figures.downtimeMinutesPerYear} min of downtime a year) is below 99.999 % (${downtimeMinutesPerYear(TARGET).toFixed(2)} min); the largest part, ${largest!.minutesPerYear.toFixed(2)} min a year, is ${largest!.component}`,
        { trace, traceTitle: 'where the downtime goes, in minutes a year', figures },
      );
    }
    if (exploration.violations.length > 0) {
      return fail(`${singleWriter(failoverConfig).id} violated: an account gets two writer regions (${exploration.figures.states} states explored)`, {
        trace: failoverTrace(failoverConfig, exploration),
        figures,
      });
    }
    if (report.blastRadiusPercent >= TODAYS_BLAST_RADIUS_PERCENT) {
      return fail(
        `one region's failure stops ${report.blastRadiusPercent} % of transactions (the accounts homed in ${report.worstRegion}): no better than today's ${TODAYS_BLAST_RADIUS_PERCENT} % from US-East. Spread the homes over more regions, so that each carries less than ${TODAYS_BLAST_RADIUS_PERCENT} %`,
        { figures },
      );
    }
    if (Math.abs(arch.oneRegionFailureAffectsPercent - report.blastRadiusPercent) > 0.5) {
      const said = arch.oneRegionFailureAffectsPercent;
      const fraction = said > 0 && said <= 1 ? `: ${said} looks like a fraction; oneRegionFailureAffectsPercent is a percentage from 0 to 100 (22 for 22 %)` : '';
      return fail(
        `you say one region's failure affects ${said} % of transactions; your descriptor says ${report.blastRadiusPercent} % (region ${report.worstRegion}, until its accounts fail over)${fraction}`,
        { figures },
      );
    }
    return pass(
      `availability ${percent(report.overall)} ≥ 99.999 % (${figures.downtimeMinutesPerYear} min/year); one writer per account in all ${exploration.figures.states} states of failover; a region's failure affects at most ${report.blastRadiusPercent} % of transactions, for ${arch.failover.promotionSeconds} s`,
      { figures },
    );
  },
};

// ── 4.2 ─────────────────────────────────────────────────────────────────────────────────────

/** The saga model run with the student's steps. */
export const sagaConfigFor = (answer: CrossRegionAnswer): SagaConfig => ({ ...sagaScenario, steps: answer.steps });

const crossRegionTransfer: Task<ChapterFourAnswers> = {
  id: '4.2',
  title: 'Cross-region transactions (a cross-border payment)',
  answer: 'answers.ts: crossRegionTransfer()',
  hint: 'A protocol that holds locks while it waits for a coordinator in another region blocks when that coordinator crashes or the link fails. Move money one region at a time through a transit account, and say how each step is undone.',
  check(answers) {
    const answer = expectShape('4.2 crossRegionTransfer()', answers.crossRegionTransfer(), { protocol: isOneOf('two_phase_commit', 'saga') });
    if (answer.protocol === 'two_phase_commit') {
      const run = exploreTwoPhase(twoPhaseScenario);
      const blocked = run.exploration.violations.find((v) => v.property.id === twoPhaseNeverBlocks.id);
      return fail(
        blocked
          ? `2PC blocks: ${twoPhaseNeverBlocks.id} (“${twoPhaseNeverBlocks.statement}”) is violated after ${blocked.trace.steps.length} steps (${run.exploration.figures.states} states explored)`
          : 'the 2PC model found no blocking run (unexpected)',
        { trace: blocked ? twoPhaseTraceText(blocked.trace) : undefined, figures: { states: run.exploration.figures.states } },
      );
    }
    if (!Array.isArray(answer.steps) || answer.steps.length === 0 || answer.steps.length > 4) {
      throw new WrongShape('4.2 crossRegionTransfer().steps should list 1 to 4 steps');
    }
    answer.steps.forEach((step, i) =>
      expectShape(`4.2 crossRegionTransfer().steps[${i}]`, step, { action: isOneOf(...localActions), compensation: isOneOf(...localActions, null) }),
    );
    const config = sagaConfigFor(answer);
    const run = exploreSaga(config);
    const e = run.exploration;
    const figures = { states: e.figures.states, transitions: e.figures.transitions, finishedRuns: e.figures.terminal, completed: run.ends.completed.length, compensated: run.ends.compensated.length };
    const violation = e.violations[0];
    if (violation) {
      return fail(`${violation.property.id} violated: ${violation.property.statement}`, { trace: sagaTraceText(config, violation.trace), figures });
    }
    if (run.stuck.length > 0) {
      return fail(`${alwaysFinishes.id}: ${run.stuck.length} reachable states from which the transfer can never finish`, { trace: sagaTraceText(config, e.pathTo(run.stuck[0]!)), figures });
    }
    if (run.ends.unsettled.length > 0) {
      return fail(`${endsSettled.id} violated: ${run.ends.unsettled.length} of ${e.figures.terminal} finished runs leave money in transit or in the wrong account`, {
        trace: sagaTraceText(config, e.pathTo(run.ends.unsettled[0]!)),
        figures,
      });
    }
    if (run.ends.completed.length === 0) return fail('no run completes the payment: the payee is never paid', { figures });
    return pass(
      `over ${e.figures.states} states with a crash, a partition and refusals: money conserved, never paid out before collected, every run finishes settled (${figures.completed} completed, ${figures.compensated} compensated end states)`,
      { figures },
    );
  },
};

// ── 4.3 ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The largest thresholds the check accepts. The explorer visits every content of the window:
 * with a threshold near half the window that is about 2^windowSize states (20,492 at a window
 * of 12 and a threshold of 6, 327,692 at 16 and 8), each path then replayed through the
 * student's function, so the window stays at 12 to keep the check within seconds.
 */
export const BREAKER_BOUNDS = { windowSize: 12, halfOpenProbes: 10 };

const isIntegerFromOneTo = (max: number, why: string) =>
  describedAs((v) => isInteger(v) && (v as number) >= 1 && (v as number) <= max, `an integer from 1 to ${max} (${why})`);

/**
 * The sane range of each threshold, beyond what the model can explore, each with its reason in
 * the card network's terms. The first one broken, as a message, or undefined.
 */
export const BREAKER_RANGES = { minWindowSize: 4, minFailureThreshold: 2, cooldownSeconds: { min: 1, max: 300 } };

function insaneThresholds(t: BreakerThresholds): string | undefined {
  const { minWindowSize, minFailureThreshold, cooldownSeconds } = BREAKER_RANGES;
  if (t.windowSize < minWindowSize) {
    return `windowSize is ${t.windowSize}: a window of fewer than ${minWindowSize} calls judges Visa on too few calls, so a failure or two that a healthy network has now and then opens the breaker and refuses every Visa payment. Keep at least ${minWindowSize} calls in the window`;
  }
  if (t.failureThreshold < minFailureThreshold) {
    return `failureThreshold is ${t.failureThreshold}: a single failed call (one timeout, which happens on a healthy network) opens the breaker and refuses every Visa payment for the cool-down. Require at least ${minFailureThreshold} failures in the window`;
  }
  if (t.cooldownSeconds < cooldownSeconds.min) {
    return `cooldownSeconds is ${t.cooldownSeconds}: under ${cooldownSeconds.min} s, an open breaker probes the failing network again almost at once, so the network gets no rest and callers hardly stop calling it. Wait at least ${cooldownSeconds.min} s`;
  }
  if (t.cooldownSeconds > cooldownSeconds.max) {
    return `cooldownSeconds is ${t.cooldownSeconds}: once Visa has recovered, the breaker still refuses its payments until the cool-down ends, and more than ${cooldownSeconds.max / 60} min in one trip is more than the year's whole 5.26 min of downtime at 99.999 %. Keep it at most ${cooldownSeconds.max} s`;
  }
  return undefined;
}

export const breakerConfigFor = (t: BreakerThresholds): CircuitBreakerConfig => ({ ...visaConfig, ...t, network: 'visa' });

/**
 * Thrown when breakerStep changes what it was given. Its contract is a pure function: the
 * payment service keeps one state per card network and may read it concurrently, and a step
 * that edits it in place changes the breaker even when its result is not kept.
 */
export class ImpureStep extends Error {
  override name = 'ImpureStep';
}

/** One call of the student's breakerStep, checked for the shape of its result and for purity. */
function stepOnce(answers: ChapterFourAnswers, state: BreakerState, event: CircuitBreakerEvent, thresholds: BreakerThresholds, stepNumber: number) {
  const given = { state: structuredClone(state), input: structuredClone(event), thresholds: structuredClone(thresholds) };
  const result = answers.breakerStep(given.state, given.input, given.thresholds);
  if (typeof result !== 'object' || result === null || typeof result.state !== 'object' || typeof result.letThrough !== 'boolean') {
    throw new WrongShape(`breakerStep returned ${JSON.stringify(result)}, expected { state, letThrough }`);
  }
  const changed = (['state', 'input', 'thresholds'] as const).filter((k) => !isDeepStrictEqual(given[k], { state, input: event, thresholds }[k]));
  if (changed.length > 0) {
    throw new ImpureStep(
      `your breakerStep changed its ${changed.join(' and ')} at step ${stepNumber} (${event.type} in ${state.mode}): it must be a pure function, returning a new state and leaving what it was given as it was, since the service keeps the old state (one per card network, read by concurrent calls)`,
    );
  }
  return result;
}

type BreakerTrace = Trace<BreakerSnapshot, CircuitBreakerEvent>;

/** Replay a model trace through the student's function; the first disagreement, as text, or undefined. */
export function replayBreaker(answers: ChapterFourAnswers, thresholds: BreakerThresholds, trace: BreakerTrace): string | undefined {
  let mine: BreakerState = structuredClone(closedBreaker);
  let before = trace.initial;
  const lines: string[] = [];
  for (const [i, { event, snapshot }] of trace.steps.entries()) {
    const result = stepOnce(answers, mine, event, thresholds, i + 1);
    const modelThrough = event.type === 'CALL_REQUESTED' && letThrough(before, snapshot);
    lines.push(`${String(i + 1).padStart(3)}. ${event.type}: model ${String(before.value)} → ${String(snapshot.value)}${event.type === 'CALL_REQUESTED' ? (modelThrough ? ' (let through)' : ' (refused)') : ''}; yours → ${result.state.mode}${event.type === 'CALL_REQUESTED' ? (result.letThrough ? ' (let through)' : ' (refused)') : ''}`);
    if (result.state.mode !== snapshot.value || (event.type === 'CALL_REQUESTED' && result.letThrough !== modelThrough)) {
      return lines.join('\n') + '\n     ^ differs from the model';
    }
    mine = result.state;
    before = snapshot;
  }
  return undefined;
}

const circuitBreaker: Task<ChapterFourAnswers> = {
  id: '4.3',
  title: 'Circuit breaker for card network calls',
  answer: 'answers.ts: breakerThresholds() and breakerStep()',
  hint: 'Closed: record outcomes in the window, open on the threshold. Open: refuse every call until the cool-down. Half-open: let through at most N probes; one failed probe reopens, enough successful ones close. Late answers from an earlier mode do not count.',
  check(answers) {
    const { windowSize, halfOpenProbes } = BREAKER_BOUNDS;
    const thresholds = expectShape('4.3 breakerThresholds()', answers.breakerThresholds(), {
      windowSize: isIntegerFromOneTo(windowSize, 'the model explores every content of the window, so it is bounded'),
      failureThreshold: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'),
      halfOpenProbes: isIntegerFromOneTo(halfOpenProbes, 'the model explores every number of probes, so it is bounded'),
      successesToClose: describedAs((v) => isInteger(v) && (v as number) >= 1, 'an integer ≥ 1'),
      cooldownSeconds: describedAs((v) => isNumber(v) && v > 0, 'a number of seconds > 0'),
    });
    if (thresholds.failureThreshold > thresholds.windowSize) {
      return fail(`failureThreshold ${thresholds.failureThreshold} > windowSize ${thresholds.windowSize}: the window never holds enough failures, so the breaker never opens, even in a total Visa outage`);
    }
    if (thresholds.successesToClose > thresholds.halfOpenProbes) {
      return fail(`successesToClose ${thresholds.successesToClose} > halfOpenProbes ${thresholds.halfOpenProbes}: half-open never lets enough probes through to close, so the breaker stays shut after Visa recovers`);
    }
    const insane = insaneThresholds(thresholds);
    if (insane) return fail(insane);
    try {
      return replayAgainstModel(answers, thresholds);
    } catch (error) {
      if (error instanceof ImpureStep) return fail(error.message);
      throw error;
    }
  },
};

/** Model-based testing of breakerStep with sane thresholds: every transition of the model, then random runs. */
function replayAgainstModel(answers: ChapterFourAnswers, thresholds: BreakerThresholds) {
  const config = breakerConfigFor(thresholds);
  const exploration = exploreBreaker(config);
  // Model-based testing: the shortest path to every state, then every transition out of it.
  const machine = createCircuitBreakerModel(config);
  let replayed = 0;
  for (let i = 0; i < exploration.snapshots.length; i++) {
    const path = exploration.pathTo(i);
    const state = exploration.snapshots[i]!;
    for (const event of breakerEvents()) {
      if (machine.getTransitionData(state as never, event).length === 0) continue;
      const next = transition(machine, state as never, event)[0] as unknown as BreakerSnapshot;
      const trace: BreakerTrace = { initial: path.initial, steps: [...path.steps, { event, snapshot: next }] };
      const difference = replayBreaker(answers, thresholds, trace);
      replayed++;
      if (difference) {
        return fail(`your breakerStep disagrees with the model on the path below (${exploration.figures.states} states explored)`, { trace: difference, figures: { states: exploration.figures.states } });
      }
    }
  }
  // Random runs longer than the explorer's paths: many outages and recoveries in a row.
  const options = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };
  let counterexample: string | undefined;
  const property = fc.property(fc.array(fc.nat(), { minLength: 20, maxLength: 120 }), (choices) => {
    const trace = randomWalk(machine, breakerEvents, choices) as unknown as BreakerTrace;
    counterexample = replayBreaker(answers, thresholds, trace);
    return counterexample === undefined;
  });
  const details = fc.check(property, options);
  const figures = { states: exploration.figures.states, pathsReplayed: replayed, randomRuns: PROPERTY_RUNS, seed: PROPERTY_SEED };
  if (details.failed) {
    if (details.errorInstance instanceof WrongShape || details.errorInstance instanceof ImpureStep) throw details.errorInstance;
    return fail(`your breakerStep disagrees with the model on a random run (seed ${PROPERTY_SEED})`, { trace: counterexample, figures });
  }
  return pass(
    `your breakerStep agrees with the model on ${replayed} paths (every transition of its ${exploration.figures.states} states) and ${PROPERTY_RUNS} random runs (seed ${PROPERTY_SEED})`,
    { figures },
  );
}

// ── 4.4 ─────────────────────────────────────────────────────────────────────────────────────

/** The model's response to a late confirm, as the option the student chooses from. */
const optionFor: Record<ConfirmResponse, RetrySafetyAnswer['retryAfterConfirmGets']> = {
  replayed: 'the first response replayed',
  unexpected_state_error: 'an unexpected-state error',
  executed: 'a second charge',
};

/** The events a student may name (the model's, but CONFIRM_SENT, which is the client's). */
const intentEventTypes: readonly IntentEventType[] = [
  'ATTACH_PAYMENT_METHOD',
  'CONFIRM_RECEIVED',
  'CUSTOMER_AUTHENTICATES',
  'AUTHENTICATION_FAILS',
  'CARD_AUTHORISED',
  'CARD_DECLINED',
  'CAPTURE',
  'CANCEL',
  'AUTHORISATION_EXPIRES',
];

const paymentIntent: Task<ChapterFourAnswers> = {
  id: '4.4',
  title: 'Stripe’s PaymentIntent and retry safety',
  answer: 'answers.ts: paymentIntentTransitions() and confirmRetrySafety()',
  hint: 'Follow https://docs.stripe.com/payments/paymentintents/lifecycle: which status does each event move the intent to? A confirm executes only in requires_confirmation; what does a retry that arrives later find?',
  check(answers) {
    const given = answers.paymentIntentTransitions();
    if (!Array.isArray(given)) throw new WrongShape('4.4 paymentIntentTransitions() should return a list of { from, event, to }');
    given.forEach((t, i) =>
      expectShape(`4.4 paymentIntentTransitions()[${i}]`, t, { from: isOneOf(...statuses), event: isOneOf(...intentEventTypes), to: isOneOf(...statuses) }),
    );
    const lifecycle = modelTransitions();
    const { transitions, states } = lifecycle;
    const model = new Set(transitions.map(transitionId));
    const optional = new Set(lifecycle.selfLoops.map(transitionId));
    const yours = new Set(given.map((t: StatusTransition) => transitionId(t)));
    const missing = [...model].filter((t) => !yours.has(t));
    const extra = given.filter((t, i) => !model.has(transitionId(t)) && !optional.has(transitionId(t)) && given.findIndex((u) => transitionId(u) === transitionId(t)) === i);
    const figures: Record<string, number | string> = { states, transitions: transitions.length };
    if (missing.length || extra.length) {
      return fail(
        [
          missing.length ? `missing ${missing.length}: ${missing.join('; ')}` : '',
          extra.length ? `not in the model ${extra.length}: ${extra.map((t) => `${transitionId(t)} (${whyNotInModel(t, lifecycle)})`).join('; ')}` : '',
        ]
          .filter(Boolean)
          .join(' — '),
        { figures },
      );
    }
    const loopsListed = [...yours].filter((t) => optional.has(t));
    const safety = expectShape('4.4 confirmRetrySafety()', answers.confirmRetrySafety(), {
      confirmRetries: isOneOf('same_idempotency_key', 'new_idempotency_key', 'new_payment_intent'),
      retryAfterConfirmGets: isOneOf('the first response replayed', 'an unexpected-state error', 'a second charge'),
      successfulChargesPerIntentAtMost: isInteger,
    });
    if (safety.confirmRetries === 'new_payment_intent') {
      return fail('a new PaymentIntent per retry defeats the design: each intent allows one successful charge, so two intents for one order allow two. Retry the confirm of the same intent.', { figures });
    }
    const config = { ...intentScenario, confirmRetryKey: safety.confirmRetries === 'same_idempotency_key' ? ('same_key' as const) : ('new_key' as const) };
    const exploration = exploreIntent(config);
    const maxCharges = Math.max(...exploration.snapshots.map((s) => s.context.successfulCharges));
    // A retry arriving after its payment method's first confirm was executed.
    const answered = new Set(
      exploration.snapshots.flatMap((s) =>
        s.context.results.filter((r) => r.attempt > 1 && s.context.results.some((first) => first.attempt < r.attempt && first.response === 'executed' && first.key.split('_')[1] === r.key.split('_')[1])).map((r) => r.response),
      ),
    );
    const expected = answered.has('replayed') ? 'the first response replayed' : 'an unexpected-state error';
    figures.statesRetryConfig = exploration.figures.states;
    if (safety.successfulChargesPerIntentAtMost !== maxCharges) {
      return fail(`the model reaches at most ${maxCharges} successful charge(s) per intent, you say ${safety.successfulChargesPerIntentAtMost}`, { figures });
    }
    if (answered.has('executed')) {
      return fail(`with ${safety.confirmRetries.replaceAll('_', ' ')}, the model finds a late retry of a confirm that executes again: after a decline and a new card, the old retry confirms the new card without the customer asking (${exploration.figures.states} states explored)`, { figures });
    }
    if (safety.retryAfterConfirmGets !== expected) {
      const inWords = [...answered].map((response) => optionFor[response as keyof typeof optionFor]);
      return fail(`with ${safety.confirmRetries.replaceAll('_', ' ')}, a retry after the confirm executed gets “${inWords.join('” or “')}” in the model; you say “${safety.retryAfterConfirmGets}”`, { figures });
    }
    // Listing an event that leaves the status as it is, is not wrong: say so, and that it was not needed.
    const loopsNote = loopsListed.length ? ` (also listed, and accepted though the status does not change: ${loopsListed.join('; ')})` : '';
    return pass(
      `your ${transitions.length} status changes are exactly the model's (${states} states over 3 configs)${loopsNote}; with ${safety.confirmRetries.replaceAll('_', ' ')} a late retry gets “${expected}”, and no run has more than ${maxCharges} successful charge`,
      { figures },
    );
  },
};

export const chapter: Chapter<ChapterFourAnswers> = {
  number: 4,
  slug: '04-high-availability',
  title: 'High-availability payment processing',
  tasks: [architecture, crossRegionTransfer, circuitBreaker, paymentIntent],
  loadAnswers: importAnswersModule<ChapterFourAnswers>,
};

export { initialBalances, statusOf };
