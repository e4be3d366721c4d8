/**
 * A circuit breaker in front of one card network at one acquirer (Visa through acquirer A, …):
 * the payment service keeps one per pair, so that an outage of one network, or of one
 * acquirer's link to it, never blocks the others.
 *
 *   closed     calls go through; their outcomes are kept in a sliding window (the last N calls,
 *              or the calls of the last N seconds). When the window holds at least
 *              `minimumCalls` outcomes and the failure rate is at or above
 *              `failureRateThresholdPercent`, the breaker opens. This is the rule of
 *              Resilience4j (failureRateThreshold, minimumNumberOfCalls, slidingWindowType:
 *              https://resilience4j.readme.io/docs/circuitbreaker) and of Hystrix
 *              (errorThresholdPercentage, requestVolumeThreshold over a rolling window:
 *              https://github.com/Netflix/Hystrix/wiki/Configuration).
 *   open       no call goes through: callers fail fast (and may route to another acquirer).
 *              After the wait in open state the breaker lets probes through.
 *   half_open  at most `halfOpenProbes` calls go through as probes. Then either the probes'
 *              failure rate decides once all have answered (Resilience4j's
 *              permittedNumberOfCallsInHalfOpenState), or the first failed probe reopens it
 *              and all probes succeeding closes it (Hystrix's single test request is the case
 *              of one probe, where both rules agree).
 *
 * The window is abstracted to two counts, calls and failures in it, rather than the sequence
 * of outcomes: the rule reads only those counts, so the abstraction loses nothing the breaker
 * decides on, and a window of 100 calls costs about 5,000 states instead of 2^100. An outcome
 * leaves the window by its own event: in a count window when a new call needs its slot, in a
 * time window whenever its time runs out, which may be any outcome present (the counts do not
 * know which one is oldest, so every choice is explored). Time is abstract: the cool-down may
 * end whenever the breaker is open. An outcome that arrives in another mode than the one it
 * was let through in (a late answer) is not counted: every mode starts its counts afresh.
 */
import { and, assign, not, setup } from 'xstate';

export type WindowKind = 'calls' | 'seconds';

export interface CircuitBreakerConfig {
  /** What the breaker guards: a card network at an acquirer. */
  network: string;
  acquirer: string;
  /** A count window (the last `windowSize` calls) or a time window (the last `windowSize` seconds). */
  windowKind: WindowKind;
  windowSize: number;
  /** Outcomes the window must hold before the failure rate is judged. */
  minimumCalls: number;
  /** Failure rate, in percent of the window's calls, at or above which the breaker opens. */
  failureRateThresholdPercent: number;
  /** Calls let through as probes while half-open. */
  halfOpenProbes: number;
  /** How half-open decides: the probes' failure rate once all answered, or the first failed probe. */
  halfOpenDecision: HalfOpenDecision;
  /** How long the breaker stays open before probing, in seconds (timelines only, not the model). */
  waitInOpenSeconds: number;
  /**
   * The most outcomes a time window holds in the model: an exploration bound, since a time
   * window holds as many calls as arrive. `minimumCalls` plus a margin covers every decision
   * the rule makes at the volume threshold and above it.
   */
  timeWindowCallsExplored: number;
}

export type HalfOpenDecision = 'failure_rate_after_all_probes' | 'first_failed_probe_reopens';

/** Outcomes kept in the model's window: a count window's size, or a time window's exploration bound. */
export const windowCapacity = (config: CircuitBreakerConfig) => (config.windowKind === 'calls' ? config.windowSize : config.timeWindowCallsExplored);

/** Calls above the volume threshold that the model lets a time window hold. */
export const TIME_WINDOW_MARGIN = 10;

/**
 * The model's own example breaker, for its tests and benchmarks: a Visa breaker at acquirer A
 * with a 30 s time window judged from 10 calls, opening at 60 %, and two probes of which the
 * first failure reopens it. An example to explore, not a recommendation: a design's thresholds
 * are the answer to task 4.3, and the check builds the model from the student's own policy.
 */
export const exampleBreakerConfig: CircuitBreakerConfig = {
  network: 'visa',
  acquirer: 'acquirer_a',
  windowKind: 'seconds',
  windowSize: 30,
  minimumCalls: 10,
  failureRateThresholdPercent: 60,
  halfOpenProbes: 2,
  halfOpenDecision: 'first_failed_probe_reopens',
  waitInOpenSeconds: 60,
  timeWindowCallsExplored: 10 + TIME_WINDOW_MARGIN,
};

