/**
 * Chapter 3 — Webhook reliability: your answers.
 *
 * Replace each `throw new Error('TODO: not answered yet')` with your answer, then run
 * `npm run check -- 3`. The types say what each answer must look like.
 */
import type {
  DispatchPolicy,
  MerchantState,
  RetrySchedule,
  TerminalPolicy,
  WebhookEvent,
} from '../../specs/03-webhooks/answer-types.ts';

/** 3.1 — The merchant's handler: the state after processing one delivery of an event. */
export function handleWebhook(state: MerchantState, event: WebhookEvent): MerchantState {
  // BEGIN SOLUTION
  // A redelivery carries the id of an event already applied: acknowledge it, change nothing.
  if (state.processedEventIds.includes(event.id)) return state;
  const order = state.orders[event.orderId];
  const paid = event.type === 'payment_intent.succeeded';
  // Amounts add up whatever the order of arrival; the status is the latest event's, by when
  // it was created, not by when it arrived.
  const isLatest = order === undefined || event.created >= order.statusSetAt;
  return {
    processedEventIds: [...state.processedEventIds, event.id],
    orders: {
      ...state.orders,
      [event.orderId]: {
        status: isLatest ? (paid ? 'paid' : 'refunded') : order.status,
        statusSetAt: isLatest ? event.created : order.statusSetAt,
        netMinor: (order?.netMinor ?? 0) + (paid ? event.amountMinor : -event.amountMinor),
      },
    },
    receiptsSent: state.receiptsSent + (paid ? 1 : 0),
  };
  // END SOLUTION
}

/** 3.2 — The delays before each retry, and their jitter. */
export function retrySchedule(): RetrySchedule {
  // BEGIN SOLUTION
  // Exponential backoff ×3 from one minute: 1, 3, 9, 27 min, 1.35 h, 4.05 h, 12.15 h, 36.45 h.
  // The last retry is sent 54.67 h after the event (49.2–60.1 h with jitter): on the third day,
  // never after 72 h.
  return {
    baseDelaysSeconds: [0, 1, 2, 3, 4, 5, 6, 7].map((k) => 60 * 3 ** k),
    jitterFraction: 0.1,
    jitterDescription:
      'each delay times a uniform factor in [0.9, 1.1], so that events that failed together (an endpoint that was down) are not all retried at the same instant; with a ratio of 3 between delays, jitter never makes a delay shorter than the one before',
  };
  // END SOLUTION
}

/** 3.3 — How the dispatcher shares its workers, so that slow merchants do not delay the others. */
export function dispatchPolicy(): DispatchPolicy {
  // BEGIN SOLUTION
  // One queue per endpoint, served in turn; at most 10 requests in flight to one endpoint; an
  // endpoint that answered slower than 5 s (or not at all) is served only by a quarter of the
  // workers until it answers fast again. The timeout stays at 30 s: slow merchants do answer.
  return {
    queueing: 'per_endpoint',
    timeoutSeconds: 30,
    maxInFlightPerEndpoint: 10,
    slowLane: { slowAfterSeconds: 5, workerShare: 0.25 },
  };
  // END SOLUTION
}

/** 3.4 — What happens to an event whose retries have all failed, 72 hours on. */
export function terminalPolicy(): TerminalPolicy {
  // BEGIN SOLUTION
  return { event: 'dead_letter', disableEndpoint: true, notifyMerchant: true, allowReplay: true };
  // END SOLUTION
}
