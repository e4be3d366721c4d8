/**
 * What the models say about chapter 4's scenario. The checks compare a student's answers with
 * these results, and the answer key prints them: both come from the same runs.
 */
import { memoByValue } from '../../tools/explore/memo.ts';
import { explore, type Exploration } from '../../tools/explore/explore.ts';
import { formatTrace } from '../../tools/render/trace.ts';
import {
  candidateEvents as failoverEvents,
  createRegionFailoverModel,
  type RegionFailoverConfig,
  type RegionFailoverEvent,
  type RegionFailoverSnapshot,
} from '../../models/region-failover/machine.ts';
import { describeFailoverState, describeFailoverStep } from '../../models/region-failover/describe.ts';
import { settlement } from '../../models/cross-region-transfer/ledger.ts';
import { createSagaTransferModel, sagaEvents, type SagaConfig, type SagaEvent, type SagaSnapshot } from '../../models/cross-region-transfer/saga.ts';
import {
  createTwoPhaseTransferModel,
  twoPhaseEvents,
  type TwoPhaseSnapshot,
  type TwoPhaseTransferConfig,
  type TwoPhaseTransferEvent,
} from '../../models/cross-region-transfer/two-phase.ts';
import { describeSagaState, describeSagaStep, describeTwoPhaseState, describeTwoPhaseStep } from '../../models/cross-region-transfer/describe.ts';
import {
  candidateEvents as breakerEvents,
  createCircuitBreakerModel,
  type CircuitBreakerConfig,
  type CircuitBreakerContext,
  type CircuitBreakerEvent,
} from '../../models/circuit-breaker/machine.ts';
import {
  candidateEvents as intentEvents,
  createPaymentIntentModel,
  scenarioConfig as intentScenario,
  statusOf,
  terminalStatuses,
  type PaymentIntentConfig,
  type PaymentIntentEvent,
  type PaymentIntentSnapshot,
} from '../../models/payment-intent/machine.ts';
import {
  createTimeoutRecoveryModel,
  timeoutRecoveryEvents,
  type TimeoutRecoveryConfig,
  type TimeoutRecoveryEvent,
  type TimeoutRecoverySnapshot,
} from '../../models/circuit-breaker/timeout-recovery.ts';
import {
  atMostOneSuccessfulCharge,
  noAcknowledgedWriteLost,
  noStrandedHold,
  oneHoldAtATime,
  breakerStepProperties,
  captureWithinAuthorised,
  halfOpenProbesBounded,
  moneyConserved,
  noUnsecuredPayout,
  singleWriter,
  terminalStatusesAbsorb,
  twoPhaseNeverBlocks,
} from './invariants.ts';
import type { ActiveActiveArchitecture, StatusTransition } from './answer-types.ts';

const memo = memoByValue;

// ── 4.1 ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The failover model for a descriptor: an account homed in the region with the largest share,
 * failing over as planned, with its third replica in the next region of the list.
 */
export function failoverConfigFor(arch: ActiveActiveArchitecture, homeName?: string): RegionFailoverConfig {
  const home = arch.regions.find((r) => r.name === homeName) ?? [...arch.regions].sort((a, b) => b.shareOfTransactionsPercent - a.shareOfTransactionsPercent)[0]!;
  const third = arch.regions.find((r) => r.name !== home.name && r.name !== home.failoverTo)!;
  return { regions: [home.name, home.failoverTo, third.name], replication: arch.replication, fencing: arch.failover.fencing, maxRegionFailures: 1, maxWrites: 2 };
}

export type FailoverExploration = Exploration<RegionFailoverSnapshot, RegionFailoverEvent>;

export const exploreFailover = memo((config: RegionFailoverConfig): FailoverExploration => {
  const events = failoverEvents(config);
  return explore(createRegionFailoverModel(config), {
    events: () => events,
    invariants: [singleWriter(config), noAcknowledgedWriteLost],
    stopAtFirstViolation: false,
  }) as FailoverExploration;
});

/** The shortest run breaking `id`, as text, or undefined. */
export function failoverTrace(config: RegionFailoverConfig, exploration: FailoverExploration, id?: string): string | undefined {
  const violation = exploration.violations.find((v) => id === undefined || v.property.id === id);
  if (!violation) return undefined;
  return formatTrace(violation.trace, { step: describeFailoverStep(config), state: describeFailoverState(config) });
}

// ── 4.2 ─────────────────────────────────────────────────────────────────────────────────────