export type BreakerMode = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerContext {
  /** Outcomes in the window (closed only). */
  callsInWindow: number;
  /** Failures among them. */
  failuresInWindow: number;
  /** Probes let through since the breaker went half-open. */
  probesSent: number;
  /** Probe answers since the breaker went half-open. */
  probesSucceeded: number;
  probesFailed: number;
}

export type CircuitBreakerEvent =
  | { type: 'CALL_REQUESTED' }
  | { type: 'CALL_SUCCEEDED' }
  | { type: 'CALL_FAILED' }
  | { type: 'OLDEST_SUCCESS_LEAVES_WINDOW' }
  | { type: 'OLDEST_FAILURE_LEAVES_WINDOW' }
  | { type: 'PROBE_SUCCEEDED' }
  | { type: 'PROBE_FAILED' }
  | { type: 'WAIT_IN_OPEN_ELAPSED' };

/** The rule both libraries use: enough calls, and a failure rate at or above the threshold. */
export const rateTrips = (calls: number, failures: number, minimumCalls: number, thresholdPercent: number) =>
  calls >= minimumCalls && calls > 0 && failures * 100 >= thresholdPercent * calls;

/**
 * Answers from calls let through in another mode (a call answered after the breaker opened, a
 * probe answered after it closed): taken and not counted. In closed, an outcome that finds a
 * full window waits for the oldest one to leave, so it is not among these.
 */
const lateAnswers = (types: CircuitBreakerEvent['type'][]) => Object.fromEntries(types.map((type) => [type, {}]));

const fresh: CircuitBreakerContext = { callsInWindow: 0, failuresInWindow: 0, probesSent: 0, probesSucceeded: 0, probesFailed: 0 };

