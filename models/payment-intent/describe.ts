/** The PaymentIntent's steps and states in words, for text traces. */
import { statusOf, type PaymentIntentContext, type PaymentIntentEvent } from './machine.ts';

type Snapshot = { value: unknown; context: PaymentIntentContext };

/** One line of a text trace: the event, and how a confirm that arrives is answered. */
export function describeIntentStep(event: PaymentIntentEvent, before: Snapshot, after: Snapshot): string {
  switch (event.type) {
    case 'ATTACH_PAYMENT_METHOD':
      return `a payment method is attached${event.needsAuthentication ? ' (it needs 3-D Secure)' : ''}`;
    case 'CONFIRM_SENT':
      return `the client sends confirm #${after.context.confirmsSent}${event.withPaymentMethod ? ` supplying a payment method${event.withPaymentMethod.needsAuthentication ? ' (it needs 3-D Secure)' : ''}` : ''}`;
    case 'CONFIRM_RECEIVED': {
      const result = after.context.results.at(-1);
      return `confirm #${event.attempt} arrives (key ${result?.key ?? '?'}) in ${statusOf(before)}: ${result?.response.replaceAll('_', ' ') ?? 'answered'}`;
    }
    case 'CAPTURE':
      return `capture ${event.amountMinor}`;
    default:
      return event.type.toLowerCase().replaceAll('_', ' ');
  }
}

/** The status, the charges and the amounts. */
export function describeIntentState(snapshot: Snapshot): string {
  const c = snapshot.context;
  return `${statusOf(snapshot)}; successful charges ${c.successfulCharges}; authorised ${c.authorisedMinor}, captured ${c.capturedMinor}; confirms in flight ${c.confirmsInFlight.length}`;
}
