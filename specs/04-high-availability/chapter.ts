/**
 * Chapter 4's four tasks, each with the one check that serves both `npm test` (against the
 * reference answers) and the grader (against a student's).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { fail, pass, type Chapter, type CheckResult, type Task, importAnswersModule } from '../../tools/grading/task.ts';
import { describedAs, expectShape, isInteger, isOneOf, WrongShape } from '../../tools/grading/shape.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import { localActions } from '../../models/cross-region-transfer/ledger.ts';
import { initialBalances, sagaScenario, type SagaConfig } from '../../models/cross-region-transfer/saga.ts';
import { twoPhaseScenario } from '../../models/cross-region-transfer/two-phase.ts';
import type { RegionFailoverConfig } from '../../models/region-failover/machine.ts';
import { letThrough, TIME_WINDOW_MARGIN, windowCapacity, type BreakerMode, type CircuitBreakerConfig, type CircuitBreakerEvent } from '../../models/circuit-breaker/machine.ts';
import { recoverySteps } from '../../models/circuit-breaker/timeout-recovery.ts';
import { describeBreakerState, describeBreakerStep, describeRecoveryState, describeRecoveryStep } from '../../models/circuit-breaker/describe.ts';
import { scenarioConfig as intentScenario, statuses, statusOf, type ConfirmResponse, type PaymentIntentConfig } from '../../models/payment-intent/machine.ts';
import { availabilityReport, downtimeBreakdown, downtimeMinutesPerYear, percent, TARGET, TARGET_TEXT, UNCITED_CEILING } from './availability.ts';
import { highAvailabilityScenario } from '../../models/cross-region-transfer/scenario.ts';
import { alwaysFinishes, endsSettled, noAcknowledgedWriteLost, singleWriter, twoPhaseNeverBlocks } from './invariants.ts';
import {
  exploreBreaker,
  exploreFailover,
  exploreTimeoutRecovery,
  exploreIntent,
  exploreSaga,
  exploreTwoPhase,
  failoverConfigFor,
  failoverTrace,
  lifecycleConfigs,
  modelTransitions,
  sagaTraceText,
  transitionId,
  twoPhaseTraceText,
  whyNotInModel,
  type BreakerExploration,
  type BreakerSnapshot,
} from './analysis.ts';
import { authorisationOutcomes, breakerScopeParts, closedBreaker, type ActiveActiveArchitecture, type AuthorisationOutcome, type BreakerPolicy, type BreakerState, type BreakerStepResult, type ChapterFourAnswers, type OutcomeClass, type CrossRegionAnswer, type IntentEventType, type RetrySafetyAnswer, type StatusTransition } from './answer-types.ts';
import { handOver } from '../../tools/grading/handed-over.ts';
import { valuesFor } from '../../tools/grading/property.ts';
import { memoByValue } from '../../tools/explore/memo.ts';

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
const isPercent = describedAs((v) => isNumber(v) && v >= 0 && v <= 100, 'a percentage from 0 to 100 (35 for 35 %)');
const isName = describedAs((v) => typeof v === 'string' && v.length > 0, 'a region name such as "us-east"');

// ── 4.1 ─────────────────────────────────────────────────────────────────────────────────────

/** The shortest promotion the check takes: detection by missed heartbeats, then an election across regions. */
export const MIN_PROMOTION_SECONDS = 1;

/** The share one region's failure stops today (the scenario's largest region): a design must do better. */
export const TODAYS_BLAST_RADIUS_PERCENT = highAvailabilityScenario.largestRegionSharePercent;