export function createCircuitBreakerModel(config: CircuitBreakerConfig) {
  const capacity = windowCapacity(config);
  const tripsWith = (context: CircuitBreakerContext, failed: number) =>
    rateTrips(context.callsInWindow + 1, context.failuresInWindow + failed, config.minimumCalls, config.failureRateThresholdPercent);
  const probesDone = (context: CircuitBreakerContext) => context.probesSucceeded + context.probesFailed;
  // Half-open with every probe answered: does the probes' failure rate reopen the breaker?
  const probesTrip = (failed: number) => failed * 100 >= config.failureRateThresholdPercent * config.halfOpenProbes;
  return setup({
    types: {
      context: {} as CircuitBreakerContext,
      events: {} as CircuitBreakerEvent,
    },
    guards: {
      windowHasRoom: ({ context }) => context.callsInWindow < capacity,
      successTrips: ({ context }) => tripsWith(context, 0),
      failureTrips: ({ context }) => tripsWith(context, 1),
      // A count window drops its oldest outcome only to make room; a time window whenever time passes.
      outcomeMayLeave: ({ context }) => config.windowKind === 'seconds' || context.callsInWindow === capacity,
      successInWindow: ({ context }) => context.callsInWindow > context.failuresInWindow,
      failureInWindow: ({ context }) => context.failuresInWindow > 0,
      probeSlotFree: ({ context }) => context.probesSent < config.halfOpenProbes,
      probeUnanswered: ({ context }) => probesDone(context) < context.probesSent,
      lastProbeAnswer: ({ context }) => probesDone(context) + 1 === config.halfOpenProbes,
      lastProbeSuccessReopens: ({ context }) => config.halfOpenDecision === 'failure_rate_after_all_probes' && probesTrip(context.probesFailed),
      failedProbeReopensNow: ({ context }) =>
        config.halfOpenDecision === 'first_failed_probe_reopens' || (probesDone(context) + 1 === config.halfOpenProbes && probesTrip(context.probesFailed + 1)),
      lastFailedProbeCloses: ({ context }) => probesDone(context) + 1 === config.halfOpenProbes,
    },
    actions: {
      recordSuccess: assign({ callsInWindow: ({ context }) => context.callsInWindow + 1 }),
      recordFailure: assign({
        callsInWindow: ({ context }) => context.callsInWindow + 1,
        failuresInWindow: ({ context }) => context.failuresInWindow + 1,
      }),
      dropSuccess: assign({ callsInWindow: ({ context }) => context.callsInWindow - 1 }),
      dropFailure: assign({
        callsInWindow: ({ context }) => context.callsInWindow - 1,
        failuresInWindow: ({ context }) => context.failuresInWindow - 1,
      }),
      letProbeThrough: assign({ probesSent: ({ context }) => context.probesSent + 1 }),
      countProbeSuccess: assign({ probesSucceeded: ({ context }) => context.probesSucceeded + 1 }),
      countProbeFailure: assign({ probesFailed: ({ context }) => context.probesFailed + 1 }),
      startAfresh: assign(() => ({ ...fresh })),
    },
  }).createMachine({
    id: 'circuitBreaker',
    context: { ...fresh },
    initial: 'closed',
    states: {
      closed: {
        on: {
          // Every call goes through (a self-transition, so that the explorer sees the step).
          CALL_REQUESTED: {},
          CALL_SUCCEEDED: [
            { guard: and(['windowHasRoom', 'successTrips']), target: 'open', actions: 'startAfresh' },
            { guard: 'windowHasRoom', actions: 'recordSuccess' },
          ],
          CALL_FAILED: [
            { guard: and(['windowHasRoom', 'failureTrips']), target: 'open', actions: 'startAfresh' },
            { guard: 'windowHasRoom', actions: 'recordFailure' },
          ],
          OLDEST_SUCCESS_LEAVES_WINDOW: { guard: and(['outcomeMayLeave', 'successInWindow']), actions: 'dropSuccess' },
          OLDEST_FAILURE_LEAVES_WINDOW: { guard: and(['outcomeMayLeave', 'failureInWindow']), actions: 'dropFailure' },
          ...lateAnswers(['PROBE_SUCCEEDED', 'PROBE_FAILED']),
        },
      },
      open: {
        on: {
          // Fail fast: refused without reaching the network.
          CALL_REQUESTED: {},
          WAIT_IN_OPEN_ELAPSED: { target: 'half_open', actions: 'startAfresh' },
          ...lateAnswers(['CALL_SUCCEEDED', 'CALL_FAILED', 'PROBE_SUCCEEDED', 'PROBE_FAILED']),
        },
      },
      half_open: {
        on: {
          CALL_REQUESTED: [{ guard: 'probeSlotFree', actions: 'letProbeThrough' }, { guard: not('probeSlotFree') }],
          PROBE_SUCCEEDED: [
            { guard: and(['probeUnanswered', 'lastProbeAnswer', 'lastProbeSuccessReopens']), target: 'open', actions: 'startAfresh' },
            { guard: and(['probeUnanswered', 'lastProbeAnswer']), target: 'closed', actions: 'startAfresh' },
            { guard: 'probeUnanswered', actions: 'countProbeSuccess' },
          ],
          PROBE_FAILED: [
            { guard: and(['probeUnanswered', 'failedProbeReopensNow']), target: 'open', actions: 'startAfresh' },
            { guard: and(['probeUnanswered', 'lastFailedProbeCloses']), target: 'closed', actions: 'startAfresh' },
            { guard: 'probeUnanswered', actions: 'countProbeFailure' },
          ],
          ...lateAnswers(['CALL_SUCCEEDED', 'CALL_FAILED']),
        },
      },
    },
  });
}

export type CircuitBreakerModel = ReturnType<typeof createCircuitBreakerModel>;

export const breakerEvents: readonly CircuitBreakerEvent[] = [
  { type: 'CALL_REQUESTED' },
  { type: 'CALL_SUCCEEDED' },
  { type: 'CALL_FAILED' },
  { type: 'OLDEST_SUCCESS_LEAVES_WINDOW' },
  { type: 'OLDEST_FAILURE_LEAVES_WINDOW' },
  { type: 'PROBE_SUCCEEDED' },
  { type: 'PROBE_FAILED' },
  { type: 'WAIT_IN_OPEN_ELAPSED' },
];

/** Every event worth trying in a state; the explorer skips the disabled ones. */
export function candidateEvents(): readonly CircuitBreakerEvent[] {
  return breakerEvents;
}

/** Did this step let a call reach the card network (as a call or a probe)? */
export const letThrough = (before: { value: unknown; context: CircuitBreakerContext }, after: { context: CircuitBreakerContext }) =>
  before.value === 'closed' || after.context.probesSent > before.context.probesSent;