export type SagaExploration = Exploration<SagaSnapshot, SagaEvent>;
export type TwoPhaseExploration = Exploration<TwoPhaseSnapshot, TwoPhaseTransferEvent>;

/** States from which no terminal state can be reached (the run can never finish). */
function stuckStates(exploration: { snapshots: unknown[]; edges: { from: number; to: number }[]; terminal: number[] }): number[] {
  const into = new Map<number, number[]>();
  for (const { from, to } of exploration.edges) into.set(to, [...(into.get(to) ?? []), from]);
  const canFinish = new Set(exploration.terminal);
  const queue = [...exploration.terminal];
  while (queue.length) {
    for (const from of into.get(queue.pop()!) ?? []) if (!canFinish.has(from)) (canFinish.add(from), queue.push(from));
  }
  return exploration.snapshots.map((_, i) => i).filter((i) => !canFinish.has(i));
}

export interface TransferVerdict<TExploration> {
  exploration: TExploration;
  /** Terminal states by how the transfer ended; `blocked`: a participant still holds its lock, for good. */
  ends: Record<'completed' | 'compensated' | 'unsettled' | 'blocked', number[]>;
  stuck: number[];
}

function verdict<T extends { snapshots: { context: { balances: import('../../models/cross-region-transfer/ledger.ts').Balances } }[]; edges: { from: number; to: number }[]; terminal: number[] }>(
  exploration: T,
  config: { initial: import('../../models/cross-region-transfer/ledger.ts').Balances; amountMinor: number },
  holdsLocks: (snapshot: T['snapshots'][number]) => boolean = () => false,
): TransferVerdict<T> {
  const ends: TransferVerdict<T>['ends'] = { completed: [], compensated: [], unsettled: [], blocked: [] };
  for (const i of exploration.terminal) {
    const snapshot = exploration.snapshots[i]!;
    ends[holdsLocks(snapshot) ? 'blocked' : settlement(snapshot.context.balances, config.initial, config.amountMinor)].push(i);
  }
  return { exploration, ends, stuck: stuckStates(exploration) };
}

export const exploreSaga = memo((config: SagaConfig) =>
  verdict(
    explore(createSagaTransferModel(config), {
      events: () => sagaEvents,
      invariants: [moneyConserved(config.initial), noUnsecuredPayout(config.initial, config.amountMinor)],
      stopAtFirstViolation: false,
      keepEdges: true,
    }) as SagaExploration,
    config,
  ),
);

export const exploreTwoPhase = memo((config: TwoPhaseTransferConfig) =>
  verdict(
    explore(createTwoPhaseTransferModel(config), {
      events: () => twoPhaseEvents,
      // XFER-SECURED is not checked here: in 2PC the payer's funds are secured by its lock
      // from prepare on, whichever region commits first.
      invariants: [moneyConserved(config.initial), twoPhaseNeverBlocks],
      stopAtFirstViolation: false,
      keepEdges: true,
    }) as TwoPhaseExploration,
    config,
    (snapshot) => snapshot.context.locked.us || snapshot.context.locked.eu,
  ),
);

export const sagaTraceText = (config: SagaConfig, trace: SagaExploration['violations'][number]['trace']) =>
  formatTrace(trace, { step: describeSagaStep(config), state: describeSagaState });

export const twoPhaseTraceText = (trace: TwoPhaseExploration['violations'][number]['trace']) =>
  formatTrace(trace, { step: describeTwoPhaseStep, state: describeTwoPhaseState });

// ── 4.3 ─────────────────────────────────────────────────────────────────────────────────────

export type BreakerSnapshot = { value: unknown; context: CircuitBreakerContext };
export type BreakerExploration = Exploration<BreakerSnapshot, CircuitBreakerEvent>;

export const exploreBreaker = memo(
  (config: CircuitBreakerConfig): BreakerExploration =>
    explore(createCircuitBreakerModel(config), {
      events: breakerEvents,
      invariants: [halfOpenProbesBounded(config)],
      stepProperties: breakerStepProperties(config),
      stopAtFirstViolation: false,
      keepEdges: true,
    }) as BreakerExploration,
);

export type RecoveryExploration = Exploration<TimeoutRecoverySnapshot, TimeoutRecoveryEvent>;

export interface RecoveryVerdict {
  exploration: RecoveryExploration;
  /** The first state breaking CB-ONE-HOLD, or a run's end breaking CB-NO-STRANDED-HOLD, with the property. */
  broken?: { property: { id: string; statement: string }; state: number };
}