function checkArchitectureShape(arch: ActiveActiveArchitecture): void {
  expectShape('4.1 architecture()', arch, {
    componentAvailability: { databaseReplica: isFraction, regionServices: isFraction, globalRouting: isFraction, controlPlane: isFraction },
    availabilitySources: describedAs((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'), 'an object of sources by component ({} when none), each a string'),
    writes: isOneOf('home_region_only', 'any_region'),
    replication: isOneOf('asynchronous', 'synchronous', 'quorum'),
    failover: { fencing: isOneOf('none', 'local_epoch', 'lease_bounded_drift', 'lease_unbounded_drift'), promotionSeconds: isPromotionTime, regionFailuresPerYear: isNonNegative },
    rpoSeconds: isNonNegative,
    rtoSeconds: isNonNegative,
    duringPartition: isOneOf('refuse_writes_for_affected_accounts', 'accept_writes_on_both_sides'),
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
  if (arch.regions.length < 3) throw new WrongShape('4.1 architecture().regions should list at least 3 regions: the lease store that names each writer needs a majority that survives the loss of one region');
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
    return `region ${idle.name} homes 0 % of transactions: it writes nothing until a failover, which is active-passive`;
  }
  for (const [field, availability] of Object.entries(arch.componentAvailability) as [keyof typeof UNCITED_CEILING, number][]) {
    if (availability >= 1) {
      return `componentAvailability.${field} is 1: no component is perfect, and a perfect one makes any design reach ${TARGET_TEXT}`;
    }
    const ceiling = UNCITED_CEILING[field];
    const source = arch.availabilitySources[field];
    if (availability > ceiling.max && !(typeof source === 'string' && source.trim().length >= 8)) {
      return `componentAvailability.${field} is ${percent(availability, 4)} with no source in availabilitySources.${field}: above ${percent(ceiling.max, 2)}, ${ceiling.why}, a figure needs one`;
    }
  }
  if (arch.failover.promotionSeconds < MIN_PROMOTION_SECONDS) {
    return `failover.promotionSeconds is ${arch.failover.promotionSeconds}: a failure is noticed only after heartbeats are missed (Raft's election timeouts are 150–300 ms inside one datacenter: Ongaro and Ousterhout, USENIX ATC 2014; a health check runs every 10 or 30 s: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html), then a new writer is chosen across regions; under ${MIN_PROMOTION_SECONDS} s is not a promotion time`;
  }
  if (arch.failover.regionFailuresPerYear === 0) {
    return 'failover.regionFailuresPerYear is 0: regions do fail (that is why the design has failover), and each failure costs its accounts the promotion time';
  }
  return undefined;
}

/** The failover model's configs a descriptor is explored in: the visible check's one, an account homed in the largest region. */
export type FailoverConfigs = (arch: ActiveActiveArchitecture) => RegionFailoverConfig[];
const visibleFailoverConfigs: FailoverConfigs = (arch) => [failoverConfigFor(arch)];

/** 4.1's check, exploring the failover model in the configs `failoverConfigs` gives for the descriptor. */
export const architectureCheck = (failoverConfigs: FailoverConfigs) => (answers: ChapterFourAnswers): CheckResult => {
  const arch = answers.architecture();
  checkArchitectureShape(arch);
  const names = arch.regions.map((r) => r.name);
  const shares = arch.regions.reduce((s, r) => s + r.shareOfTransactionsPercent, 0);
  if (Math.abs(shares - 100) > 1e-9) {
    const fractions = Math.abs(shares - 1) < 1e-9 ? ': they look like fractions; give percentages from 0 to 100 (35 for 35 %)' : '';
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
      `writes is "any_region": every region accepts writes for every account, so each account has ${arch.regions.length} writers all the time, not only during a failover. Two regions can then accept conflicting writes to one balance (two debits that each saw enough funds), which no region can refuse (${singleWriter(failoverConfigFor(arch)).id} is broken from the first state on)`,
    );
  }

  if (arch.rtoSeconds < arch.failover.promotionSeconds) {
    return fail(`rtoSeconds ${arch.rtoSeconds} is less than your promotion time of ${arch.failover.promotionSeconds} s: the affected accounts cannot be written until promotion ends`);
  }
  if (arch.duringPartition === 'accept_writes_on_both_sides') {
    return fail(
      'during a partition you accept writes for an account on both sides: each side can then debit the same balance, and no side can refuse what it cannot see (CAP: a partitioned system chooses consistency or availability for those accounts; a ledger cannot give up consistency)',
    );
  }
  // Explored in order until one breaks a property (the later ones would only cost time): that
  // run's figures are the ones shown, else the first run's.
  const runs: { config: RegionFailoverConfig; exploration: ReturnType<typeof exploreFailover> }[] = [];
  for (const config of failoverConfigs(arch)) {
    runs.push({ config, exploration: exploreFailover(config) });
    if (runs.at(-1)!.exploration.violations.length > 0) break;
  }
  const { config: failoverConfig, exploration } = runs.find((r) => r.exploration.violations.length > 0) ?? runs[0]!;
  const report = availabilityReport(arch);
  const figures = {
    availability: percent(report.overall),
    downtimeMinutesPerYear: +downtimeMinutesPerYear(report.overall).toFixed(2),
    blastRadiusPercent: report.blastRadiusPercent,
    failoverStates: runs.reduce((n, r) => n + r.exploration.figures.states, 0),
  };
  const twoWriters = exploration.violations.find((v) => v.property.id === singleWriter(failoverConfig).id);
  if (twoWriters) {
    return fail(`${twoWriters.property.id} violated with ${arch.replication} replication and fencing “${arch.failover.fencing}”: two regions can acknowledge writes to one account (${exploration.figures.states} states explored)`, {
      trace: failoverTrace(failoverConfig, exploration, twoWriters.property.id),
      figures,
    });
  }
  const lost = exploration.violations.find((v) => v.property.id === noAcknowledgedWriteLost.id);
  if (lost) {
    return fail(`${lost.property.id} violated with ${arch.replication} replication: a payment acknowledged to the client is missing from the new writer after a failover, whatever your rpoSeconds (${arch.rpoSeconds}) says; for a ledger an acknowledged payment must survive (${exploration.figures.states} states explored)`, {
      trace: failoverTrace(failoverConfig, exploration, lost.property.id),
      figures,
    });
  }
  if (report.overall < TARGET) {
    // Which component eats the budget: the downtime split by component, then by region.
    const breakdown = downtimeBreakdown(arch);
    const [largest] = breakdown;
    const minutes = (m: number) => `${m.toFixed(2).padStart(8)} min`;
    const trace = [
      ...breakdown.map((b) => `${minutes(b.minutesPerYear)}  ${b.component}`),
      `${minutes(downtimeMinutesPerYear(report.overall))}  in all (the budget of ${TARGET_TEXT}: ${downtimeMinutesPerYear(TARGET).toFixed(2)} min)`,
      '',
      ...report.perRegion.map((r) => `${r.region} accounts (${r.sharePercent} % of transactions): ${percent(r.accounts)}`),
    ].join('\n');
    return fail(
      `computed availability ${percent(report.overall)} (${figures.downtimeMinutesPerYear} min of downtime a year) is below ${TARGET_TEXT} (${downtimeMinutesPerYear(TARGET).toFixed(2)} min); the largest part, ${largest!.minutesPerYear.toFixed(2)} min a year, is ${largest!.component}`,
      { trace, traceTitle: 'where the downtime goes, in minutes a year', figures },
    );
  }
  if (report.blastRadiusPercent >= TODAYS_BLAST_RADIUS_PERCENT) {
    return fail(
      `one region's failure stops ${report.blastRadiusPercent} % of transactions (the accounts homed in ${report.worstRegion}): no better than today's ${TODAYS_BLAST_RADIUS_PERCENT} % from ${highAvailabilityScenario.largestRegion}`,
      { figures },
    );
  }
  if (Math.abs(arch.oneRegionFailureAffectsPercent - report.blastRadiusPercent) > 0.5) {
    const said = arch.oneRegionFailureAffectsPercent;
    const fraction = said > 0 && said <= 1 ? `: ${said} looks like a fraction; oneRegionFailureAffectsPercent is a percentage from 0 to 100 (35 for 35 %)` : '';
    return fail(
      `you say one region's failure affects ${said} % of transactions, which is not what your regions' shares give for the region whose failure stops the most, until its accounts fail over${fraction}`,
      // The computed share stays out of the figures too: it is the value asked for.
      { figures: { availability: figures.availability, failoverStates: figures.failoverStates } },
    );
  }
  return pass(
    `availability ${percent(report.overall)} ≥ ${TARGET_TEXT} (${figures.downtimeMinutesPerYear} min/year, control plane counted); in all ${figures.failoverStates} states of failover, partitions and cut-off regions, one region at most acknowledges writes and no acknowledged payment is lost; a region's failure affects at most ${report.blastRadiusPercent} % of transactions, for ${arch.failover.promotionSeconds} s`,
    { figures },
  );
};

const architecture: Task<ChapterFourAnswers> = {
  id: '4.1',
  title: 'Multi-region active-active payments database',
  answer: 'answers.ts: architecture()',
  hint: 'A region that is cut off but alive cannot see the lease store: what still stops it from acknowledging writes? When a write is acknowledged, which replicas hold it, and is the new writer one of them? What does a failover itself depend on, and how available is that?',
  check: architectureCheck(visibleFailoverConfigs),
};

// ── 4.2 ─────────────────────────────────────────────────────────────────────────────────────

/** The saga model run with the student's steps. */
export const sagaConfigFor = (answer: CrossRegionAnswer): SagaConfig => ({ ...sagaScenario, steps: answer.steps });

/** How many crashes (of the coordinator or orchestrator) and partitions one run of the transfer may have. */
export interface TransferFaults {
  crashes: number;
  partitions: number;
}
const visibleFaults: TransferFaults = { crashes: 1, partitions: 1 };

/** 4.2's check, with the transfer models allowed `faults` in one run. */
export const crossRegionCheck = (faults: TransferFaults) => (answers: ChapterFourAnswers): CheckResult => {
  const answer = expectShape('4.2 crossRegionTransfer()', answers.crossRegionTransfer(), { protocol: isOneOf('two_phase_commit', 'saga') });
  if (answer.protocol === 'two_phase_commit') {
    const { coordinator } = expectShape('4.2 crossRegionTransfer()', answer, { coordinator: isOneOf('single_node', 'replicated_consensus') });
    const run = exploreTwoPhase({ ...twoPhaseScenario, coordinator: coordinator!, maxCoordinatorCrashes: faults.crashes, maxPartitions: faults.partitions });
    const e = run.exploration;
    const figures = { states: e.figures.states, transitions: e.figures.transitions, completed: run.ends.completed.length, compensated: run.ends.compensated.length };
    const blocked = e.violations.find((v) => v.property.id === twoPhaseNeverBlocks.id);
    if (blocked) {
      return fail(`2PC blocks: ${twoPhaseNeverBlocks.id} (“${twoPhaseNeverBlocks.statement}”) is violated after ${blocked.trace.steps.length} steps (${e.figures.states} states explored)`, {
        trace: twoPhaseTraceText(blocked.trace),
        figures,
      });
    }
    const other = e.violations[0];
    if (other) return fail(`${other.property.id} violated: ${other.property.statement}`, { trace: twoPhaseTraceText(other.trace), figures });
    if (run.stuck.length > 0) return fail(`${alwaysFinishes.id}: ${run.stuck.length} reachable states from which the transfer can never finish`, { trace: twoPhaseTraceText(e.pathTo(run.stuck[0]!)), figures });
    if (run.ends.unsettled.length + run.ends.blocked.length > 0) {
      return fail(`${endsSettled.id} violated: ${run.ends.unsettled.length + run.ends.blocked.length} of ${e.figures.terminal} finished runs leave money in transit or a lock held`, { figures });
    }
    return pass(
      `2PC over a coordinator replicated by consensus: over ${e.figures.states} states with a coordinator crash, a partition and refusals, no participant waits on a crashed coordinator, every run finishes settled (${figures.completed} completed, ${figures.compensated} aborted end states); the price is latency: each decision is a consensus write across regions before any participant hears it, and locks are held across it`,
      { figures },
    );
  }
  if (!Array.isArray(answer.steps) || answer.steps.length === 0 || answer.steps.length > 4) {
    throw new WrongShape('4.2 crossRegionTransfer().steps should list 1 to 4 steps');
  }
  answer.steps.forEach((step, i) =>
    expectShape(`4.2 crossRegionTransfer().steps[${i}]`, step, { action: isOneOf(...localActions), compensation: isOneOf(...localActions, null) }),
  );
  const config = { ...sagaConfigFor(answer), maxOrchestratorCrashes: faults.crashes, maxPartitions: faults.partitions };
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
};

const crossRegionTransfer: Task<ChapterFourAnswers> = {
  id: '4.2',
  title: 'Cross-region transactions (a cross-border payment)',
  answer: 'answers.ts: crossRegionTransfer()',
  hint: 'What does a participant that voted yes do while its coordinator is down, and what if the coordinator’s decision survived its crash? If money moves one region at a time, what undoes a step when a later one is refused?',
  check: crossRegionCheck(visibleFaults),
};

// ── 4.3 ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The policies the check accepts, each bound with its reason. The model keeps counts, not the
 * calls: a count window of 100 calls is about 5,000 states, explored in well under a second,
 * and every transition of every state is then put to the student's function once.
 */
export const BREAKER_BOUNDS = {
  countWindowCalls: { min: 10, max: 100 },
  timeWindowSeconds: { min: 1, max: 120 },
  minimumCalls: { min: 10, max: 100 },
  halfOpenProbes: { min: 1, max: 10 },
  waitInOpenSeconds: { min: 1, max: 300 },
  /** The fewest failures that may open the breaker: one timeout, which a healthy network has now and then, must not. */
  fewestFailuresToOpen: 2,
};

/** Walks through the breaker model's graph, each carrying the student's own state (seeded by PROPERTY_SEED). */
export const BREAKER_WALKS = 100;

/** Outcomes that say the network or the acquirer did not work: a breaker must count them as failures. */
const TECHNICAL_FAILURES: readonly AuthorisationOutcome[] = ['timeout', 'gateway_5xx', 'connection_error'];
/** The issuer's answers: the network worked, whatever the issuer decided. */
const ISSUER_DECLINES: readonly AuthorisationOutcome[] = ['declined_do_not_honour', 'declined_insufficient_funds', 'declined_expired_card'];

const inRange = (range: { min: number; max: number }, integer = true) =>
  describedAs((v) => isNumber(v) && (!integer || Number.isInteger(v)) && v >= range.min && v <= range.max, `${integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}`);

function checkPolicyShape(policy: BreakerPolicy): BreakerPolicy {
  const b = BREAKER_BOUNDS;
  expectShape('4.3 breakerPolicy()', policy, {
    scope: describedAs((v) => Array.isArray(v) && v.length > 0 && v.every((p) => breakerScopeParts.includes(p)), `a non-empty list of ${breakerScopeParts.map((p) => `"${p}"`).join(', ')}`),
    windowKind: isOneOf('calls', 'seconds'),
    windowSize: describedAs((v) => isNumber(v) && v > 0, 'a number > 0'),
    minimumCalls: inRange(b.minimumCalls),
    failureRateThresholdPercent: describedAs((v) => isNumber(v) && v > 0 && v <= 100, 'a percentage above 0 and at most 100 (50 for 50 %)'),
    waitInOpenSeconds: inRange(b.waitInOpenSeconds, false),
    halfOpenProbes: inRange(b.halfOpenProbes),
    halfOpenDecision: isOneOf('failure_rate_after_all_probes', 'first_failed_probe_reopens'),
    afterTimeout: describedAs((v) => Array.isArray(v) && v.length <= 4 && v.every((s) => recoverySteps.includes(s)), `a list of at most 4 of ${recoverySteps.map((s) => `"${s}"`).join(', ')}`),
  });
  const range = policy.windowKind === 'calls' ? b.countWindowCalls : b.timeWindowSeconds;
  expectShape('4.3 breakerPolicy()', policy, { windowSize: inRange(range, policy.windowKind === 'calls') });
  return policy;
}

/** What is wrong with the classification, in the network's terms; undefined when nothing is. */
function misclassified(answers: ChapterFourAnswers): string | undefined {
  const classOf = new Map<AuthorisationOutcome, OutcomeClass>();
  for (const outcome of authorisationOutcomes) {
    const c = answers.classifyOutcome(outcome);
    if (!(['failure', 'success', 'not_counted'] as unknown[]).includes(c)) throw new WrongShape(`classifyOutcome("${outcome}") returned ${JSON.stringify(c)}, not "failure", "success" or "not_counted"`);
    classOf.set(outcome, c);
  }
  const decline = ISSUER_DECLINES.find((o) => classOf.get(o) === 'failure');
  if (decline) {
    return `classifyOutcome counts "${decline}" as a failure. A decline is the issuer's answer, carried by a network that worked: on a day when many cards are declined, your breaker opens and refuses every payment through a healthy network`;
  }
  const missed = TECHNICAL_FAILURES.find((o) => classOf.get(o) !== 'failure');
  if (missed) {
    return `classifyOutcome counts "${missed}" as ${classOf.get(missed) === 'success' ? 'a success' : 'nothing'}: during an outage of the acquirer or the network, such outcomes are all there is, and your breaker never opens`;
  }
  if (classOf.get('approved') === 'failure') return 'classifyOutcome counts an approval as a failure: every payment that goes through pushes the breaker towards open';
  if (classOf.get('approved') === 'not_counted') {
    return 'classifyOutcome does not count approvals: the window then holds only the calls that went wrong, its failure rate is 100 % as soon as it holds any, and one bad minute opens the breaker';
  }
  return undefined;
}

function badScope(policy: BreakerPolicy): string | undefined {
  if (!policy.scope.includes('network')) {
    return `your breakers are scoped by ${policy.scope.join(' and ')}: a Visa outage then opens the breaker that Mastercard payments go through too`;
  }
  if (!policy.scope.includes('acquirer')) {
    return `your breakers are scoped by ${policy.scope.join(' and ')}: the payments of one card network reach it along several paths, and when one path fails your breaker either opens for all of them or has the failures diluted by the healthy ones`;
  }
  return undefined;
}

/** The first policy figure outside what the check accepts for card traffic, as a message. */
function insanePolicy(p: BreakerPolicy): string | undefined {
  const { fewestFailuresToOpen } = BREAKER_BOUNDS;
  if (p.windowKind === 'calls' && p.minimumCalls > p.windowSize) {
    return `minimumCalls ${p.minimumCalls} is more than a count window of ${p.windowSize} calls can hold: the failure rate is never judged, so the breaker never opens, even in a total outage`;
  }
  const fewest = Math.ceil((p.failureRateThresholdPercent * p.minimumCalls) / 100 - 1e-9);
  if (fewest < fewestFailuresToOpen) {
    return `with minimumCalls ${p.minimumCalls} and a threshold of ${p.failureRateThresholdPercent} %, ${fewest} failed call(s) can open the breaker: a single timeout, which a healthy network has now and then, would refuse every payment of the network for the wait in open state`;
  }
  return undefined;
}

export const breakerConfigFor = (p: BreakerPolicy): CircuitBreakerConfig => ({
  network: 'visa',
  acquirer: 'acquirer_a',
  windowKind: p.windowKind,
  windowSize: p.windowSize,
  minimumCalls: p.minimumCalls,
  failureRateThresholdPercent: p.failureRateThresholdPercent,
  halfOpenProbes: p.halfOpenProbes,
  halfOpenDecision: p.halfOpenDecision,
  waitInOpenSeconds: p.waitInOpenSeconds,
  timeWindowCallsExplored: p.minimumCalls + TIME_WINDOW_MARGIN,
});

/**
 * Thrown when breakerStep changes what it was given. Its contract is a pure function: the
 * payment service keeps one state per breaker and may read it concurrently, and a step that
 * edits it in place changes the breaker even when its result is not kept.
 */
export class ImpureStep extends Error {
  override name = 'ImpureStep';
}

const stateFields = ['mode', 'callsInWindow', 'failuresInWindow', 'probesSent', 'probesSucceeded', 'probesFailed'] as const;

const breakerStateOf = (s: BreakerSnapshot): BreakerState => ({ mode: s.value as BreakerMode, ...s.context });

/** The fields of a returned state that differ from the model's (names only: the model's values are not shown). */
const differingFields = (yours: BreakerState, model: BreakerState) => stateFields.filter((f) => yours[f] !== model[f]);

/**
 * Whether `value` is written as JSON as `like` is. Most calls change nothing, and a flat object
 * with the same keys in the same order and the same primitive values is written alike: that is
 * decided without writing either (4.3 asks three times per step, for tens of thousands of steps).
 */
function writesAs(value: object, like: object): boolean {
  const [keys, likeKeys] = [Object.keys(value), Object.keys(like)];
  const flatAndSame =
    keys.length === likeKeys.length &&
    keys.every((key, i) => {
      const v = (value as Record<string, unknown>)[key];
      return key === likeKeys[i] && v === (like as Record<string, unknown>)[key] && (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)));
    });
  return flatAndSame || JSON.stringify(value) === JSON.stringify(like);
}

