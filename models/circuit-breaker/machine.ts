/**
 * A circuit breaker in front of one card network (Visa, Mastercard, …): the payment service
 * keeps one per network, so that an outage of one network never blocks calls to another.
 *
 *   closed     calls go through; the last `windowSize` outcomes are kept (a count-based
 *              sliding window); `failureThreshold` failures in the window open the breaker.
 *   open       no call goes through: callers fail fast (and may route to a fallback). After the
 *              cool-down, the breaker lets a few probes through.
 *   half_open  at most `halfOpenProbes` calls go through as probes; `successesToClose`
 *              successful probes close it; one failed probe opens it again.
 *
 * Time is abstract: `COOLDOWN_ELAPSED` may happen whenever the breaker is open, so the
 * explorer covers a cool-down of any length. Calls in flight are bounded by
 * `maxConcurrentCalls` so that the state space is finite. An outcome that arrives after the
 * breaker changed mode (a call let through before it opened) does not count: the window
 * starts afresh on every change.
 */
import { and, assign, not, setup } from 'xstate';

export interface CircuitBreakerConfig {
  /** The card network this breaker guards (one breaker per network). */
  network: string;
  /** Outcomes kept in the sliding window (the last N calls). */
  windowSize: number;
  /** Failures within the window that open the breaker. */
  failureThreshold: number;
  /** Calls let through as probes while half-open. */
  halfOpenProbes: number;
  /** Successful probes needed to close again. */
  successesToClose: number;
  /** How long the breaker stays open before probing, in seconds (used by timelines, not by the model). */
  cooldownSeconds: number;
  /** Bound on calls in flight at once (keeps the explored state space finite). */
  maxConcurrentCalls: number;
}

export const visaConfig: CircuitBreakerConfig = {
  network: 'visa',
  windowSize: 5,
  failureThreshold: 3,
  halfOpenProbes: 2,
  successesToClose: 2,
  cooldownSeconds: 10,
  maxConcurrentCalls: 2,
};

export type BreakerMode = 'closed' | 'open' | 'half_open';
export type Outcome = 'success' | 'failure';

export interface CircuitBreakerContext {
  /** The last outcomes seen while closed, oldest first (at most `windowSize`). */
  recentOutcomes: Outcome[];
  /** Ordinary calls let through and not yet answered. */
  callsInFlight: number;
  /** Probes let through while half-open and not yet answered. */
  probesInFlight: number;
  /** Probes let through since the breaker went half-open. */
  probesSent: number;
  /** Successful probes since the breaker went half-open. */
  probesSucceeded: number;
}

export type CircuitBreakerEvent =
  | { type: 'CALL_REQUESTED' }
  | { type: 'CALL_SUCCEEDED' }
  | { type: 'CALL_FAILED' }
  | { type: 'PROBE_SUCCEEDED' }
  | { type: 'PROBE_FAILED' }
  | { type: 'COOLDOWN_ELAPSED' };

const failuresIn = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o === 'failure').length;

/** The window after one more outcome: the newest `windowSize` kept. */
const recordOutcome = (outcomes: readonly Outcome[], outcome: Outcome, windowSize: number) =>
  [...outcomes, outcome].slice(-windowSize);

/** Every mode starts with an empty window and no probes counted. */
const freshCounters = { recentOutcomes: [] as Outcome[], probesSent: 0, probesSucceeded: 0 };