/** The recovery plan after a timeout, run against every fate of the lost request and every answer of acquirer B. */
export const exploreTimeoutRecovery = memo((config: TimeoutRecoveryConfig): RecoveryVerdict => {
  const exploration = explore(createTimeoutRecoveryModel(config), {
    events: () => timeoutRecoveryEvents,
    invariants: [oneHoldAtATime],
    stopAtFirstViolation: true,
    keepEdges: true,
  }) as RecoveryExploration;
  const violation = exploration.violations[0];
  if (violation) {
    const state = exploration.snapshots.findIndex((s) => !oneHoldAtATime.holds(s));
    return { exploration, broken: { property: violation.property, state } };
  }
  // Ends are judged where runs end: a hold in the middle of the plan is expected.
  const stranded = exploration.terminal.find((i) => !noStrandedHold.holds(exploration.snapshots[i]!));
  return stranded === undefined ? { exploration } : { exploration, broken: { property: noStrandedHold, state: stranded } };
});

// ── 4.4 ─────────────────────────────────────────────────────────────────────────────────────

export type IntentExploration = Exploration<PaymentIntentSnapshot, PaymentIntentEvent>;

export const exploreIntent = memo(
  (config: PaymentIntentConfig): IntentExploration =>
    explore(createPaymentIntentModel(config), {
      events: (snapshot) => intentEvents(snapshot, config),
      invariants: [atMostOneSuccessfulCharge, captureWithinAuthorised],
      stepProperties: [terminalStatusesAbsorb],
      stopAtFirstViolation: false,
      keepEdges: true,
    }) as IntentExploration,
);

/** The configs whose union of transitions is the lifecycle: manual and automatic capture. */
export const lifecycleConfigs: [string, PaymentIntentConfig][] = [
  ['manual capture, same key on retries', intentScenario],
  ['automatic capture, same key on retries', { ...intentScenario, captureMethod: 'automatic' }],
  ['manual capture, a new key on each retry', { ...intentScenario, confirmRetryKey: 'new_key' }],
  ['a confirm supplying the payment method, one card', { ...intentScenario, confirmMaySupplyPaymentMethod: true, maxPaymentMethods: 1 }],
];

const transitionId = (t: StatusTransition) => `${t.from} --${t.event}--> ${t.to}`;

export interface ModelTransitions {
  /** The status changes: the arrows of the lifecycle. */
  transitions: StatusTransition[];
  /**
   * Events the model takes without changing the status (a payment method replaced before the
   * confirm, a late confirm answered in a terminal status): not status changes, so not required,
   * but not wrong either.
   */
  selfLoops: StatusTransition[];
  states: number;
}

/** Every status change the model makes, over the lifecycle configs, with the state count. */
export function modelTransitions(): ModelTransitions {
  const changes = new Map<string, StatusTransition>();
  const loops = new Map<string, StatusTransition>();
  let states = 0;
  for (const [, config] of lifecycleConfigs) {
    const exploration = exploreIntent(config);
    states += exploration.figures.states;
    for (const edge of exploration.edges) {
      // The client sending a confirm is not an event of the intent: it arrives as CONFIRM_RECEIVED.
      if (edge.eventType === 'CONFIRM_SENT') continue;
      const from = statusOf(exploration.snapshots[edge.from]!);
      const to = statusOf(exploration.snapshots[edge.to]!);
      const t = { from, event: edge.eventType, to } as StatusTransition;
      (from === to ? loops : changes).set(transitionId(t), t);
    }
  }
  const sorted = (m: Map<string, StatusTransition>) => [...m.values()].sort((a, b) => transitionId(a).localeCompare(transitionId(b)));
  return { transitions: sorted(changes), selfLoops: sorted(loops), states };
}

/**
 * Why the model has no such arrow, in words that say what is wrong with it and never what the
 * right arrow is.
 */
export function whyNotInModel(t: StatusTransition, model: ModelTransitions): string {
  if (terminalStatuses.includes(t.from)) return `a PaymentIntent in ${t.from} is terminal: no event changes its status`;
  const sameEvent = [...model.transitions, ...model.selfLoops].filter((m) => m.from === t.from && m.event === t.event);
  if (sameEvent.length > 0) return `from ${t.from}, ${t.event} never leads to ${t.to}`;
  return `${t.event} does not change the status of an intent in ${t.from}`;
}

export { transitionId };