/**
 * One call of the student's breakerStep, with plain data, checked for the shape of its result
 * and for purity. `policy` is the answer's policy as JSON, and read back once, to compare with.
 */
function stepOnce(answers: ChapterFourAnswers, state: BreakerState, event: CircuitBreakerEvent, policy: { json: string; read: object }) {
  // Copies, handed over: in its sandbox too, what the step does to them is done to them here.
  const given = handOver({ ...state });
  const input = handOver({ type: event.type });
  const givenPolicy = handOver(JSON.parse(policy.json) as BreakerPolicy);
  const result: unknown = answers.breakerStep(given, input as CircuitBreakerEvent, givenPolicy);
  const r = result as BreakerStepResult;
  if (typeof r !== 'object' || r === null || typeof r.state !== 'object' || r.state === null || typeof r.letThrough !== 'boolean') {
    throw new WrongShape(`breakerStep returned ${JSON.stringify(result)}, not { state, letThrough }`);
  }
  if (!isOneOf('closed', 'open', 'half_open')(r.state.mode) || stateFields.slice(1).some((f) => !Number.isSafeInteger(r.state[f]))) {
    throw new WrongShape(`breakerStep returned the state ${JSON.stringify(r.state)}: a mode and five integer counts`);
  }
  // Each as JSON shows it, as the sandbox can show it: a field added, deleted or changed.
  if (!writesAs(given, state) || !writesAs(input, { type: event.type }) || !writesAs(givenPolicy, policy.read)) {
    throw new ImpureStep(`your breakerStep changed the state, input or policy it was given (${event.type} in ${state.mode}): it must be a pure function, returning a new state and leaving what it was given as it was, since the service keeps the old state (one per breaker, read by concurrent calls)`);
  }
  return { state: { mode: r.state.mode, callsInWindow: r.state.callsInWindow, failuresInWindow: r.state.failuresInWindow, probesSent: r.state.probesSent, probesSucceeded: r.state.probesSucceeded, probesFailed: r.state.probesFailed }, letThrough: r.letThrough };
}