export function createCircuitBreakerModel(config: CircuitBreakerConfig) {
  return setup({
    types: {
      context: {} as CircuitBreakerContext,
      events: {} as CircuitBreakerEvent,
    },
    guards: {
      roomForAnotherCall: ({ context }) => context.callsInFlight + context.probesInFlight < config.maxConcurrentCalls,
      probeSlotFree: ({ context }) => context.probesSent < config.halfOpenProbes,
      callInFlight: ({ context }) => context.callsInFlight > 0,
      probeInFlight: ({ context }) => context.probesInFlight > 0,
      failureTripsTheWindow: ({ context }) =>
        failuresIn(recordOutcome(context.recentOutcomes, 'failure', config.windowSize)) >= config.failureThreshold,
      lastProbeNeededToClose: ({ context }) => context.probesSucceeded + 1 >= config.successesToClose,
    },
    actions: {
      letCallThrough: assign({ callsInFlight: ({ context }) => context.callsInFlight + 1 }),
      letProbeThrough: assign({
        probesInFlight: ({ context }) => context.probesInFlight + 1,
        probesSent: ({ context }) => context.probesSent + 1,
      }),
      recordSuccess: assign({
        callsInFlight: ({ context }) => context.callsInFlight - 1,
        recentOutcomes: ({ context }) => recordOutcome(context.recentOutcomes, 'success', config.windowSize),
      }),
      recordFailure: assign({
        callsInFlight: ({ context }) => context.callsInFlight - 1,
        recentOutcomes: ({ context }) => recordOutcome(context.recentOutcomes, 'failure', config.windowSize),
      }),
      // A late answer to a call let through in an earlier mode: no longer counted.
      forgetLateCall: assign({ callsInFlight: ({ context }) => context.callsInFlight - 1 }),
      forgetLateProbe: assign({ probesInFlight: ({ context }) => context.probesInFlight - 1 }),
      countProbeSuccess: assign({
        probesInFlight: ({ context }) => context.probesInFlight - 1,
        probesSucceeded: ({ context }) => context.probesSucceeded + 1,
      }),
      tripOnFailure: assign(({ context }) => ({ ...freshCounters, callsInFlight: context.callsInFlight - 1 })),
      reopenOnFailedProbe: assign(({ context }) => ({ ...freshCounters, probesInFlight: context.probesInFlight - 1 })),
      closeAfterProbes: assign(({ context }) => ({ ...freshCounters, probesInFlight: context.probesInFlight - 1 })),
      startProbing: assign(() => ({ ...freshCounters })),
    },
  }).createMachine({
    id: 'circuitBreaker',
    context: { recentOutcomes: [], callsInFlight: 0, probesInFlight: 0, probesSent: 0, probesSucceeded: 0 },
    initial: 'closed',
    states: {
      closed: {
        on: {
          CALL_REQUESTED: { guard: 'roomForAnotherCall', actions: 'letCallThrough' },
          CALL_SUCCEEDED: { guard: 'callInFlight', actions: 'recordSuccess' },
          CALL_FAILED: [
            { guard: and(['callInFlight', 'failureTripsTheWindow']), target: 'open', actions: 'tripOnFailure' },
            { guard: 'callInFlight', actions: 'recordFailure' },
          ],
        },
      },
      open: {
        on: {
          // Fail fast: the call is refused without reaching the network (a self-transition
          // with no change, so that the explorer sees the refusal as a step).
          CALL_REQUESTED: {},
          COOLDOWN_ELAPSED: { target: 'half_open', actions: 'startProbing' },
        },
      },
      half_open: {
        on: {
          // Probes beyond N are refused; a call that finds no room in flight waits (the bound
          // of the exploration, not a decision of the breaker).
          CALL_REQUESTED: [
            { guard: and(['probeSlotFree', 'roomForAnotherCall']), actions: 'letProbeThrough' },
            { guard: not('probeSlotFree') },
          ],
          PROBE_SUCCEEDED: [
            { guard: and(['probeInFlight', 'lastProbeNeededToClose']), target: 'closed', actions: 'closeAfterProbes' },
            { guard: 'probeInFlight', actions: 'countProbeSuccess' },
          ],
          PROBE_FAILED: { guard: 'probeInFlight', target: 'open', actions: 'reopenOnFailedProbe' },
        },
      },
    },
    // Answers to calls let through in an earlier mode, wherever they arrive.
    on: {
      CALL_SUCCEEDED: { guard: 'callInFlight', actions: 'forgetLateCall' },
      CALL_FAILED: { guard: 'callInFlight', actions: 'forgetLateCall' },
      PROBE_SUCCEEDED: { guard: 'probeInFlight', actions: 'forgetLateProbe' },
      PROBE_FAILED: { guard: 'probeInFlight', actions: 'forgetLateProbe' },
    },
  });
}

export type CircuitBreakerModel = ReturnType<typeof createCircuitBreakerModel>;

export const breakerEvents: readonly CircuitBreakerEvent[] = [
  { type: 'CALL_REQUESTED' },
  { type: 'CALL_SUCCEEDED' },
  { type: 'CALL_FAILED' },
  { type: 'PROBE_SUCCEEDED' },
  { type: 'PROBE_FAILED' },
  { type: 'COOLDOWN_ELAPSED' },
];

/** Every event worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(): readonly CircuitBreakerEvent[] {
  return breakerEvents;
}

/** Did this step let a call reach the card network (as a call or a probe)? */
export const letThrough = (before: { context: CircuitBreakerContext }, after: { context: CircuitBreakerContext }) =>
  after.context.callsInFlight + after.context.probesInFlight > before.context.callsInFlight + before.context.probesInFlight;
