/** The circuit breaker's and the timeout recovery's steps and states in words, for text traces. */
import { letThrough, type CircuitBreakerContext, type CircuitBreakerEvent } from './machine.ts';
import { liveHolds, type TimeoutRecoveryConfig, type TimeoutRecoveryEvent, type TimeoutRecoverySnapshot } from './timeout-recovery.ts';

type Snapshot = { value: unknown; context: CircuitBreakerContext };

const words: Record<CircuitBreakerEvent['type'], string> = {
  CALL_REQUESTED: 'a payment asks to call the network',
  CALL_SUCCEEDED: 'a call is answered (counted as a success)',
  CALL_FAILED: 'a call fails (timeout, 5xx or connection error)',
  OLDEST_SUCCESS_LEAVES_WINDOW: 'the oldest outcome in the window, a success, leaves it',
  OLDEST_FAILURE_LEAVES_WINDOW: 'the oldest outcome in the window, a failure, leaves it',
  PROBE_SUCCEEDED: 'a probe is answered',
  PROBE_FAILED: 'a probe fails',
  WAIT_IN_OPEN_ELAPSED: 'the wait in open state ends',
};

/** One line of a text trace: the event, what the breaker did with a call, and a change of mode. */
export function describeBreakerStep(event: CircuitBreakerEvent, before: Snapshot, after: Snapshot): string {
  const through = before.value === 'half_open' ? ': let through as a probe' : ': let through';
  const call = event.type === 'CALL_REQUESTED' ? (letThrough(before, after) ? through : ': refused') : '';
  const mode = before.value !== after.value ? ` (${String(before.value)} → ${String(after.value)})` : '';
  return `${words[event.type]}${call}${mode}`;
}

/** The breaker's mode and counts. */
export function describeBreakerState({ value, context: c }: Snapshot): string {
  if (value === 'closed') return `closed; window: ${c.callsInWindow} call(s), ${c.failuresInWindow} failed`;
  if (value === 'half_open') return `half_open; probes sent ${c.probesSent}, answered ${c.probesSucceeded}, failed ${c.probesFailed}`;
  return String(value);
}

const recoveryWords: Record<TimeoutRecoveryEvent['type'], string> = {
  ISSUER_HAD_APPROVED: 'unseen by the service: the issuer had approved the timed-out request',
  ISSUER_HAD_NOT_APPROVED: 'unseen by the service: the timed-out request was never approved',
  RUN_NEXT_STEP: 'the service runs its next step',
  ACQUIRER_B_APPROVES: 'acquirer B approves',
  ACQUIRER_B_DECLINES: 'acquirer B declines',
};

/** One line of a recovery trace, naming the plan's step when one runs. */
export const describeRecoveryStep =
  (config: TimeoutRecoveryConfig) =>
  (event: TimeoutRecoveryEvent, before: TimeoutRecoverySnapshot): string =>
    event.type === 'RUN_NEXT_STEP' ? `the service runs step ${before.context.nextStep + 1}: ${config.plan[before.context.nextStep]}` : recoveryWords[event.type];

/** The holds on the cardholder's funds and what the customer was told. */
export function describeRecoveryState({ context: c }: TimeoutRecoverySnapshot): string {
  const first = c.firstAuthorisation === 'approved' ? (c.firstReversed ? 'approved, reversed' : 'approved, holding funds') : c.firstAuthorisation === 'unknown' ? 'unknown' : 'not approved';
  return `authorisation at A: ${first}; at B: ${c.secondAuthorisation}; holds on the card: ${liveHolds(c)}; customer told: ${c.answer === 'none' ? 'nothing yet' : c.answer}`;
}