const throughWords = (event: CircuitBreakerEvent, through: boolean) => (event.type === 'CALL_REQUESTED' ? (through ? ', call let through' : ', call refused') : '');
const breakerFormat = { step: describeBreakerStep, state: describeBreakerState };

/** Walks' choices, 50 steps up to `maxLength`: one arbitrary per length, so that its draws are made once. */
const walksOfLength = memoByValue((maxLength: number) => fc.array(fc.nat(), { minLength: 50, maxLength }));

/**
 * Model-based testing of breakerStep: every transition of every reachable state of the model,
 * put to the student's function from the model's state; then walks through the model's graph
 * with the student's own states threaded through, under a fixed seed.
 */
function conformsToModel(answers: ChapterFourAnswers, policy: BreakerPolicy, { walks: walkCount, seed }: BreakerWalks) {
  const config = breakerConfigFor(policy);
  const exploration = exploreBreaker(config);
  const policyAsJson = { json: JSON.stringify(policy), read: JSON.parse(JSON.stringify(policy)) as object };
  const figures: Record<string, number | string> = { states: exploration.figures.states, transitions: exploration.edges.length };
  const snapshots = exploration.snapshots;
  const eventOf = (type: string) => ({ type }) as CircuitBreakerEvent;
  const disagreement = (path: ReturnType<BreakerExploration['pathTo']>, event: CircuitBreakerEvent, yours: BreakerStepResult, model: BreakerSnapshot, before: BreakerSnapshot) => {
    // A wrong mode makes every count differ too: name the mode alone.
    const fields = yours.state.mode !== model.value ? ['mode'] : differingFields(yours.state, breakerStateOf(model));
    const through = event.type === 'CALL_REQUESTED' && yours.letThrough !== letThrough(before, model) ? ['letThrough'] : [];
    if (fields.length === 0 && through.length === 0) return undefined;
    const lines = [formatTrace(path, breakerFormat), `  then: ${describeBreakerStep(event, before, before).replace(/: (let through|refused).*$/, '')}`];
    lines.push(`  your breakerStep: ${describeBreakerState({ value: yours.state.mode, context: yours.state })}${throughWords(event, yours.letThrough)}`);
    lines.push(`  ^ differs from the model in: ${[...fields, ...through].join(', ')}`);
    return lines.join('\n');
  };
  for (const edge of exploration.edges) {
    const before = snapshots[edge.from]!;
    const event = eventOf(edge.eventType);
    const yours = stepOnce(answers, breakerStateOf(before), event, policyAsJson);
    const wrong = disagreement(exploration.pathTo(edge.from), event, yours, snapshots[edge.to]!, before);
    if (wrong) return fail(`your breakerStep disagrees with the model after the run below (${figures.states} states explored)`, { trace: wrong, figures });
  }
  // Walks through the graph: the student's own state carried from step to step.
  const outgoing = snapshots.map(() => [] as typeof exploration.edges);
  for (const edge of exploration.edges) outgoing[edge.from]!.push(edge);
  const walks = valuesFor(walksOfLength(4 * windowCapacity(config) + 50), { seed, numRuns: walkCount });
  for (const choices of walks) {
    let at = 0;
    let mine: BreakerState = { ...closedBreaker };
    const steps: { event: CircuitBreakerEvent; snapshot: BreakerSnapshot }[] = [];
    for (const choice of choices) {
      const edge = outgoing[at]![choice % outgoing[at]!.length]!;
      const event = eventOf(edge.eventType);
      const yours = stepOnce(answers, mine, event, policyAsJson);
      // The path is read only to word a disagreement, at once: no copy per step.
      const wrong = disagreement({ initial: snapshots[0]!, steps }, event, yours, snapshots[edge.to]!, snapshots[at]!);
      if (wrong) return fail(`your breakerStep disagrees with the model on a longer run (seed ${seed}), carrying its own state from step to step`, { trace: wrong, figures });
      steps.push({ event, snapshot: snapshots[edge.to]! });
      mine = yours.state;
      at = edge.to;
    }
  }
  figures.walks = walkCount;
  figures.seed = seed;
  return { figures, exploration };
}

