/** The circuit breaker's steps and states in words, for text traces. */
import { letThrough, type CircuitBreakerContext, type CircuitBreakerEvent } from './machine.ts';

type Snapshot = { value: unknown; context: CircuitBreakerContext };

const words: Record<CircuitBreakerEvent['type'], string> = {
  CALL_REQUESTED: 'a payment asks to call the network',
  CALL_SUCCEEDED: 'a call succeeds',
  CALL_FAILED: 'a call fails',
  PROBE_SUCCEEDED: 'a probe succeeds',
  PROBE_FAILED: 'a probe fails',
  COOLDOWN_ELAPSED: 'the cool-down ends',
};

/** One line of a text trace: the event, what the breaker did with a call, and a change of mode. */
export function describeBreakerStep(event: CircuitBreakerEvent, before: Snapshot, after: Snapshot): string {
  const through = before.value === 'half_open' ? ': let through as a probe' : ': let through';
  const call = event.type === 'CALL_REQUESTED' ? (letThrough(before, after) ? through : ': refused') : '';
  const mode = before.value !== after.value ? ` (${String(before.value)} → ${String(after.value)})` : '';
  return `${words[event.type]}${call}${mode}`;
}

/** The breaker's mode, window and calls in flight. */
export function describeBreakerState({ value, context: c }: Snapshot): string {
  const window = c.recentOutcomes.map((o) => (o === 'success' ? 's' : 'F')).join('') || 'empty';
  return `${String(value)}; window ${window}; in flight ${c.callsInFlight} call(s), ${c.probesInFlight} probe(s); probes sent ${c.probesSent}, succeeded ${c.probesSucceeded}`;
}