/** The seeded walks through the breaker model that follow the exhaustive pass. */
export interface BreakerWalks {
  walks: number;
  seed: number;
}
const visibleWalks: BreakerWalks = { walks: BREAKER_WALKS, seed: PROPERTY_SEED };

/** 4.3's check, with `walks` seeded walks after the exhaustive pass. */
export const circuitBreakerCheck = (walks: BreakerWalks) => (answers: ChapterFourAnswers): CheckResult => {
  const policy = checkPolicyShape(answers.breakerPolicy());
  const classification = misclassified(answers);
  if (classification) return fail(classification);
  const scope = badScope(policy);
  if (scope) return fail(scope);
  const insane = insanePolicy(policy);
  if (insane) return fail(insane);
  const recovery = exploreTimeoutRecovery({ plan: policy.afterTimeout });
  if (recovery.broken) {
    const r = recovery.exploration;
    return fail(`after a timed-out authorisation, your plan breaks ${recovery.broken.property.id}: ${recovery.broken.property.statement}`, {
      trace: formatTrace(r.pathTo(recovery.broken.state), { step: describeRecoveryStep({ plan: policy.afterTimeout }), state: describeRecoveryState }),
      figures: { recoveryStates: r.figures.states },
    });
  }
  const paid = recovery.exploration.snapshots.some((s) => s.context.answer === 'paid');
  try {
    const conformance = conformsToModel(answers, policy, walks);
    if ('status' in conformance) return conformance;
    const { figures, exploration } = conformance;
    figures.recoveryStates = recovery.exploration.figures.states;
    return pass(
      `outcomes classified as a card network needs; one breaker per ${policy.scope.join(' and ')}; your breakerStep agrees with the model on all ${exploration.edges.length} transitions of its ${exploration.figures.states} states and on ${walks.walks} longer runs (seed ${walks.seed}); after a timeout your plan never leaves two holds on a card, nor one on a payment not made${paid ? '' : ' (it never reroutes: the payment is declined when a request times out)'}`,
      { figures },
    );
  } catch (error) {
    if (error instanceof ImpureStep) return fail(error.message);
    throw error;
  }
};

const circuitBreaker: Task<ChapterFourAnswers> = {
  id: '4.3',
  title: 'Circuit breaker for card network calls',
  answer: 'answers.ts: breakerPolicy(), classifyOutcome() and breakerStep()',
  hint: 'Which outcomes say the network is unwell, and which only say the issuer said no? What does one breaker guard? Over how many calls is a failure rate worth judging? After a timeout, could the cardholder already hold an approval you never saw?',
  check: circuitBreakerCheck(visibleWalks),
};

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

/** The PaymentIntent configs a retry choice is run in (its retry key set from the answer): the visible check's one, manual capture. */
export type RetryConfigs = readonly Omit<PaymentIntentConfig, 'confirmRetryKey'>[];
const visibleRetryConfigs: RetryConfigs = [intentScenario];

/** 4.4's check, running the retry choice in each of `retryConfigs`. */
export const paymentIntentCheck = (retryConfigs: RetryConfigs) => (answers: ChapterFourAnswers): CheckResult => {
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
  const missing = [...model].filter((t) => !yours.has(t)).length;
  const extra = given.filter((t, i) => !model.has(transitionId(t)) && !optional.has(transitionId(t)) && given.findIndex((u) => transitionId(u) === transitionId(t)) === i);
  const figures: Record<string, number | string> = { states, transitions: transitions.length };
  // A wrong arrow is explained (it is the student's own claim); a missing one is only counted,
  // so that the message never lists the arrows to add.
  if (extra.length > 0) {
    return fail(
      `${extra.length} of your status changes the model never makes: ${extra.map((t) => `${transitionId(t)} (${whyNotInModel(t, lifecycle)})`).join('; ')}${missing ? `; and ${missing} status change(s) it makes are not in your list` : ''}`,
      { figures },
    );
  }
  if (missing > 0) {
    return fail(`${missing} status change(s) the model makes are not in your list (manual and automatic capture, 3-D Secure, declines, cancel, expiry, a confirm that supplies its payment method)`, { figures });
  }
  const loopsListed = [...yours].filter((t) => optional.has(t));
  const safety = expectShape('4.4 confirmRetrySafety()', answers.confirmRetrySafety(), {
    confirmRetries: isOneOf('same_idempotency_key', 'new_idempotency_key', 'new_payment_intent'),
    retryAfterConfirmGets: isOneOf('the first response replayed', 'an unexpected-state error', 'a second charge'),
    successfulChargesPerIntentAtMost: isInteger,
    orderStores: isOneOf('the_payment_intent_id', 'nothing'),
    retryAfterKeysExpired: isOneOf('the_payment_intent_of_the_order', 'a_new_payment_intent'),
  });
  if (safety.confirmRetries === 'new_payment_intent') {
    return fail('a new PaymentIntent per retry defeats the design: each intent allows one successful charge, so two intents for one order allow two', { figures });
  }
  const confirmRetryKey = safety.confirmRetries === 'same_idempotency_key' ? ('same_key' as const) : ('new_key' as const);
  const explorations = retryConfigs.map((config) => exploreIntent({ ...config, confirmRetryKey }));
  const exploration = { figures: { states: explorations.reduce((n, e) => n + e.figures.states, 0) } };
  const maxCharges = explorations.reduce((m, e) => e.snapshots.reduce((n, s) => Math.max(n, s.context.successfulCharges), m), 0);
  // A retry arriving after its payment method's first confirm was executed.
  const answered = new Set(
    explorations.flatMap((e) =>
      e.snapshots.flatMap((s) =>
        s.context.results.filter((r) => r.attempt > 1 && s.context.results.some((first) => first.attempt < r.attempt && first.response === 'executed' && first.key.split('_')[1] === r.key.split('_')[1])).map((r) => r.response),
      ),
    ),
  );
  figures.statesRetryConfig = exploration.figures.states;
  if (safety.successfulChargesPerIntentAtMost !== maxCharges) {
    return fail(`the model’s runs disagree with your ${safety.successfulChargesPerIntentAtMost} as the most successful charges one intent can end with (${exploration.figures.states} states explored)`, { figures });
  }
  if (answered.has('executed')) {
    return fail(`with ${safety.confirmRetries.replaceAll('_', ' ')}, the model finds a late retry of a confirm that executes again: after a decline and a new card, the old retry confirms the new card without the customer asking (${exploration.figures.states} states explored)`, { figures });
  }
  const retryGets = (option: RetrySafetyAnswer['retryAfterConfirmGets']) => [...answered].some((response) => optionFor[response as ConfirmResponse] === option);
  if (!retryGets(safety.retryAfterConfirmGets)) {
    return fail(`with ${safety.confirmRetries.replaceAll('_', ' ')}, no retry that arrives after the confirm executed gets “${safety.retryAfterConfirmGets}” in the model`, { figures });
  }
  // Days later: the keys may be gone; the intent's status still stands between a retry and a charge.
  if (safety.retryAfterKeysExpired === 'a_new_payment_intent') {
    return fail(
      `a retry days later on a new PaymentIntent: once the idempotency keys are removed, nothing ties it to the first attempt, and each of the two intents allows ${maxCharges} successful charge, so the order can be charged ${2 * maxCharges} times`,
      { figures },
    );
  }
  if (safety.orderStores === 'nothing') {
    return fail('the retry days later acts on the PaymentIntent of the order, but the order keeps nothing to find it by once the idempotency keys are removed', { figures });
  }
  const loopsNote = loopsListed.length ? ` (also listed, and accepted though the status does not change: ${loopsListed.join('; ')})` : '';
  return pass(
    `your ${transitions.length} status changes are exactly the model's (${states} states over ${lifecycleConfigs.length} configs)${loopsNote}; with ${safety.confirmRetries.replaceAll('_', ' ')} a late retry gets “${safety.retryAfterConfirmGets}”, no run has more than ${maxCharges} successful charge, and a retry days later finds the order's own intent`,
    { figures },
  );
};

const paymentIntent: Task<ChapterFourAnswers> = {
  id: '4.4',
  title: 'Stripe’s PaymentIntent and retry safety',
  answer: 'answers.ts: paymentIntentTransitions() and confirmRetrySafety()',
  hint: 'In which statuses can a confirm charge the card, and what does a retry that arrives later find there? A retry days later may find no idempotency key left: what still tells it which payment it is?',
  check: paymentIntentCheck(visibleRetryConfigs),
};

export const chapter: Chapter<ChapterFourAnswers> = {
  number: 4,
  slug: '04-high-availability',
  title: 'High-availability payment processing',
  tasks: [architecture, crossRegionTransfer, circuitBreaker, paymentIntent],
  loadAnswers: importAnswersModule<ChapterFourAnswers>,
  // The explorations that do not depend on an answer (they are memoised): run before any
  // task's clock starts, so that an answer's time is its own.
  async prepare() {
    modelTransitions();
    for (const confirmRetryKey of ['same_key', 'new_key'] as const) exploreIntent({ ...intentScenario, confirmRetryKey });
    for (const coordinator of ['single_node', 'replicated_consensus'] as const) exploreTwoPhase({ ...twoPhaseScenario, coordinator });
  },
};

export { initialBalances, statusOf };
